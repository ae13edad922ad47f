"""The gateway: what stands between the HTTP server (granian) and the mock's Flask app.

granian parses HTTP and holds every connection in Rust; each request reaches `Gateway`, an
ASGI application, on one asyncio loop.  An HTTP request's body is read without blocking
anyone, then the Flask app runs inline on the loop, one request at a time.  Running it inline rather than in a
thread pool is the point: Python runs one thread at a time anyway (the GIL), and handing
each request to a worker thread and back costs more than most of the mock's requests do
(BENCHMARKS.md).  What waits (a fault's `delay`, a websocket, a slow client) waits on the
loop and holds nothing that another request needs.

Fault rules (mocksmooch.faults) are decided here, before routing and authentication, as a
gateway in front of the API would: a delay is slept here, asynchronously; the rule then
rides in the WSGI environ to the app, which answers for it (its status, or a dropped
connection) so that the journal and CORS see it like any response.

Websocket upgrades are answered on the same port: a path registered with
`websocket_route(app, path)` gets a `WebSocket`; any other path refuses the handshake (403,
as ASGI servers answer a websocket closed before it was accepted).

ASGI, not granian's faster RSGI: RSGI hands header values over as text and silently drops
any that is not ASCII (a UTF-8 admin token, a latin-1 byte in a token), where ASGI gives the
bytes that were sent.
"""
from __future__ import annotations

import asyncio
import io
import sys
import time
from typing import Awaitable, Callable, Mapping
from urllib.parse import unquote_to_bytes

from . import faults

# Keys the gateway sets in the WSGI environ, for the app.
STARTED = "mocksmooch.started"     # time.perf_counter() when the request arrived
FAULT = faults.ENVIRON_KEY         # the fault rule that hit the request, if one did

SERVER_HEADER = (b"server", b"mocksmooch")  # else granian says "granian"

# The largest body read into memory: above the 50 MB of a v2 attachment and its form.
MAX_BODY = 64 * 1024 * 1024

WEBSOCKETS = "mocksmooch.websockets"  # app.extensions[WEBSOCKETS]: path -> handler

WebSocketHandler = Callable[["WebSocket"], Awaitable[None]]


def websocket_route(app, path: str) -> Callable[[WebSocketHandler], WebSocketHandler]:
    """Register `async def handler(ws: WebSocket)` for websocket upgrades on `path`."""
    def register(handler: WebSocketHandler) -> WebSocketHandler:
        app.extensions.setdefault(WEBSOCKETS, {})[path] = handler
        return handler
    return register


class Gateway:
    """An ASGI application serving a WSGI app (the mock's Flask app, or any other) inline,
    and the websocket routes registered on it."""

    def __init__(self, wsgi_app, *, faults: "faults.Faults | None" = None,
                 websockets: Mapping[str, WebSocketHandler] | None = None, webhooks=None):
        self.wsgi_app = wsgi_app
        self.faults = faults
        self.webhooks = webhooks  # the mock's mocksmooch.webhooks.Webhooks, told which loop serves
        self.websockets = websockets if websockets is not None else {}
        self.closing = asyncio.Event()  # set when the server stops: websocket handlers end
        self.open_websockets = 0
        self._websockets_closed = asyncio.Event()

    @classmethod
    def for_app(cls, app) -> "Gateway":
        """The gateway of a Flask app made by create_app (or any Flask app: no faults then)."""
        mock = app.extensions.get("mocksmooch")
        return cls(app, faults=getattr(mock, "faults", None), webhooks=getattr(mock, "webhooks", None),
                   websockets=app.extensions.setdefault(WEBSOCKETS, {}))

    def serving(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """The server's loop, as it starts (None as it stops): where webhooks are delivered."""
        if self.webhooks is not None:
            self.webhooks.deliver_on(loop)

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)

    # --- HTTP --------------------------------------------------------------------------------

    async def _http(self, scope, receive, send) -> None:
        started = time.perf_counter()
        environ = _environ(scope)
        environ[STARTED] = started
        if "CONTENT_LENGTH" in environ or "HTTP_TRANSFER_ENCODING" in environ:
            body = await _read_body(receive, environ.get("CONTENT_LENGTH"))
            if body is None:  # over MAX_BODY: the app answers 413 (its MAX_CONTENT_LENGTH)
                environ["CONTENT_LENGTH"], body = str(MAX_BODY + 1), b""
        else:
            body = b""  # nothing to wait for: no trip through the loop
        environ["wsgi.input"] = io.BytesIO(body)
        environ["wsgi.input_terminated"] = True  # read whole: a chunked body has no CONTENT_LENGTH
        if self.faults is not None and self.faults.armed:
            rule = self._decide_fault(environ)
            if rule is not None:
                environ[FAULT] = rule
                if rule.delay:
                    await asyncio.sleep(rule.delay)
        captured: list = []

        def start_response(status, response_headers, exc_info=None):
            captured[:] = (status, response_headers)

        try:
            chunks = self.wsgi_app(environ, start_response)
            try:
                data = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except faults.ConnectionDropped:
            await _drop(send)
            return
        status = int(captured[0][:3])
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in captured[1]]
        headers.append(SERVER_HEADER)
        if not 100 <= status <= 599:  # granian aborts the whole process on a status it cannot send
            status, headers, data = 500, [(b"content-type", b"text/plain; charset=utf-8")], \
                b"mocksmooch: the app answered an invalid status"
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    def _decide_fault(self, environ: dict):
        method = environ["REQUEST_METHOD"]
        preflight = method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        return self.faults.decide(method, environ["PATH_INFO"],
                                  faults.credential_key_id(environ.get("HTTP_AUTHORIZATION")),
                                  preflight=preflight)

    # --- websockets ----------------------------------------------------------------------------

    async def _websocket(self, scope, receive, send) -> None:
        handler = self.websockets.get(scope["path"])
        if handler is None or (await receive())["type"] != "websocket.connect":
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        socket = WebSocket(scope, receive, send, self.closing)
        self.open_websockets += 1
        try:
            await handler(socket)
        finally:
            await socket.close()
            self.open_websockets -= 1
            if not self.open_websockets:
                self._websockets_closed.set()

    async def close_websockets(self, timeout: float) -> None:
        """Tell every websocket handler to end (their `receive()` returns None and the client
        gets 1001, going away), and wait up to `timeout` for them to have closed."""
        self._websockets_closed.clear()
        self.closing.set()
        if self.open_websockets:
            try:
                await asyncio.wait_for(self._websockets_closed.wait(), timeout)
            except asyncio.TimeoutError:
                pass


class WebSocket:
    """One websocket connection, as a handler sees it: `accept()`, then `receive()` and
    `send()` until `receive()` returns None (the client closed, or the server is stopping)."""

    def __init__(self, scope, receive, send, closing: asyncio.Event):
        self.path = scope["path"]
        self.query_string = scope["query_string"].decode("latin-1")
        self.headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        self._receive, self._send, self._closing = receive, send, closing
        self.accepted = False
        self.closed = False

    async def accept(self) -> None:
        await self._send({"type": "websocket.accept"})
        self.accepted = True

    async def receive(self) -> str | bytes | None:
        """The next message, or None once the connection is closed (or the server stops)."""
        if self.closed:
            return None
        receiving = asyncio.ensure_future(self._receive())
        stopping = asyncio.ensure_future(self._closing.wait())
        done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if receiving not in done:
            receiving.cancel()
            await self.close(1001)  # going away
            return None
        message = receiving.result()
        if message["type"] != "websocket.receive":  # websocket.disconnect
            self.closed = True
            return None
        text = message.get("text")
        return text if text is not None else message.get("bytes")

    async def send(self, data: str | bytes) -> None:
        key = "text" if isinstance(data, str) else "bytes"
        await self._send({"type": "websocket.send", key: data})

    async def close(self, code: int = 1000) -> None:
        if not self.closed:
            self.closed = True
            await self._send({"type": "websocket.close", "code": code if self.accepted else 1008})


# --- the WSGI environ ------------------------------------------------------------------------

_HEADER_KEYS: dict[bytes, str] = {}  # b"x-smooch-appid" -> "HTTP_X_SMOOCH_APPID", learned once each


def _environ_key(name: bytes) -> str:
    key = _HEADER_KEYS.get(name)
    if key is None:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        if len(_HEADER_KEYS) < 10_000:  # header names come from clients: bounded
            _HEADER_KEYS[name] = key
    return key


def _environ(scope) -> dict:
    """PEP 3333's environ from an ASGI scope, as every WSGI server gives it: the path
    percent-decoded, header values and path as latin-1 characters of their bytes (what was
    sent, byte for byte), repeated headers joined with "," (RFC 9110 5.3)."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    server = scope.get("server") or ("", 0)
    client = scope.get("client") or ("", 0)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": (unquote_to_bytes(raw_path) if b"%" in raw_path else raw_path).decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/" + scope["http_version"],
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope["scheme"],
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in scope["headers"]:
        key = _environ_key(name)
        if key in environ and key.startswith("HTTP_"):
            environ[key] += "," + value.decode("latin-1")
        else:
            environ[key] = value.decode("latin-1")
    return environ


async def _read_body(receive, content_length: str | None) -> bytes | None:
    """The request body; None when it is over MAX_BODY (then it is not read beyond that:
    the app answers 413 and the connection closes)."""
    if content_length is not None and content_length.isdigit() and int(content_length) > MAX_BODY:
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _drop(send) -> None:
    """Close the connection without sending a byte of a response.

    ASGI has no message for this, so the gateway hands hyper (granian's HTTP implementation)
    a response it refuses to encode, with both Transfer-Encoding and Content-Length: hyper
    then closes the connection and sends nothing (tests/test_faults.py checks it does)."""
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"transfer-encoding", b"chunked"), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
