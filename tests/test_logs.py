"""Request lines of `mocksmooch serve`: written off the request thread, in order, all of them
by the time the server stops, and never at the cost of the server's memory."""
from __future__ import annotations

import io
import json
import threading

from mocksmooch.journal import Entry
from mocksmooch.logs import RequestLines


def _entry(n: int, status: int = 200) -> Entry:
    return Entry(time=1_800_000_000.0 + n, method="GET", path=f"/v2/apps/{n}", query="", status=status,
                 duration_ms=0.25)


def test_lines_come_in_order_and_close_writes_them_all():
    stream = io.StringIO()
    lines = RequestLines(stream)
    for n in range(2500):  # more than one batch
        lines(_entry(n))
    lines.close()
    written = stream.getvalue().splitlines()
    assert written == [f"GET /v2/apps/{n} 200 none (0.2 ms)" for n in range(2500)]


def test_json_lines_are_the_journal_entries():
    stream = io.StringIO()
    lines = RequestLines(stream, "json")
    lines(_entry(7, status=None))
    lines.close()
    entry = json.loads(stream.getvalue())
    assert entry["path"] == "/v2/apps/7" and entry["status"] is None and entry["auth"] == {"outcome": "none"}
    assert entry["time"] == "2027-01-15T08:00:07.000Z"


class BlockedStream(io.StringIO):
    """stdout as a pipe nobody reads: every write waits until `release` is set."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.release.wait(10)
        return super().write(text)


class FewLines(RequestLines):
    MAX_QUEUED = 3


def test_a_stream_nobody_reads_costs_dropped_lines_not_memory():
    stream = BlockedStream()
    lines = FewLines(stream)
    for n in range(50):
        lines(_entry(n))
    assert lines._queue.qsize() <= FewLines.MAX_QUEUED
    stream.release.set()
    lines.close()
    written = stream.getvalue().splitlines()
    notice = written[-1]
    assert notice.startswith("mocksmooch: ") and "request line(s) not logged" in notice
    dropped = int(notice.split()[1])
    assert written[:-1] == [f"GET /v2/apps/{n} 200 none (0.2 ms)" for n in range(len(written) - 1)]
    assert len(written) - 1 + dropped == 50 and dropped > 0
