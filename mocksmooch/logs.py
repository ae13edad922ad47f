"""One log line per request on stdout: readable text, or JSON (MOCKSMOOCH_LOG_FORMAT=json)
for log collectors.  Both carry the auth outcome."""
from __future__ import annotations

import json
import logging
import sys

FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = getattr(record, "entry", None)
        if entry is None:
            entry = {"level": record.levelname.lower(), "message": record.getMessage()}
        return json.dumps(entry, separators=(",", ":"))


def configure(log_format: str = "text") -> None:
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # "Client disconnected while serving ..." at INFO: misleading when a fault rule dropped it.
    logging.getLogger("waitress").setLevel(logging.WARNING)
