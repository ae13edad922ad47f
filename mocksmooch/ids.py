"""Identifiers and secrets in the real service's formats (smooch-auth.md section 1)."""
from __future__ import annotations

import hashlib
import secrets


def object_id() -> str:
    """24 lowercase hex, like the service's Mongo-style ids."""
    return secrets.token_hex(12)


def key_id(prefix: str) -> str:
    """`app_` / `act_` / `svc_` / `int_` + 24 lowercase hex."""
    return prefix + object_id()


def secret() -> str:
    """86 base64url characters: 64 random bytes without padding, as keys issued today."""
    return secrets.token_urlsafe(64)


_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def app_token(derived_from: str | None = None) -> str:
    """The legacy appToken: 25 lowercase alphanumerics.  Seeded apps derive theirs from
    their id, so the same seed always shows the same token."""
    if derived_from is None:
        number = int.from_bytes(secrets.token_bytes(16), "big")
    else:
        number = int.from_bytes(hashlib.sha256(f"appToken:{derived_from}".encode()).digest(), "big")
    digits = []
    for _ in range(25):
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(digits)
