"""Why a request was refused.

Each exception names one reason a caller needs to tell apart (the API layer maps the
class to a status and a version-specific body) and carries `reason`, the precise
explanation for a human, which goes to a response header and the request journal but
never into the real-looking body.
"""
from __future__ import annotations


class AuthError(Exception):
    status = 401

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- 401: the credential does not establish who is calling -------------------------

class AuthenticationError(AuthError):
    """No usable credential: missing header, unknown scheme, undecodable Basic."""


class InvalidKey(AuthenticationError):
    """Basic auth with an unknown key id or a wrong secret."""


class InvalidToken(AuthenticationError):
    """A bearer token that is not a valid JWT signed by a known key: v1 says "Invalid JWT"."""


class ExpiredToken(InvalidToken):
    """`exp` is at or before the server clock."""


class ImmatureToken(InvalidToken):
    """`nbf` is after the server clock."""


class MissingKeyId(InvalidToken):
    """The JWT header has no `kid`: v1 says so in its own words."""


class InvalidClaims(InvalidToken):
    """Signed correctly, but the body is unusable (no scope, a scope the key may not sign,
    no userId / external_id).  `detail` is the public half of v1's "Invalid JWT body. <detail>"."""

    def __init__(self, detail: str, reason: str | None = None):
        super().__init__(reason or detail)
        self.detail = detail


# --- 403 / 404: who is calling is known, and may not do this ------------------------

class AuthorizationError(AuthError):
    status = 403


class ScopeNotAllowed(AuthorizationError):
    """The route does not accept this credential's scope (or key owner)."""


class AppMismatch(AuthorizationError):
    """An app-bound credential (app, appUser, integration) names another app in the path."""


class AppNotFound(AuthorizationError):
    """An account-level credential names an app outside its account or grant, or no app at all."""

    status = 404


class InvalidScope(ScopeNotAllowed):
    """The SDK API (/sdk) takes user credentials only; an app, account or integration
    credential there gets v1's "Invalid scope" (observed on the SDK login)."""


class UserMismatch(AuthorizationError):
    """An appUser / user credential names another user in the path."""


class ServiceAccountMismatch(AuthorizationError):
    """`filter[serviceAccountId]` names a service account the caller may not speak for."""
