"""Authentication and authorization, with no knowledge of HTTP frameworks or routes.

    Authorization header -> credential -> principal (authenticate)
    principal + the route's policy + the path's app and user -> decision (authorize)

Every refusal is an AuthError subclass carrying the precise reason.
"""
from .authenticate import authenticate
from .cache import VerifiedTokens
from .errors import (
    AppMismatch, AppNotFound, AuthenticationError, AuthError, AuthorizationError, ExpiredToken,
    ImmatureToken, InvalidClaims, InvalidKey, InvalidScope, InvalidToken, MissingKeyId, ScopeNotAllowed,
    ServiceAccountMismatch, UserMismatch,
)
from .policy import PUBLIC, Policy, allow, authorize, check_service_account_filter
from .principal import KEY_PREFIXES, Directory, Key, Principal
from .tokens import VerifyOptions, claims_for, mint

__all__ = [
    "authenticate", "VerifiedTokens", "authorize", "allow", "check_service_account_filter", "Policy", "PUBLIC",
    "Directory", "Key", "Principal", "KEY_PREFIXES", "VerifyOptions", "mint", "claims_for",
    "AuthError", "AuthenticationError", "InvalidKey", "InvalidToken", "ExpiredToken",
    "ImmatureToken", "MissingKeyId", "InvalidClaims", "AuthorizationError", "ScopeNotAllowed",
    "AppMismatch", "AppNotFound", "UserMismatch", "ServiceAccountMismatch", "InvalidScope",
]
