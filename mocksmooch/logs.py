"""One log line per request on stdout: readable text, or JSON (MOCKSMOOCH_LOG_FORMAT=json)
for log collectors.  Both carry the auth outcome.

`mocksmooch serve` writes request lines with `RequestLines`, from a thread of its own and in
batches, so a request only queues its journal entry: no formatting, no handler lock and no
write on the request's thread (measured: the logging module cost each request about as
much as its authentication).  Embedded elsewhere (create_app in your own process), request
lines go to the `mocksmooch.requests` logger, for your logging configuration to route.
"""
from __future__ import annotations

import json
import logging
import queue
import sys
import threading
import time
from typing import TextIO

FORMATS = ("text", "json")

requests_log = logging.getLogger("mocksmooch.requests")


def request_line(entry) -> str:
    """`GET /v2/apps 200 allowed: <reason> (0.8 ms)`, from a journal.Entry."""
    reason = entry.auth_reason
    query = f"?{entry.query}" if entry.query else ""
    status = "dropped" if entry.status is None else entry.status
    because = f": {reason}" if reason else ""
    fault = f" [fault {entry.fault['id']}]" if entry.fault else ""
    return f"{entry.method} {entry.path}{query} {status} {entry.outcome}{because} ({entry.duration_ms:.1f} ms){fault}"


def request_json(entry) -> str:
    return json.dumps(entry.as_json(), separators=(",", ":"))


def to_logging(entry) -> None:
    """The request line, through the logging module (when INFO is enabled for it)."""
    if requests_log.isEnabledFor(logging.INFO):
        requests_log.info("%s", request_line(entry), extra={"entry": entry})


class RequestLines:
    """Writes request lines to `stream` from a background thread; `close()` writes what is
    queued and stops it (call it before the server's last line).

    A stream nobody reads (a full pipe) must not stop the server nor fill its memory: past
    MAX_QUEUED waiting lines, new ones are dropped and counted, and a line says how many
    once the stream takes lines again.  The journal keeps every request either way."""

    BATCH = 1000
    MAX_QUEUED = 100_000
    # Collecting lines for a moment before writing them wakes the thread once per batch
    # rather than once per request, which costs a busy server far more than the delay.
    GATHER_SECONDS = 0.02
    _STOP = object()

    def __init__(self, stream: TextIO, log_format: str = "text"):
        self._stream = stream
        self._json = log_format == "json"
        self._render = request_json if self._json else request_line
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._dropped = 0
        self._dropped_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="mocksmooch-request-lines", daemon=True)
        self._thread.start()

    def __call__(self, entry) -> None:
        if self._queue.qsize() < self.MAX_QUEUED:
            self._queue.put(entry)
            return
        with self._dropped_lock:
            self._dropped += 1

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(self._STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            if batch[0] is not self._STOP:
                time.sleep(self.GATHER_SECONDS)
            while len(batch) < self.BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            lines = [self._render(entry) for entry in batch if entry is not self._STOP]
            self._write(lines + self._dropped_notice())
            if any(entry is self._STOP for entry in batch):
                return

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        try:
            self._stream.write("\n".join(lines) + "\n")
            self._stream.flush()
        except (OSError, ValueError):  # stdout closed or gone: the lines have nowhere to go
            pass

    def _dropped_notice(self) -> list[str]:
        with self._dropped_lock:
            dropped, self._dropped = self._dropped, 0
        if not dropped:
            return []
        message = (f"mocksmooch: {dropped} request line(s) not logged: more than {self.MAX_QUEUED:,} were "
                   "waiting for stdout (is it read?); the journal, GET /_mocksmooch/requests, keeps the latest")
        return [json.dumps({"level": "warning", "message": message}) if self._json else message]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = getattr(record, "entry", None)  # a journal.Entry, for request lines
        if entry is not None:
            return request_json(entry)
        return json.dumps({"level": record.levelname.lower(), "message": record.getMessage()},
                          separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """The message alone (what `%(message)s` gives), without looking for fields to fill in."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.stack_info:
            return super().format(record)
        return record.getMessage()


def configure(log_format: str = "text") -> None:
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # "Client disconnected while serving ..." at INFO: misleading when a fault rule dropped it.
    logging.getLogger("waitress").setLevel(logging.WARNING)
