"""Credential -> principal: who is calling, or an AuthenticationError saying why not.

Given a `VerifiedTokens` cache, a JWT seen before skips its signature check, and a Basic
key id and secret seen before skip the key's look-up and comparison; the lifetime of a
token and the key of either are checked again each time (auth.cache says why that is
enough)."""
from __future__ import annotations

import hmac

from .cache import VerifiedToken, VerifiedTokens
from .credentials import Basic, Bearer, parse_authorization
from .errors import InvalidClaims, InvalidKey
from .principal import BASIC_SCOPE, OWNER_WORDS, SIGNABLE_SCOPES, Directory, Key, Principal
from .tokens import VerifyOptions, check_lifetime, lifetime, verify

# The claim naming the user, for the scopes that speak for one user.
USER_CLAIMS = {"appUser": "userId", "user": "external_id"}


def authenticate(
    authorization: list[str],
    directory: Directory,
    now: float,
    options: VerifyOptions = VerifyOptions(),
    verified: VerifiedTokens | None = None,
) -> Principal:
    credential = parse_authorization(authorization)
    if isinstance(credential, Basic):
        if verified is not None:
            return _authenticate_basic_cached(credential, directory, verified)
        return _authenticate_basic(credential, directory)
    if verified is not None:
        return _authenticate_bearer_cached(credential, directory, now, options, verified)
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


def _authenticate_basic_cached(credential: Basic, directory: Directory, verified: VerifiedTokens) -> Principal:
    pair = ("basic", credential.key_id, credential.secret)  # never equal to a token (a str)
    entry = verified.get(pair)
    if entry is not None:
        if _still_valid(entry, directory):
            return entry.principal
        verified.forget(pair)
    version = directory.version
    principal = _authenticate_basic(credential, directory)
    verified.put(pair, VerifiedToken(principal, None, None, confirmed_at=version))
    return principal


def _authenticate_bearer(credential: Bearer, directory: Directory, now: float,
                         options: VerifyOptions) -> Principal:
    return _verify_bearer(credential, directory, now, options)[0]


def _verify_bearer(credential: Bearer, directory: Directory, now: float,
                   options: VerifyOptions) -> tuple[Principal, dict]:
    key, claims = verify(credential.token, directory.find_key, now, options)
    scope = _validate_scope(claims, key)
    user = _validate_user(claims, scope)
    return Principal(key=key, scope=scope, method="jwt", user=user), claims


def _authenticate_bearer_cached(credential: Bearer, directory: Directory, now: float,
                                options: VerifyOptions, verified: VerifiedTokens) -> Principal:
    entry = verified.get(credential.token)
    if entry is not None:
        if _still_valid(entry, directory):
            check_lifetime(entry.exp, entry.nbf, now, options)
            return entry.principal
        verified.forget(credential.token)
    version = directory.version  # read before the key is: a change meanwhile forces a re-check
    principal, claims = _verify_bearer(credential, directory, now, options)
    verified.put(credential.token, VerifiedToken(principal, *lifetime(claims), confirmed_at=version))
    return principal


def _still_valid(entry: VerifiedToken, directory: Directory) -> bool:
    """Whether the key that signed the cached token is still there, with the same secret.
    Without a change in the directory since the last check, it is."""
    version = directory.version
    if entry.confirmed_at == version:
        return True
    if directory.find_key(entry.principal.key.id) != entry.principal.key:
        return False  # deleted or changed: the full check answers, with its reason
    entry.confirmed_at = version
    return True


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
