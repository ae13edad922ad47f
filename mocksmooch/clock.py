"""The one clock.  Token expiry, timestamps and the journal all read time from here.

Tests move it (`advance`, `set`, `freeze`) through the control API instead of sleeping.
While running, it is the wall clock plus an offset; while frozen, it stands still.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class Clock:
    def __init__(self, start: float | None = None, wall=time.time):
        self._wall = wall
        self._lock = threading.Lock()
        self._start = start
        self.reset()

    def reset(self) -> None:
        """Back to the configured start (or the wall clock), running."""
        with self._lock:
            self._offset = 0.0 if self._start is None else self._start - self._wall()
            self._frozen_at: float | None = None

    def now(self) -> float:
        """Seconds since the epoch, as the server sees them."""
        frozen_at = self._frozen_at
        return frozen_at if frozen_at is not None else self._wall() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def set(self, timestamp: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = timestamp
            else:
                self._offset = timestamp - self._wall()

    def freeze(self, frozen: bool) -> None:
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = self._wall() + self._offset
            elif not frozen and self._frozen_at is not None:
                self._offset = self._frozen_at - self._wall()
                self._frozen_at = None


def rfc3339(timestamp: float) -> str:
    """`2026-11-27T10:00:00.000Z`: the millisecond UTC form the Smooch API uses."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}.{moment.microsecond // 1000:03d}Z")  # (strftime takes a third longer)


def parse_rfc3339(text: str) -> float:
    """Seconds since the epoch; raises ValueError on anything that is not RFC 3339 with an offset."""
    if not isinstance(text, str) or "T" not in text.upper():
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"RFC 3339 timestamp needs a UTC offset or Z: {text!r}")
    return moment.timestamp()
