"""The request journal: what was asked, what was answered, and who was (or was not) let in.

Bounded, so a long-running server or test session cannot grow without limit; the oldest
entries go first.  An entry keeps the request's raw values and becomes JSON only when read:
most entries of a busy server never are, and rendering them all would cost every request.
"""
from __future__ import annotations

import threading
from collections import deque

from .clock import rfc3339

DEFAULT_SIZE = 1000


class Entry:
    __slots__ = ("id", "time", "method", "path", "query", "status", "principal", "error", "reason",
                 "duration_ms", "fault")

    def __init__(self, *, time: float, method: str, path: str, query: str, status: int | None,
                 principal=None, error=None, reason: str | None = None, duration_ms: float = 0.0,
                 fault: dict | None = None):
        self.id = 0
        self.time, self.method, self.path, self.query, self.status = time, method, path, query, status
        self.principal, self.error, self.reason = principal, error, reason
        self.duration_ms, self.fault = duration_ms, fault

    @property
    def outcome(self) -> str:
        return "rejected" if self.error is not None else "allowed" if self.principal is not None else "none"

    @property
    def auth_reason(self) -> str | None:
        """Why the request was let in or refused (None for one that needed no credential)."""
        return self.error.reason if self.error is not None else self.reason

    def auth(self) -> dict:
        """The authentication outcome: allowed or rejected, the reason, and the caller."""
        if self.outcome == "none":
            return {"outcome": "none"}
        caller = self.principal.as_json() if self.principal is not None else None
        return {"outcome": self.outcome, "reason": self.auth_reason, "principal": caller}

    def as_json(self) -> dict:
        entry = {"id": self.id} if self.id else {}  # requests to the control API get none
        entry.update({
            "time": rfc3339(self.time),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "auth": self.auth(),
            "durationMs": round(self.duration_ms, 3),
        })
        if self.fault is not None:  # injected by a fault rule (mocksmooch.faults)
            entry["fault"] = self.fault
        return entry


class Journal:
    def __init__(self, size: int = DEFAULT_SIZE):
        self._entries: deque[Entry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._next_id = 1

    def record(self, entry: Entry) -> Entry:
        with self._lock:
            entry.id = self._next_id
            self._next_id += 1
            self._entries.append(entry)
        return entry

    def entries(self) -> list[dict]:
        with self._lock:
            entries = list(self._entries)
        return [entry.as_json() for entry in entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
