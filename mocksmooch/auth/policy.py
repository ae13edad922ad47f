"""Principal + route policy -> allowed, or an AuthorizationError saying why not.

Checks run in one fixed order and the first failure answers:
  1. the route's scopes (403),
  2. the app named in the path (403 for app-bound credentials, 404 for account-level ones),
  3. the user named in the path, for credentials that speak for one user (403).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .errors import AppMismatch, AppNotFound, ScopeNotAllowed, ServiceAccountMismatch, UserMismatch
from .principal import Directory, Principal


@dataclass(frozen=True)
class Policy:
    """Who may call a route.

    `scopes`: the credential scopes the route accepts.
    `user_accounts_only`: account scope, but only from a user account's (`act_`) key;
    service accounts may not manage service accounts.
    """

    scopes: frozenset[str]
    user_accounts_only: bool = False

    def __str__(self) -> str:
        return self.text

    @cached_property
    def text(self) -> str:
        """How the scope table and every allowed request's reason name the policy."""
        text = ", ".join(sorted(self.scopes)) or "none"
        return text + (" (user account keys only)" if self.user_accounts_only else "")


def allow(*scopes: str, user_accounts_only: bool = False) -> Policy:
    return Policy(frozenset(scopes), user_accounts_only)


PUBLIC = allow()  # no credential needed


def authorize(principal: Principal, policy: Policy, directory: Directory, *,
              app_id: str | None = None, user_ref: str | None = None) -> str:
    """Raise if `principal` may not call a route of `policy` on this app and user;
    otherwise return the reason it may."""
    _check_scope(principal, policy)
    if app_id is not None:
        _check_app(principal, app_id, directory)
    if user_ref is not None and principal.user is not None:
        _check_user(principal, app_id or principal.app_id, user_ref, directory)
    return f"{principal.describe()} allowed (route accepts {policy})"


def _check_scope(principal: Principal, policy: Policy) -> None:
    if principal.scope not in policy.scopes:
        raise ScopeNotAllowed(f"scope {principal.scope} not allowed here; route accepts {policy}")
    if principal.scope == "app" and principal.app_id is None:
        raise ScopeNotAllowed(
            f"app-scoped JWT signed with {principal.key.id}, an account-level key, is bound to no app")
    if policy.user_accounts_only and principal.key.owner != "account":
        raise ScopeNotAllowed(f"{principal.key.id} is not a user account key; route accepts {policy}")


def _check_app(principal: Principal, app_id: str, directory: Directory) -> None:
    if principal.app_bound:
        if app_id != principal.app_id:
            raise AppMismatch(f"path names app {app_id[:64]!r}, credential is bound to app {principal.app_id}")
        return
    owner = directory.find_app_account(app_id)
    if owner is None:
        raise AppNotFound(f"no app {app_id[:64]!r}")
    if owner != principal.account_id:
        raise AppNotFound(f"app {app_id} belongs to another account than {principal.key.id}'s")
    sa_id = principal.service_account_id
    if sa_id is not None and not directory.service_account_has_app(sa_id, app_id):
        raise AppNotFound(f"service account {sa_id} has no grant for app {app_id}")


def _check_user(principal: Principal, app_id: str, user_ref: str, directory: Directory) -> None:
    if not directory.user_is(app_id, user_ref, principal.user):
        raise UserMismatch(f"path names user {user_ref[:64]!r}, credential speaks for {principal.user!r}")


def check_service_account_filter(principal: Principal, service_account_id: str,
                                 directory: Directory) -> None:
    """`GET /v2/apps?filter[serviceAccountId]=X`: X must be the caller itself, or one of
    the calling user account's service accounts."""
    if principal.service_account_id is not None:
        if service_account_id == principal.service_account_id:
            return
    elif directory.service_account_account(service_account_id) == principal.account_id:
        return
    raise ServiceAccountMismatch(
        f"filter[serviceAccountId]={service_account_id[:64]!r} is neither the caller nor one of its account's")
