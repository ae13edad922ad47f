"""The Authorization header, parsed into a credential (or a refusal saying why not)."""
from __future__ import annotations

import base64
import binascii
import re
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

    Scheme names are case-insensitive (RFC 7235; the official clients only send `Basic` and
    `Bearer`); the parts must be separated by exactly one space.  WSGI servers join repeated
    headers with ", ", so several Authorization headers arrive as one value.
    """
    if not values:
        raise AuthenticationError("no Authorization header")
    repeated = len(values) if len(values) > 1 else len(_JOINED_SCHEMES.findall(values[0])) + 1
    if repeated > 1:
        raise AuthenticationError(f"{repeated} Authorization headers; send exactly one")
    parts = values[0].split(" ")
    if len(parts) != 2 or not parts[1]:
        raise AuthenticationError("Authorization header is not '<scheme> <credentials>' with a single space")
    scheme, payload = parts
    if scheme.lower() == "bearer":
        return Bearer(payload)
    if scheme.lower() == "basic":
        return _parse_basic(payload)
    raise AuthenticationError(f"unsupported Authorization scheme {scheme[:20]!r}; use Basic or Bearer")


_JOINED_SCHEMES = re.compile(r", *(?:basic|bearer) ", re.IGNORECASE)


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
