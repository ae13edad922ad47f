"""JWTs: verify one against the key named by its `kid`, and mint one.

PyJWT checks the signature with an explicit algorithm list (HS256 only: `alg: none` and
every other algorithm are refused before any key is used).  The time claims are checked
here, against the server's clock rather than the wall clock, one `_validate_<claim>` each.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import math
import warnings

import jwt

from .errors import ExpiredToken, ImmatureToken, InvalidClaims, InvalidToken, MissingKeyId
from .principal import Key

ALGORITHMS = ["HS256"]

# Real keys from before 2018 have 24-byte secrets (smooch-auth.md section 1); they are
# valid for the service, so PyJWT's advice to use 32 bytes is not ours to repeat.
warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)

# PyJWT would check exp/nbf/iat against the wall clock; the server clock decides instead,
# and `iat` is accepted and ignored (the official v1 JS library adds it).
_PYJWT_OPTIONS = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,  # the service reads only scope, userId / external_id and the time claims
    "verify_jti": False,
}


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
    header = _read_header(token)
    key = _validate_kid(header, find_key)
    try:
        claims = jwt.decode(token, key.secret, algorithms=ALGORITHMS, options=_PYJWT_OPTIONS)
    except jwt.InvalidSignatureError:
        raise InvalidToken(f"JWT signature does not match the secret of key {key.id}") from None
    except jwt.PyJWTError as error:
        raise InvalidToken(f"JWT rejected: {error}") from None
    _validate_exp(claims, now, options.leeway)
    _validate_nbf(claims, now, options.leeway)
    return key, claims


def _read_header(token: str) -> dict:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidToken(f"not a JWT: {error}") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidToken(f"JWT alg {str(alg)[:20]!r} is not accepted; only HS256")
    return header


def _validate_kid(header: dict, find_key: Callable[[str], Key | None]) -> Key:
    kid = header.get("kid")
    if kid is None or kid == "":
        raise MissingKeyId("JWT header has no kid")
    if not isinstance(kid, str):
        raise InvalidToken(f"JWT kid is a {type(kid).__name__}, not a string")
    key = find_key(kid)
    if key is None:
        raise InvalidToken(f"JWT kid {kid[:64]!r} names no existing key")
    return key


def _numeric_date(claims: dict, name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidToken(f"JWT {name} must be a finite number of seconds, got {str(value)[:32]}")
    return float(value)


def _validate_exp(claims: dict, now: float, leeway: float) -> None:
    exp = _numeric_date(claims, "exp")
    if exp is not None and exp <= now - leeway:
        raise ExpiredToken(f"jwt expired at {_iso(exp)}, server time {_iso(now)}")


def _validate_nbf(claims: dict, now: float, leeway: float) -> None:
    nbf = _numeric_date(claims, "nbf")
    if nbf is not None and nbf > now + leeway:
        raise ImmatureToken(f"jwt not valid before {_iso(nbf)}, server time {_iso(now)}")


def _iso(timestamp: float) -> str:
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{timestamp:g}s since the epoch"


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


__all__ = ["ALGORITHMS", "VerifyOptions", "verify", "mint", "claims_for", "InvalidClaims"]
