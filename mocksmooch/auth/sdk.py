"""The SDK API's credentials (/sdk/v2): who is calling, and whether it may act here.

The Web, iOS and Android SDKs speak for one user, with one of two credentials
(smooch-auth.md section 6):

    Authorization: Bearer <jwt>      scope `user` + `external_id` (legacy: `appUser` +
                                     `userId`), signed by an `app_` key of the app
    Authorization: Basic base64(appUserId:sessionToken)
                                     an anonymous user, with the token it was given when
                                     it was created (`POST /sdk/v2/apps/{appId}/appusers`)

JWTs are verified by the REST core (`authenticate`); session tokens live on the user
record (`sessionToken`) until the user logs in or out.  The SDK API then decides, in
this order, and the first failure answers (v1 envelope, mapped in api/errors.py):

    1. authentication                      401 (bad session token: `unauthorized`;
                                               bad or expired JWT: `invalid_auth`)
    2. a user credential at all            403 `forbidden` "Invalid scope" (app, account,
                                               integration credentials; observed on login)
    3. the app in the path is the caller's 400 `bad_request` "AppId in path does not
                                               match supplied credentials" (observed)
    4. the user or conversation in the     403 `forbidden` "Forbidden"
       path is the caller's own

No knowledge of HTTP frameworks here: the API layer (api/sdk.py) passes the header
values in and maps the exceptions out.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import ClassVar, Protocol

from .authenticate import authenticate
from .credentials import Basic, parse_authorization
from .errors import AppMismatch, AuthenticationError, InvalidScope, UserMismatch
from .policy import Policy
from .principal import Directory, Principal
from .tokens import VerifyOptions

JWT_SCOPES = ("user", "appUser")   # the v2 SDKs' scope, and the v1-era SDKs'
SESSION_SCOPE = "appUser"          # what a session credential counts as (e.g. for CORS)


class SdkDirectory(Directory, Protocol):
    """What the SDK rules read besides keys: records (the store provides them)."""

    def get(self, kind: str, record_id: str) -> dict | None: ...

    def get_by_alt(self, kind: str, parent: str, alt: str) -> dict | None: ...

    def find_user(self, app_id: str, user_ref: str) -> dict | None: ...


@dataclass(frozen=True)
class SessionPrincipal:
    """An anonymous SDK user, by its session token.  It has the attributes of a
    `Principal` that the journal, the logs and CORS read (`scope`, `describe()`,
    `as_json()`...), and no key."""

    app_id: str
    account_id: str
    user_id: str  # the appUser `_id` the session token belongs to

    scope: ClassVar[str] = SESSION_SCOPE
    method: ClassVar[str] = "session"
    key: ClassVar[None] = None
    service_account_id: ClassVar[None] = None
    integration_id: ClassVar[None] = None
    app_bound: ClassVar[bool] = True

    @property
    def user(self) -> str:
        return self.user_id

    def describe(self) -> str:
        return f"session token of appUser {self.user_id} (app {self.app_id})"

    def as_json(self) -> dict:
        return {"keyId": None, "owner": None, "scope": self.scope, "method": self.method,
                "accountId": self.account_id, "appId": self.app_id, "serviceAccountId": None,
                "integrationId": None, "user": self.user_id}


SdkPrincipal = Principal | SessionPrincipal


@dataclass(frozen=True)
class SdkPolicy(Policy):
    """Who may call an SDK route: a user JWT of the app (`scopes`), a session token when
    `sessions` is set, and, when `own_user` is set, only for the caller's own user and
    conversations (the route checks those it names).  Shown by `mocksmooch routes`."""

    sessions: bool = True
    own_user: bool = True

    def __str__(self) -> str:
        names = sorted(self.scopes, key=JWT_SCOPES.index) + (["session"] if self.sessions else [])
        return ", ".join(names) + (" (own user)" if self.own_user else " (JWT signed by an app key)")


# The user-facing routes (anonymous or logged in), and login (a user JWT only).
USER = SdkPolicy(frozenset(JWT_SCOPES))
LOGIN = SdkPolicy(frozenset(JWT_SCOPES), sessions=False, own_user=False)


# --- 1. authentication -------------------------------------------------------------------------

def authenticate_sdk(authorization: list[str], directory: SdkDirectory, now: float,
                     options: VerifyOptions = VerifyOptions()) -> SdkPrincipal:
    """Bearer: any JWT the REST core accepts (its scope is judged by `authorize_sdk`).
    Basic: `appUserId:sessionToken`; Basic with an API key (`keyId:secret`) is
    authenticated as on REST, so an app key used here is told "Invalid scope", not 401."""
    credential = parse_authorization(authorization)
    if isinstance(credential, Basic):
        if directory.find_key(credential.key_id) is not None:
            return authenticate(authorization, directory, now, options)
        return _authenticate_session(credential, directory)
    return authenticate(authorization, directory, now, options)


def _authenticate_session(credential: Basic, directory: SdkDirectory) -> SessionPrincipal:
    user = directory.get("user", credential.key_id)
    if user is None:
        raise AuthenticationError(f"Basic appUserId {credential.key_id[:64]!r} names no user")
    if not session_matches(user, credential.secret):
        raise AuthenticationError(
            f"wrong session token for appUser {user['id']}" if user.get("sessionToken")
            else f"appUser {user['id']} has no session token (it logged in or out, or was never anonymous)")
    return SessionPrincipal(app_id=user["appId"], account_id=directory.find_app_account(user["appId"]) or "",
                            user_id=user["id"])


def session_matches(user: dict, token: str) -> bool:
    """Whether `token` is the user's current session token (constant time)."""
    current = user.get("sessionToken")
    if not isinstance(current, str) or not isinstance(token, str):
        return False
    return hmac.compare_digest(current.encode(), token.encode())


def new_session_token() -> str:
    """An opaque bearer secret for an anonymous user (no ':' so it fits Basic auth)."""
    return secrets.token_urlsafe(32)


# --- 2 and 3. the route's policy and the app -----------------------------------------------------

def authorize_sdk(principal: SdkPrincipal, policy: SdkPolicy, app_id: str) -> str:
    """Raise unless `principal` may call a route of `policy` on `app_id`; otherwise
    return the reason it may."""
    if isinstance(principal, SessionPrincipal):
        if not policy.sessions:
            raise InvalidScope("a session token cannot log in; login takes a user JWT (scope user + external_id)")
    elif principal.scope not in policy.scopes:
        raise InvalidScope(f"scope {principal.scope} on the SDK API; it takes user JWTs "
                           f"(scope user + external_id, or appUser + userId) signed by an app key")
    if principal.app_id != app_id:
        raise AppMismatch(f"path names app {app_id[:64]!r}, credential is for app {principal.app_id}")
    return f"{principal.describe()} allowed (route accepts {policy})"


# --- 4. the caller's own user and conversations ----------------------------------------------------

def caller_user(principal: SdkPrincipal, directory: SdkDirectory) -> dict | None:
    """The user the credential speaks for: the session's user, or the app's user with the
    JWT's externalId (None until that user first logs in)."""
    if isinstance(principal, SessionPrincipal):
        return directory.get("user", principal.user_id)
    return directory.get_by_alt("user", principal.app_id, principal.user)


def own_user(principal: SdkPrincipal, directory: SdkDirectory, app_id: str, user_ref: str) -> dict | None:
    """The user the path names (by `_id`, or by externalId), if it is the caller's own;
    None if it is the caller's externalId and that user does not exist yet.  Any other
    user, existing or not, is refused alike (403), so a caller learns nothing of others."""
    target = directory.find_user(app_id, user_ref)
    mine = caller_user(principal, directory)
    if target is not None and mine is not None and target["id"] == mine["id"]:
        return target
    if target is None and mine is None and user_ref == principal.user:
        return None
    raise UserMismatch(f"path names appUser {user_ref[:64]!r}, credential speaks for "
                       f"{_who(principal, mine)}")


def check_speaks_for(principal: SdkPrincipal, directory: SdkDirectory, app_user_id: str | None) -> dict:
    """The caller's user, which a body's `author.appUserId` (if given) must name."""
    mine = caller_user(principal, directory)
    if mine is None:
        raise UserMismatch(f"{_who(principal, None)} has no user yet; log in first")
    if app_user_id is not None and app_user_id != mine["id"]:
        raise UserMismatch(f"author.appUserId {app_user_id[:64]!r} is not the caller, appUser {mine['id']}")
    return mine


def check_member(principal: SdkPrincipal, directory: SdkDirectory, conversation: dict) -> dict:
    """The caller's user, which must take part in `conversation`; returns the user."""
    mine = caller_user(principal, directory)
    if mine is None or directory.get_by_alt("participant", conversation["id"], mine["id"]) is None:
        raise UserMismatch(f"{_who(principal, mine)} is not a participant of conversation {conversation['id']}")
    return mine


def _who(principal: SdkPrincipal, user: dict | None) -> str:
    if user is not None:
        return f"appUser {user['id']}"
    return f"externalId {principal.user!r}"
