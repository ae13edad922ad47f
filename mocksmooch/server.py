"""The one HTTP server of mocksmooch: `mocksmooch serve`, the container's CMD and the pytest
plugin's live server are all this `Server`, with the same settings.

It is granian's embedded server (Rust: hyper for HTTP/1.1 with keep-alive and websockets,
tokio for the connections) running the mock's `Gateway` on one asyncio loop, uvloop where
it exists (Linux, macOS; Windows gets asyncio's own loop).  A connection costs the Rust
side a few kilobytes and no Python thread, so idle or slow clients never lock others out.

    server = Server(create_app(), "127.0.0.1", 8090)   # binds now; OSError if it cannot
    server.serve()          # here, until stop() or SIGTERM/SIGINT: in-flight requests finish
    # or: server.start() in a background thread (the pytest plugin), then server.stop()

The listening socket is the mock's own (bound here, handed to granian): granian's own
binding shares a busy port (SO_REUSEPORT), and two mocks silently splitting one port's
requests between two states is the worst thing a test double can do.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import threading

from granian._granian import SocketHolder
from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.server.embed import Server as _EmbeddedGranian

from .gateway import Gateway

log = logging.getLogger("mocksmooch")

BACKLOG = 1024
# Requests (and websockets) in the app at once before granian makes the next wait: far above
# what 1,000 slow or delayed clients need.
MAX_IN_FLIGHT = 65_536
# How long SIGTERM waits for requests in flight (a `delay` fault can hold one for minutes):
# under Docker's 10 s between SIGTERM and SIGKILL.
DEFAULT_GRACE = 8.0
DEFAULT_IO_THREADS = 1  # `mocksmooch serve --io-threads` says so in its help


class Server:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 8090, *,
                 io_threads: int | None = None, grace: float = DEFAULT_GRACE):
        self.app = app
        self.gateway = Gateway.for_app(app)
        self.grace = grace
        self._socket = _bind(host, port)
        self.host, self.port = self._socket.getsockname()[:2]
        self._granian = _Granian(self.gateway, self._socket, io_threads=io_threads or DEFAULT_IO_THREADS)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread: threading.Thread | None = None
        self.signals: list[str] = []  # the signals that stopped it, for the last log line
        self.abandoned = False       # True when requests were still in flight after `grace`

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # --- running -------------------------------------------------------------------------------

    def serve(self, *, handle_signals: bool = True) -> None:
        """Serve until stop() (or SIGTERM/SIGINT, in the main thread); then stop accepting,
        let requests in flight finish for up to `grace` seconds, and return."""
        _raise_file_limit()
        try:
            _run(self._main(handle_signals))
        finally:
            self._socket.close()

    def start(self) -> "Server":
        """Serve from a background thread (daemon) until stop(); returns once listening."""
        self._thread = threading.Thread(target=self.serve, kwargs={"handle_signals": False},
                                        name="mocksmooch-server", daemon=True)
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Ask the server to stop (from any thread); with a background thread, wait for it."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # the loop closed meanwhile
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.grace + 5 if timeout is None else timeout)

    async def _main(self, handle_signals: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        if handle_signals:
            self._install_signal_handlers()
        self.gateway.serving(self._loop)
        try:
            await self._serve()
        finally:
            self.gateway.serving(None)

    async def _serve(self) -> None:
        serving = asyncio.ensure_future(self._granian.serve())
        self._started.set()
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if serving.done():  # granian ended on its own: its error is the server's
            stopping.cancel()
            serving.result()
            return
        await self.gateway.close_websockets(min(self.grace, 2.0))
        self._granian.stop()
        try:
            await asyncio.wait_for(asyncio.shield(serving), self.grace)
        except asyncio.TimeoutError:
            self.abandoned = True
            serving.cancel()
            log.warning("mocksmooch: requests still in flight after %.0f s; stopped without them", self.grace)
            try:
                await serving
            except (asyncio.CancelledError, Exception):
                pass

    def _install_signal_handlers(self) -> None:
        def received(signum: int) -> None:
            self.signals.append(signal.Signals(signum).name)
            if len(self.signals) > 1:  # a second Ctrl+C: do not wait for anyone
                self.grace = 0
            self._stopping.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                self._loop.add_signal_handler(signum, received, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows' loop has none
                signal.signal(signum, lambda number, frame: self._loop.call_soon_threadsafe(received, number))


class _Granian(_EmbeddedGranian):
    """granian's embedded server (ASGI, no lifespan), listening on a socket bound by mocksmooch."""

    def __init__(self, gateway: Gateway, sock: socket.socket, *, io_threads: int):
        host, port = sock.getsockname()[:2]
        super().__init__(gateway, address=host, port=port, interface=Interfaces.ASGINL,
                         runtime_threads=io_threads, backlog=BACKLOG, backpressure=MAX_IN_FLIGHT,
                         http1_settings=HTTP1Settings(keep_alive=True), websockets=True,
                         log_enabled=False)
        self._mocksmooch_socket = sock

    def _init_shared_socket(self):
        # granian binds its own socket here; it gets mocksmooch's instead (see the module's
        # docstring).  A granian version that renamed this method fails tests/test_server.py.
        # granian closes the descriptor it is given when it stops: it gets a copy of ours.
        self._ssp = None
        self._shd = SocketHolder(os.dup(self._mocksmooch_socket.fileno()), False, BACKLOG)


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; OSError (address in use, no such address) as the OS says it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    infos = socket.getaddrinfo(host, port, family if ":" in host else socket.AF_UNSPEC,
                               socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        if sys.platform != "win32":  # on Windows SO_REUSEADDR lets a second server steal the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _run(main) -> None:
    try:
        import uvloop
    except ImportError:  # Windows: asyncio's own loop, slower but the same server
        asyncio.run(main)
        return
    uvloop.run(main)


def _raise_file_limit() -> None:
    """Each connection is a file descriptor: lift the soft limit (256 on macOS, often 1,024
    on Linux) to the hard one, so 1,000 idle clients cannot use them all up."""
    try:
        import resource
    except ImportError:  # Windows has no such limit
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65_536
    if sys.platform == "darwin":
        wanted = min(wanted, 10_240)  # macOS refuses more than OPEN_MAX for the soft limit
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            pass
