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

# Optional whitespace around a header value is not part of it (RFC 7230 section 3.2.4).
# waitress strips it and Werkzeug's development server does not; stripping here makes
# both answer alike, and as a Node server (the real service) does.
_OWS = " \t"
# A "," and the start of another header value: the end, another ",", or an RFC 7230 token
# (a scheme, or a bare value) ending in a space or the end.
_JOINED = re.compile(r",[ \t]*(?:$|(?=,)|[-!#$%&'*+.^_`|~0-9A-Za-z]+(?:[ \t]|$))")


def parse_authorization(values: list[str]) -> Credential:
    """Parse the Authorization header values of one request.

    Scheme names are case-insensitive (RFC 7235; the official clients only send `Basic` and
    `Bearer`); the parts must be separated by exactly one space.  WSGI servers join repeated
    headers with "," (Werkzeug) or ", " (waitress), so several Authorization headers arrive
    as one value.  Basic and Bearer credentials (token68) never contain ",", so a ","
    starts another header's value when what follows it could: nothing (an empty header),
    a scheme and a space, or a bare token.
    """
    if not values:
        raise AuthenticationError("no Authorization header")
    repeated = sum(len(_JOINED.findall(value)) + 1 for value in values)
    if repeated > 1:
        raise AuthenticationError(f"{repeated} Authorization headers; send exactly one")
    parts = values[0].strip(_OWS).split(" ")
    if len(parts) != 2 or not parts[1]:
        raise AuthenticationError("Authorization header is not '<scheme> <credentials>' with a single space")
    scheme, payload = parts
    if scheme.lower() == "bearer":
        return Bearer(payload)
    if scheme.lower() == "basic":
        return _parse_basic(payload)
    raise AuthenticationError(f"unsupported Authorization scheme {scheme[:20]!r}; use Basic or Bearer")


def _parse_basic(payload: str) -> Basic:
    """Strict base64 (padding required, no whitespace, canonical), UTF-8 text, split at
    the first ':'; a real secret has no ':', a legacy fixture secret may."""
    try:
        raw = base64.b64decode(payload, validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        raise AuthenticationError("Basic credentials are not valid base64 of UTF-8 text") from None
    if base64.b64encode(raw).decode() != payload:
        raise AuthenticationError("Basic credentials are not canonical base64 (the last character "
                                  "has unused bits set)")
    key_id, colon, secret = decoded.partition(":")
    if not colon:
        raise AuthenticationError("Basic credentials have no ':' between key id and secret")
    if not key_id:
        raise AuthenticationError("Basic credentials have an empty key id")
    return Basic(key_id, secret)
