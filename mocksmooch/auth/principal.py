"""Who is calling: the key that vouches for the request and the scope it was used with."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

# "oauth" keys are held by the server: each signs the integration tokens of one OAuth
# authorization (POST /oauth/token) and never appears in any key list.
Owner = Literal["app", "account", "serviceAccount", "integration", "oauth"]
Scope = Literal["app", "appUser", "user", "account", "integration"]

# The prefix each owner's newly issued keys carry.  Legacy keys have none.
KEY_PREFIXES: dict[Owner, str] = {
    "account": "act_",
    "serviceAccount": "svc_",
    "app": "app_",
    "integration": "int_",
}

# Basic auth has no scope of its own: the key's owner decides it (OAuth keys sign tokens only).
BASIC_SCOPE: dict[Owner, Scope] = {
    "app": "app",
    "account": "account",
    "serviceAccount": "account",
    "integration": "integration",
}

# What a JWT signed by each owner's key may claim.  An account key claiming `app`
# authenticates but is bound to no app (observed: sunshine-conversations-ruby#10).
SIGNABLE_SCOPES: dict[Owner, frozenset[str]] = {
    "app": frozenset({"app", "appUser", "user"}),
    "account": frozenset({"account", "app"}),
    "serviceAccount": frozenset({"account", "app"}),
    "integration": frozenset({"integration"}),
    "oauth": frozenset({"integration"}),
}

OWNER_WORDS: dict[Owner, str] = {
    "app": "app",
    "account": "account",
    "serviceAccount": "service account",
    "integration": "integration",
    "oauth": "OAuth",
}


@dataclass(frozen=True)
class Key:
    id: str
    secret: str
    owner: Owner
    account_id: str
    app_id: str | None = None
    service_account_id: str | None = None
    integration_id: str | None = None


@dataclass(frozen=True)
class Principal:
    key: Key
    scope: Scope
    method: Literal["basic", "jwt"]
    # The user an appUser (`userId`) or user (`external_id`) token speaks for.
    user: str | None = None

    @property
    def app_id(self) -> str | None:
        """The app this credential is bound to; None for account-level credentials."""
        if self.key.owner in ("app", "integration", "oauth"):
            return self.key.app_id
        return None

    @property
    def account_id(self) -> str:
        return self.key.account_id

    @property
    def service_account_id(self) -> str | None:
        return self.key.service_account_id

    @property
    def integration_id(self) -> str | None:
        """The integration an integration-scoped credential acts as (`integrations/me`)."""
        return self.key.integration_id

    @property
    def app_bound(self) -> bool:
        return self.scope in ("app", "appUser", "user", "integration")

    def describe(self) -> str:
        text = f"{OWNER_WORDS[self.key.owner]} key {self.key.id} via {self.method}, scope {self.scope}"
        if self.user is not None:
            text += f" for user {self.user!r}"
        return text

    def as_json(self) -> dict:
        return {
            "keyId": self.key.id,
            "owner": self.key.owner,
            "scope": self.scope,
            "method": self.method,
            "accountId": self.account_id,
            "appId": self.app_id,
            "serviceAccountId": self.service_account_id,
            "integrationId": self.integration_id,
            "user": self.user,
        }


class Directory(Protocol):
    """What the auth core needs to know of the world; the store provides it."""

    # Changes whenever any record does: what was read from the directory at one version
    # still holds while the version is the same (auth.cache relies on it).
    version: int

    def find_key(self, key_id: str) -> Key | None: ...

    def find_app_account(self, app_id: str) -> str | None:
        """The id of the account owning the app, or None if there is no such app."""

    def service_account_has_app(self, service_account_id: str, app_id: str) -> bool: ...

    def service_account_account(self, service_account_id: str) -> str | None:
        """The id of the account owning the service account, or None if there is none."""

    def user_is(self, app_id: str, user_ref: str, identity: str) -> bool:
        """Whether `user_ref` (a user id or externalId in the path) names the user whose
        externalId (v1 userId) is `identity`."""
