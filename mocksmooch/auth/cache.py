"""Verified credentials, remembered so a token sent again costs a dictionary look-up, not a
signature check (a test suite sends the same few tokens thousands of times), and a Basic
key id and secret sent again cost one, not a key look-up and comparison.

An entry is keyed by the whole token string, or by ("basic", key id, secret), so a
credential that differs in any byte (another claim, another signature, another secret) is
verified afresh.  What a cached entry cannot know is checked on
every use, in `authenticate`:

    expiry and not-before   against the server's clock, which tests move
    the signing key         still there with the same secret: looked up again whenever the
                            directory has changed since the entry was last confirmed

Only successes are cached; a refused token is refused by the full check each time, with its
precise reason.  The cache is bounded (least recently used entries go first).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Hashable

from .principal import Principal

DEFAULT_SIZE = 4096


@dataclass
class VerifiedToken:
    principal: Principal
    exp: float | None
    nbf: float | None
    # The directory's version when the key was last found unchanged.
    confirmed_at: int


class VerifiedTokens:
    def __init__(self, size: int = DEFAULT_SIZE):
        self.size = size
        self._entries: OrderedDict[Hashable, VerifiedToken] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: Hashable) -> VerifiedToken | None:
        with self._lock:
            entry = self._entries.get(token)
            if entry is not None:
                self._entries.move_to_end(token)
            return entry

    def put(self, token: Hashable, entry: VerifiedToken) -> None:
        with self._lock:
            self._entries[token] = entry
            self._entries.move_to_end(token)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, token: Hashable) -> None:
        with self._lock:
            self._entries.pop(token, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
