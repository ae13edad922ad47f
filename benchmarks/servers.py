"""Server subprocesses: how each one is started, how long until it answers 200, its memory,
and a stop that always runs.

Every server binds 127.0.0.1 on a port the kernel handed out, and its stdout/stderr go to a
log file in the run's temporary folder (shown when it fails to start): `mocksmooch serve`
logs one line per request to stdout, as shipped, and that logging stays on.
"""
from __future__ import annotations

import http.client
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
VENV_BIN = Path(sys.executable).parent   # the venv running this script, which has mocksmooch
HOST = "127.0.0.1"
HEALTH = "/_mocksmooch/health"


class BenchmarkError(Exception):
    """The benchmark itself cannot run (a server did not start, a request got the wrong
    status): the figures would be worthless, so the run exits non-zero."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http_status(port: int, path: str, headers: dict | None = None, timeout: float = 2.0) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def http_json(port: int, method: str, path: str, body=None, headers: dict | None = None,
              expect: int = 200, timeout: float = 30.0):
    """One JSON call that must answer `expect`; anything else stops the benchmark."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=data,
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    if response.status != expect:
        raise BenchmarkError(f"{method} {path} on port {port}: {response.status}, expected {expect}: {text[:300]}")
    return json.loads(text) if text else None


def rss_bytes(pid: int) -> int:
    """Resident size of a process and all its descendants (VmRSS from /proc)."""
    total = 0
    for each in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


class Server:
    """One server subprocess, ready when `ready_path` answers 200.  Use as a context manager:
    the process (its own session, so its whole group) is stopped on the way out."""

    def __init__(self, name: str, argv: list[str], port: int, log_dir: Path, *,
                 env: dict | None = None, ready_path: str = HEALTH, ready_headers: dict | None = None,
                 timeout: float = 30.0):
        self.name, self.argv, self.port, self.env = name, argv, port, env
        self.ready_path, self.ready_headers, self.timeout = ready_path, ready_headers, timeout
        self.log_path = log_dir / f"{name.replace(' ', '-')}-{port}.log"
        self.process: subprocess.Popen | None = None
        self.startup_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> float:
        """Start the process and poll until the first 200: the seconds from spawn to it."""
        with open(self.log_path, "wb") as log:
            started = time.perf_counter()
            try:
                self.process = subprocess.Popen(self.argv, env=self.env, cwd=REPO, stdin=subprocess.DEVNULL,
                                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as error:
                raise BenchmarkError(f"cannot start {self.name}: {shlex.join(self.argv)}: {error}") from None
        deadline = started + self.timeout
        while True:
            if self.process.poll() is not None:
                raise BenchmarkError(f"{self.name} exited with {self.process.returncode} before answering "
                                     f"{self.ready_path}: {shlex.join(self.argv)}\n{self._log_tail()}")
            try:
                status = http_status(self.port, self.ready_path, self.ready_headers)
            except OSError:  # not listening yet
                status = None
            if status == 200:
                self.startup_s = time.perf_counter() - started
                return self.startup_s
            if status is not None:
                raise BenchmarkError(f"{self.name}: GET {self.ready_path} answered {status}, expected 200")
            if time.perf_counter() > deadline:
                raise BenchmarkError(f"{self.name} did not answer {self.ready_path} within {self.timeout:.0f} s: "
                                     f"{shlex.join(self.argv)}\n{self._log_tail()}")
            time.sleep(0.005)

    def rss(self) -> int:
        return rss_bytes(self.process.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()[-15:]
        except OSError:
            return ""
        return "\n".join(f"    | {line}" for line in lines)


# --- the servers under test ------------------------------------------------------------------

def mocksmooch_serve(log_dir: Path, *, bin_dir: Path = VENV_BIN, fixtures: Path | None = None,
                     env: dict | None = None, timeout: float = 30.0) -> Server:
    """`mocksmooch serve --port P` as shipped: its default settings, text logs; `bin_dir` is
    the install's (benchmarks/shipped.py)."""
    port = free_port()
    argv = [str(bin_dir / "mocksmooch"), "serve", "--port", str(port)]
    if fixtures is not None:
        argv += ["--fixtures", str(fixtures)]
    return Server("mocksmooch serve", argv, port, log_dir, env={**os.environ, **(env or {})}, timeout=timeout)


def container_command(log_dir: Path, *, bin_dir: Path = VENV_BIN) -> Server:
    """The Dockerfile's ENV and CMD replayed without Docker (there is no engine here).

    Two departures, both forced: the image's venv (/opt/mocksmooch) is `bin_dir`'s, and it
    listens on 127.0.0.1 (benchmarks stay on loopback) on a free port rather than
    0.0.0.0:8090; the bind address changes only which interface is bound (and drops the
    "control API exposed" warning line)."""
    env, argv = dockerfile_env_and_cmd(REPO / "Dockerfile", bin_dir)
    port = free_port()
    env.update(MOCKSMOOCH_HOST=HOST, MOCKSMOOCH_PORT=str(port))
    return Server("container command", argv, port, log_dir, env=env)


def dockerfile_env_and_cmd(path: Path, bin_dir: Path = VENV_BIN) -> tuple[dict, list[str]]:
    """The environment a container of this Dockerfile starts with, and its CMD (exec form)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MOCKSMOOCH_")}
    argv = None
    for instruction, rest in _dockerfile_instructions(path):
        if instruction == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                if name == "PATH":  # /opt/mocksmooch/bin:$PATH: the image's venv first
                    value = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
                env[name] = value
        elif instruction == "CMD":
            argv = json.loads(rest)
    if not argv:
        raise BenchmarkError(f"{path}: no CMD in exec form")
    return env, argv


def _dockerfile_instructions(path: Path):
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    logical = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        instruction, _, rest = logical.partition(" ")
        yield instruction.upper(), rest.strip()
        logical = ""


def hello_world(log_dir: Path, *, bin_dir: Path = VENV_BIN) -> Server:
    """benchmarks/hello.py with the python of `bin_dir`'s install: mocksmooch's server, as shipped."""
    port = free_port()
    argv = [str(bin_dir / "python"), str(BENCHMARKS / "hello.py"), "--port", str(port)]
    return Server("hello-world", argv, port, log_dir, env=dict(os.environ), ready_path="/")


def prism(log_dir: Path, prism_bin: Path, spec: Path, ready_path: str, ready_headers: dict) -> Server:
    """Prism mocking the v2 description; it has no health route, so it is ready when the
    benchmarked request answers 200."""
    port = free_port()
    argv = [str(prism_bin), "mock", "-p", str(port), "-h", HOST, str(spec)]
    return Server("prism", argv, port, log_dir, env=dict(os.environ), ready_path=ready_path,
                  ready_headers=ready_headers, timeout=90.0)


def wiremock(log_dir: Path, java: str, jar: Path, root: Path, ready_path: str, ready_headers: dict) -> Server:
    """WireMock's standalone jar serving the stub mappings under `root`; ready when the
    benchmarked GET answers 200 (its stub, so the mappings are loaded, not only the port)."""
    port = free_port()
    argv = [java, "-jar", str(jar), "--port", str(port), "--bind-address", HOST, "--root-dir", str(root),
            "--disable-banner"]
    return Server("wiremock", argv, port, log_dir, env=dict(os.environ), ready_path=ready_path,
                  ready_headers=ready_headers, timeout=90.0)
