"""JWTs: verify one against the key named by its `kid`, and mint one.

A token is read here, one `_validate_<part>` each, before any key is used, so what is
refused does not depend on the PyJWT release (pyjwt>=2.8: releases differ in how leniently
they decode base64 and in what `crit` they accept).  In this order, the first failure answers:

    format   exactly three segments of the base64url alphabet, unpadded and canonical:
             the `jws` regex that jsonwebtoken (the library the 2016 docs name) runs first
    header   a JSON object in UTF-8, every string of it Unicode text
    alg      one of ALGORITHMS (HS256 only): `none` and every other algorithm are refused
    crit     refused whatever it names: no JWS extension is understood (RFC 7515 4.1.11)
    kid      a string naming an existing key; the signature is checked with THAT key's
             secret, so a kid naming a real key of another kind only changes which secret
             a forger would need
    signature  PyJWT, with the explicit algorithm list
    claims   a JSON object, read like the header
    exp, nbf against the server's clock rather than the wall clock
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import jwt
from jwt import api_jws

from .errors import ExpiredToken, ImmatureToken, InvalidClaims, InvalidToken, MissingKeyId
from .principal import Key

ALGORITHMS = ["HS256"]

# Real keys from before 2018 have 24-byte secrets (smooch-auth.md section 1); they are
# valid for the service, so PyJWT's advice to use 32 bytes is not ours to repeat.
warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)

# RFC 7515 section 2: base64url without '=' padding; jws's JWS_REGEX allows nothing else.
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_SEGMENT_NAMES = ("header", "payload", "signature")


@dataclass(frozen=True)
class VerifyOptions:
    leeway: float = 0.0


def verify(
    token: str,
    find_key: Callable[[str], Key | None],
    now: float,
    options: VerifyOptions = VerifyOptions(),
) -> tuple[Key, dict]:
    """Return the signing key and the claims, or raise an InvalidToken saying why not."""
    header_bytes, _ = _validate_format(token)
    header = _read_json(header_bytes, "header")
    _validate_alg(header)
    _validate_crit(header)
    key = _validate_kid(header, find_key)
    payload = _validate_signature(token, key)
    claims = _read_json(payload, "claims")
    _validate_exp(claims, now, options.leeway)
    _validate_nbf(claims, now, options.leeway)
    return key, claims


# --- the token, read before any key is used ---------------------------------------------------

def _validate_format(token: str) -> tuple[bytes, bytes]:
    """The decoded header and payload of a compact JWS: `header.payload.signature`."""
    parts = token.split(".")
    if len(parts) != 3:
        kind = "a JWE (5 segments), not a signed JWT" if len(parts) == 5 else f"{len(parts)} segments"
        raise InvalidToken(f"not a JWT: {kind}; a JWT is header.payload.signature")
    header, payload, _ = (_decode_segment(part, name) for part, name in zip(parts, _SEGMENT_NAMES))
    return header, payload


def _decode_segment(segment: str, name: str) -> bytes:
    if not _SEGMENT.fullmatch(segment):
        bad = next(char for char in segment if not _SEGMENT.fullmatch(char))
        raise InvalidToken(f"not a JWT: the {name} has {bad!r}, which is not base64url without padding")
    if len(segment) % 4 == 1:
        raise InvalidToken(f"not a JWT: the {name} is truncated ({len(segment)} base64url characters)")
    try:
        decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):  # pragma: no cover - the alphabet and length are checked
        raise InvalidToken(f"not a JWT: the {name} is not base64url") from None
    if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode() != segment:
        raise InvalidToken(f"not a JWT: the {name} is not canonical base64url (its last character "
                           "has unused bits set)")
    return decoded


def _read_json(data: bytes, part: str) -> dict:
    """A JSON object of Unicode text.  A UTF-8 BOM, UTF-16 and lone surrogate escapes
    (\\ud800, which no store or log can encode) are refused, and so is nesting deeper than
    MAX_DEPTH (which would only reach code that recurses); repeated names keep the last
    value, as RFC 7515 section 4 allows and JavaScript's JSON.parse does."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidToken(f"not a JWT: the {part} is not UTF-8") from None
    except (ValueError, RecursionError) as error:
        raise InvalidToken(f"not a JWT: the {part} is not JSON ({str(error)[:80]})") from None
    if not isinstance(value, dict):
        raise InvalidToken(f"not a JWT: the {part} is a JSON {_json_type(value)}, not an object")
    _validate_text(value, part)
    return value


MAX_DEPTH = 32


def _validate_text(value: dict, part: str) -> None:
    """Every key and string encodes as UTF-8, and nothing nests deeper than MAX_DEPTH
    (walked without recursion: the parser allows far deeper nesting)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise InvalidToken(f"not a JWT: the {part} nests deeper than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidToken(f"not a JWT: the {part} has a lone UTF-16 surrogate escape, "
                                   "which is not Unicode text") from None


def _json_type(value) -> str:
    names = {list: "array", dict: "object", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _validate_alg(header: dict) -> None:
    if "alg" not in header:
        raise InvalidToken("JWT header has no alg; only HS256 is accepted")
    alg = header["alg"]
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise InvalidToken(f"JWT alg {str(alg)[:20]!r} is not accepted; only HS256")


def _validate_crit(header: dict) -> None:
    if "crit" in header:
        raise InvalidToken(f"JWT header marks {str(header['crit'])[:40]} critical; no JWS extension "
                           "is understood, so the token is refused (RFC 7515 section 4.1.11)")


def _validate_kid(header: dict, find_key: Callable[[str], Key | None]) -> Key:
    kid = header.get("kid")
    if "kid" not in header or kid == "":
        raise MissingKeyId("JWT header has no kid")
    if not isinstance(kid, str):
        raise InvalidToken(f"JWT kid is JSON {_json_type(kid)}, not a string")
    key = find_key(kid)
    if key is None:
        raise InvalidToken(f"JWT kid {kid[:64]!r} names no existing key")
    return key


# --- the signature, with the key the kid names ---------------------------------------------------

def _validate_signature(token: str, key: Key) -> bytes:
    """The payload, once PyJWT has checked the signature with `key`'s secret."""
    try:
        return api_jws.decode(token, key.secret, algorithms=ALGORITHMS)
    except jwt.InvalidSignatureError:
        raise InvalidToken(f"JWT signature does not match the secret of key {key.id}") from None
    except jwt.PyJWTError as error:
        raise InvalidToken(f"JWT rejected: {error}") from None


# --- the claims ------------------------------------------------------------------------------

def _numeric_date(claims: dict, name: str) -> float | None:
    """An absent claim is None; any present value must be a finite number of seconds,
    null included (jsonwebtoken checks `typeof exp !== 'undefined'`, then the type)."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = f" {value[:32]!r}" if isinstance(value, str) else ""
        raise InvalidToken(f"JWT {name} must be a finite number of seconds, got JSON {_json_type(value)}{shown}")
    try:
        number = float(value)
    except OverflowError:
        raise InvalidToken(f"JWT {name} must be a finite number of seconds, got an integer of "
                           f"{len(str(abs(value)))} digits") from None
    if not math.isfinite(number):
        raise InvalidToken(f"JWT {name} must be a finite number of seconds, got {value}")
    return number


def _validate_exp(claims: dict, now: float, leeway: float) -> None:
    _check_exp(_numeric_date(claims, "exp"), now, leeway)


def _validate_nbf(claims: dict, now: float, leeway: float) -> None:
    _check_nbf(_numeric_date(claims, "nbf"), now, leeway)


def _check_exp(exp: float | None, now: float, leeway: float) -> None:
    if exp is not None and exp <= now - leeway:
        raise ExpiredToken(f"jwt expired at {_iso(exp)}, server time {_iso(now)}")


def _check_nbf(nbf: float | None, now: float, leeway: float) -> None:
    if nbf is not None and nbf > now + leeway:
        raise ImmatureToken(f"jwt not valid before {_iso(nbf)}, server time {_iso(now)}")


def lifetime(claims: dict) -> tuple[float | None, float | None]:
    """`exp` and `nbf` of claims that `verify` accepted, as seconds (None when absent)."""
    return _numeric_date(claims, "exp"), _numeric_date(claims, "nbf")


def check_lifetime(exp: float | None, nbf: float | None, now: float,
                   options: VerifyOptions = VerifyOptions()) -> None:
    """The time checks of `verify` again, for a token verified earlier (auth.cache)."""
    _check_exp(exp, now, options.leeway)
    _check_nbf(nbf, now, options.leeway)


def _iso(timestamp: float) -> str:
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{timestamp:g}s since the epoch"


# --- minting -------------------------------------------------------------------------------------

def mint(key: Key, claims: dict, *, typ: bool = True) -> str:
    """A token as the official libraries make one: HS256, `kid` in the header, `typ: JWT`
    (jsonwebtoken's default); the service's own tokens come without `typ`."""
    return jwt.encode(claims, key.secret, algorithm="HS256",
                      headers={"kid": key.id, "typ": "JWT" if typ else None})


def claims_for(scope: str, *, user_id: str | None = None, external_id: str | None = None,
               expires_at: float | None = None) -> dict:
    """The claims a caller of scope `scope` puts in a token."""
    claims: dict = {"scope": scope}
    if user_id is not None:
        claims["userId"] = user_id
    if external_id is not None:
        claims["external_id"] = external_id
    if expires_at is not None:
        claims["exp"] = int(expires_at)
    return claims


__all__ = ["ALGORITHMS", "VerifyOptions", "verify", "lifetime", "check_lifetime", "mint", "claims_for",
           "InvalidClaims"]
