"""The request journal: what was asked, what was answered, and who was (or was not) let in.

Bounded, so a long-running server or test session cannot grow without limit; the oldest
entries go first.
"""
from __future__ import annotations

import threading
from collections import deque

DEFAULT_SIZE = 1000


class Journal:
    def __init__(self, size: int = DEFAULT_SIZE):
        self._entries: deque[dict] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._next_id = 1

    def record(self, entry: dict) -> dict:
        with self._lock:
            entry = {"id": self._next_id, **entry}
            self._next_id += 1
            self._entries.append(entry)
        return entry

    def entries(self) -> list[dict]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
