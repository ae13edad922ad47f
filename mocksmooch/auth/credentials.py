"""The Authorization header, parsed into a credential (or a refusal saying why not)."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from .errors import AuthenticationError


@dataclass(frozen=True)
class Basic:
    key_id: str
    secret: str


@dataclass(frozen=True)
class Bearer:
    token: str


Credential = Basic | Bearer


def parse_authorization(values: list[str]) -> Credential:
    """Parse the Authorization header values of one request.

    Scheme names are case-insensitive (RFC 7235), as the Node middleware the real service
    is built on treats them; the parts must be separated by exactly one space.
    """
    if not values:
        raise AuthenticationError("no Authorization header")
    if len(values) > 1:
        raise AuthenticationError(f"{len(values)} Authorization headers; send exactly one")
    parts = values[0].split(" ")
    if len(parts) != 2 or not parts[1]:
        raise AuthenticationError("Authorization header is not '<scheme> <credentials>' with a single space")
    scheme, payload = parts
    if scheme.lower() == "bearer":
        return Bearer(payload)
    if scheme.lower() == "basic":
        return _parse_basic(payload)
    raise AuthenticationError(f"unsupported Authorization scheme {scheme[:20]!r}; use Basic or Bearer")


def _parse_basic(payload: str) -> Basic:
    try:
        decoded = base64.b64decode(payload, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise AuthenticationError("Basic credentials are not valid base64 of UTF-8 text") from None
    key_id, colon, secret = decoded.partition(":")
    if not colon:
        raise AuthenticationError("Basic credentials have no ':' between key id and secret")
    if not key_id:
        raise AuthenticationError("Basic credentials have an empty key id")
    return Basic(key_id, secret)
