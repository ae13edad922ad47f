"""One running mock: the store, the clock and the journal, and what every surface
(HTTP control API, CLI, pytest plugin) does with them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import auth
from .clock import Clock
from .faults import Faults
from .journal import Entry, Journal
from .logs import to_logging
from .store import Store
from .webhooks import Webhooks


class UnknownKey(LookupError):
    pass


class ConfigError(Exception):
    """A setting (option or MOCKSMOOCH_* variable) that cannot be used; says which and why."""


@dataclass
class Mock:
    store: Store
    clock: Clock = field(default_factory=Clock)
    journal: Journal = field(default_factory=Journal)
    verify_options: auth.VerifyOptions = field(default_factory=auth.VerifyOptions)
    verified_tokens: auth.VerifiedTokens = field(default_factory=auth.VerifiedTokens)
    webhooks: Webhooks = field(init=False)
    faults: Faults = field(default_factory=Faults)
    # Where request lines go: the logging module, or `mocksmooch serve`'s logs.RequestLines.
    request_log: Callable[[Entry], None] = to_logging

    def __post_init__(self) -> None:
        self.webhooks = Webhooks(self.store, self.clock)

    def reset(self, seed: dict | None = None) -> None:
        """Seeded state, clock, journal, webhook deliveries and fault rules back to the start,
        together: requests wait on the store while it happens, so none sees the new state with
        the old clock.  `seed` (a normalized seed) replaces the base seed until the next reset."""
        with self.store.exclusive():
            self.store.reset(seed)
            self.clock.reset()
            self.journal.clear()
            self.webhooks.clear()
            self.faults.reset()
            self.verified_tokens.clear()

    def mint(self, key_id: str, scope: str, *, user_id: str | None = None,
             external_id: str | None = None, expires_in: float | None = None) -> str:
        """A JWT signed with an existing key, as a customer's backend would sign one.

        Any scope may be minted, including ones the key may not sign: tests of
        rejections need those tokens too.
        """
        key = self.store.find_key(key_id)
        if key is None:
            raise UnknownKey(f"no key {key_id!r}")
        expires_at = None if expires_in is None else self.clock.now() + expires_in
        claims = auth.claims_for(scope, user_id=user_id, external_id=external_id, expires_at=expires_at)
        return auth.mint(key, claims)
