"""Load generators: wrk (installed by apt-get when missing and allowed), or, only when wrk
cannot be had, a bounded pure-Python keep-alive loop.  Both report requests per second,
p50 and p99 latency, and every answer that was not 2xx: a load run of 401s is worthless.

wrk runs as `wrk -t2 -c16 -d<duration>s --latency -s <script.lua> <url>`; the Lua script
sets the method, body and headers, so GET and POST go through the same path.
"""
from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import installs
from report import percentile
from servers import BenchmarkError

THREADS = 2
CONNECTIONS = 16


@dataclass
class LoadResult:
    tool: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


# --- getting wrk -----------------------------------------------------------------------------

def ensure_wrk(may_install: bool) -> tuple[str | None, str]:
    """wrk's path (or None) and a sentence on how it was had, or why the fallback is used."""
    found = shutil.which("wrk")
    if found:
        return found, "wrk was already installed"
    if not may_install:
        return None, "wrk is missing and --no-install was given"
    if not installs.apt_get_possible():
        return None, ("wrk is missing and cannot be installed here (needs root and apt-get); "
                      "install it with `sudo apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`")
    if not installs.apt_get_install("wrk") or not shutil.which("wrk"):
        return None, "`apt-get install wrk` failed; using the Python fallback"
    return shutil.which("wrk"), "wrk was installed by this run with apt-get"


def wrk_version(path: str | None) -> str | None:
    if not path:
        return None
    done = subprocess.run([path, "-v"], capture_output=True, text=True)
    first = (done.stdout or done.stderr).strip().splitlines()
    return " ".join(first[0].split()[:2]) if first else None


# --- running a load --------------------------------------------------------------------------

def run(wrk: str | None, url: str, duration: float, *, method: str = "GET",
        headers: dict | None = None, body: str | None = None) -> LoadResult:
    if wrk:
        return run_wrk(wrk, url, duration, method=method, headers=headers or {}, body=body)
    return run_python(url, duration, method=method, headers=headers or {}, body=body)


def run_wrk(wrk: str, url: str, duration: float, *, method: str, headers: dict, body: str | None) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(method, headers, body))
    try:
        argv = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s", "--latency",
                "-s", script.name, url]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    finally:
        Path(script.name).unlink(missing_ok=True)
    if done.returncode != 0:
        raise BenchmarkError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout)


def _lua(method: str, headers: dict, body: str | None) -> str:
    def quoted(text: str) -> str:  # a Lua long string: no escaping needed
        return f"[==[{text}]==]"

    lines = [f"wrk.method = {quoted(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {quoted(body)}")
    # The spaces matter: `[[` would open a long string.
    lines += [f"wrk.headers[ {quoted(name)} ] = {quoted(value)}" for name, value in headers.items()]
    return "\n".join(lines) + "\n"


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> LoadResult:
    """Requests/sec, the 50% and 99% lines of --latency, non-2xx/3xx and socket errors."""
    def find(pattern: str):
        match = re.search(pattern, output)
        return match.groups() if match else None

    rate = find(r"Requests/sec:\s+([\d.]+)")
    p50, p99 = find(r"\n\s*50%\s+(\S+)"), find(r"\n\s*99%\s+(\S+)")
    total = find(r"(\d+) requests in")
    if not (rate and p50 and p99 and total):
        raise BenchmarkError(f"cannot read wrk's output:\n{output}")
    non_2xx = find(r"Non-2xx or 3xx responses:\s+(\d+)")
    errors = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    socket_errors = dict(zip(("connect", "read", "write", "timeout"), map(int, errors))) if errors else {}
    return LoadResult("wrk", float(rate[0]), _ms(p50[0]), _ms(p99[0]), int(total[0]),
                      int(non_2xx[0]) if non_2xx else 0, socket_errors)


def run_python(url: str, duration: float, *, method: str, headers: dict, body: str | None) -> LoadResult:
    """The fallback: CONNECTIONS threads, each with one keep-alive connection, for `duration`
    seconds.  It shares this interpreter's GIL, so it saturates sooner than wrk: its figures
    are lower bounds, comparable with each other but not with wrk's."""
    parts = urlsplit(url)
    path = parts.path or "/"
    payload = body.encode() if body is not None else None
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors = Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def worker():
        mine, seen, failed, connection = [], Counter(), 0, None
        while time.perf_counter() < deadline:
            if connection is None:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            started = time.perf_counter()
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = None
                continue
            mine.append(time.perf_counter() - started)
            seen[response.status] += 1
            if response.will_close:
                connection.close()
                connection = None
        if connection is not None:
            connection.close()
        with lock:
            latencies.extend(mine)
            statuses.update(seen)
            errors["read"] += failed

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if not latencies:
        raise BenchmarkError(f"the Python load generator got no answer from {url}")
    non_2xx = sum(count for status, count in statuses.items() if not 200 <= status < 300)
    return LoadResult("python", len(latencies) / elapsed, percentile(latencies, 0.50) * 1e3,
                      percentile(latencies, 0.99) * 1e3, len(latencies), non_2xx, dict(errors))
