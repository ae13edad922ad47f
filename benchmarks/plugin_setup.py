"""Run in a fresh interpreter by run.py: what the pytest plugin's session fixture costs.

It does what `mocksmooch_server` does for a session without MOCKSMOOCH_URL or a fixture
file (LiveServer({"FIXTURES": None})), waits for the health route's first 200, then does
what the first test's `mocksmooch` fixture does (MockSmooch(url).reset(None)).  The plugin
module itself is imported before the clock starts: pytest imports it at startup, before
any fixture runs.  Prints one JSON line of seconds.
"""
from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

from mocksmooch.client import MockSmooch
from mocksmooch.pytest_plugin import LiveServer


def first_200(url: str, timeout: float = 30.0) -> None:
    parts = urlsplit(url)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
        try:
            connection.request("GET", "/_mocksmooch/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.001)
        finally:
            connection.close()
    raise SystemExit(f"{url}/_mocksmooch/health did not answer 200 within {timeout:.0f} s")


def main() -> None:
    started = time.perf_counter()
    server = LiveServer({"FIXTURES": None})
    try:
        first_200(server.url)
        ready = time.perf_counter()
        MockSmooch(server.url).reset(None)
        reset = time.perf_counter()
    finally:
        server.stop()
    print(json.dumps({"session_setup_s": ready - started, "first_reset_s": reset - ready}))


if __name__ == "__main__":
    main()
