"""Credential -> principal: who is calling, or an AuthenticationError saying why not."""
from __future__ import annotations

import hmac

from .credentials import Basic, Bearer, parse_authorization
from .errors import InvalidClaims, InvalidKey
from .principal import BASIC_SCOPE, OWNER_WORDS, SIGNABLE_SCOPES, Directory, Key, Principal
from .tokens import VerifyOptions, verify

# The claim naming the user, for the scopes that speak for one user.
USER_CLAIMS = {"appUser": "userId", "user": "external_id"}


def authenticate(
    authorization: list[str],
    directory: Directory,
    now: float,
    options: VerifyOptions = VerifyOptions(),
) -> Principal:
    credential = parse_authorization(authorization)
    if isinstance(credential, Basic):
        return _authenticate_basic(credential, directory)
    return _authenticate_bearer(credential, directory, now, options)


def _authenticate_basic(credential: Basic, directory: Directory) -> Principal:
    key = directory.find_key(credential.key_id)
    if key is None:
        raise InvalidKey(f"Basic key id {credential.key_id[:64]!r} names no existing key")
    if not hmac.compare_digest(credential.secret.encode(), key.secret.encode()):
        raise InvalidKey(f"wrong secret for key {key.id}")
    if key.owner not in BASIC_SCOPE:
        raise InvalidKey(f"key {key.id} signs {OWNER_WORDS[key.owner]} tokens and cannot be used with Basic auth")
    return Principal(key=key, scope=BASIC_SCOPE[key.owner], method="basic")


def _authenticate_bearer(credential: Bearer, directory: Directory, now: float,
                         options: VerifyOptions) -> Principal:
    key, claims = verify(credential.token, directory.find_key, now, options)
    scope = _validate_scope(claims, key)
    user = _validate_user(claims, scope)
    return Principal(key=key, scope=scope, method="jwt", user=user)


def _validate_scope(claims: dict, key: Key) -> str:
    scope = claims.get("scope")
    if scope is None:
        raise InvalidClaims("Missing scope", f"JWT signed by {key.id} has no scope claim")
    if not isinstance(scope, str):
        raise InvalidClaims("Invalid scope", f"JWT scope is a {type(scope).__name__}, not a string")
    if scope not in SIGNABLE_SCOPES[key.owner]:
        known = set().union(*SIGNABLE_SCOPES.values())
        if scope not in known:
            raise InvalidClaims("Invalid scope", f"JWT scope {scope[:32]!r} is not a Smooch scope")
        detail = f"Cannot use {scope} scope with {OWNER_WORDS[key.owner]} secret key"
        raise InvalidClaims(detail, f"{detail} ({key.id})")
    return scope


def _validate_user(claims: dict, scope: str) -> str | None:
    claim = USER_CLAIMS.get(scope)
    if claim is None:
        return None
    value = claims.get(claim)
    if value is None:
        raise InvalidClaims(f"Missing {claim}", f"{scope}-scoped JWT has no {claim} claim")
    if not isinstance(value, str) or not value:
        raise InvalidClaims(f"{claim} must be a string",
                            f"{scope}-scoped JWT {claim} is {value!r}, not a non-empty string")
    return value
