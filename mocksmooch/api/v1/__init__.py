"""The v1.1 REST API (served under /v1.1 and its alias /v1): apps, app keys and their
JWTs, service accounts and their keys, app users.

v1 predates Basic auth's account-level scoping rules of v2, and has its own: app,
app-key and JWT-minting routes need `account` scope; service-account management needs a
user account's key; app-user routes take any credential bound to the app in the path,
and also come in an app-less form (`/v1.1/appusers/...`) for app-bound credentials, as
the official v1 JavaScript library calls them.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import ApiError, bad_request
from ..guard import mock, principal, requires

v1 = Blueprint("v1", __name__)


def not_found(what: str, reason: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found", reason)


def find_integration(app_id: str, integration_id: str) -> dict:
    """The app's integration, or v1's 404."""
    integration = mock().store.get_of_app("integration", integration_id, app_id)
    if integration is None:
        raise not_found("Integration", f"app {app_id} has no integration {integration_id[:64]!r}")
    return integration


def with_status(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    return response


def offset_page(records: list[dict], collection: str) -> dict:
    """v1 lists page by `limit` (default 25, at most 100) and `offset`."""
    limit = _int_query("limit", 25, 1, 100)
    offset = _int_query("offset", 0, 0, None)
    return {collection: records[offset:offset + limit], "hasMore": offset + limit < len(records),
            "offset": offset}


def _int_query(name: str, default: int, low: int, high: int | None) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        raise bad_request(f"{name} must be between {low} and {high}" if high else f"{name} must be >= {low}")
    return value


def app_route(rule: str, method: str, *scopes: str):
    """Serve `/apps/<app_id>{rule}` for `scopes`, and the app-less `{rule}` for the
    app-bound ones among them (the app then comes from the credential), as the
    official v1 JavaScript library calls them."""

    def decorate(view):
        v1.add_url_rule(f"/apps/<app_id>{rule}", view.__name__, requires(*scopes)(view), methods=[method])

        def appless(**path):
            return view(app_id=principal().app_id, **path)

        appless.__name__ = f"{view.__name__}_appless"
        appless_scopes = [scope for scope in scopes if scope != "account"]
        v1.add_url_rule(rule, appless.__name__, requires(*appless_scopes)(appless), methods=[method])
        return view

    return decorate


# Importing the resource modules registers their routes on the blueprint.
from . import (  # noqa: E402,F401
    app_users, apps, attachments, channels, integrations, menus, messages, notifications,
    service_accounts, templates, webhooks, whatsapp,
)
