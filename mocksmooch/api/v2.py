"""The v2 REST API (Sunshine Conversations): apps, app keys and users.

Each route's `@requires(...)` is its row of the scope table (v2-scopes.txt, taken from the
`security` blocks of the v2 OpenAPI description).
"""
from __future__ import annotations

import json

from flask import Blueprint, jsonify

from .. import auth, ids
from ..clock import parse_rfc3339, rfc3339
from ..store import Conflict
from .errors import ApiError, bad_request
from .guard import mock, principal, requires
from .pagination import paginate, query_object
from .bodies import field, json_body

v2 = Blueprint("v2", __name__, url_prefix="/v2")

APP_SETTINGS = {
    "conversationRetentionSeconds": (int, 0),
    "maskCreditCardNumbers": (bool, True),
    "useAnimalNames": (bool, False),
    "echoPostback": (bool, False),
    "ignoreAutoConversationStart": (bool, False),
    "multiConvoEnabled": (bool, False),
    "appLocalizationEnabled": (bool, False),
    "endSessionEnabled": (bool, False),
    "disableConversationReopen": (bool, False),
}
PROFILE_FIELDS = {"givenName": 128, "surname": 128, "email": 128, "avatarUrl": 2048, "locale": 64}
MAX_METADATA_BYTES = 4096


def created(body: dict):
    response = jsonify(body)
    response.status_code = 201
    return response


# --- apps -------------------------------------------------------------------------

def render_app(app: dict) -> dict:
    settings = {name: default for name, (_, default) in APP_SETTINGS.items()}
    settings.update(app.get("settings") or {})
    return {"id": app["id"], "displayName": app["name"], "settings": settings,
            "metadata": app.get("metadata")}


@v2.post("/apps")
@requires("account")
def create_app():
    body = json_body()
    app = {
        "id": ids.object_id(),
        "name": field(body, "displayName", str, required=True, non_empty=True),
        "accountId": principal().account_id,
        "settings": _app_settings(body),
        "metadata": _metadata(body, "App"),
        "appToken": ids.app_token(),
    }
    mock().store.add_app(app, created_by=principal().service_account_id)
    return created({"app": render_app(app)})


@v2.get("/apps")
@requires("account")
def list_apps():
    caller, store = principal(), mock().store
    apps = store.apps_of(caller.account_id, caller.service_account_id)
    filter_id = query_object("filter").get("serviceAccountId")
    if filter_id is not None:
        auth.check_service_account_filter(caller, filter_id, store)
        granted = {app["id"] for app in store.apps_of(caller.account_id, filter_id)}
        apps = [app for app in apps if app["id"] in granted]
    return jsonify(paginate([render_app(app) for app in apps], "apps"))


@v2.get("/apps/<app_id>")
@requires("account", "app")
def get_app(app_id):
    return jsonify({"app": render_app(_app(app_id))})


@v2.patch("/apps/<app_id>")
@requires("account", "app")
def update_app(app_id):
    body = json_body()
    app = _app(app_id)
    if "displayName" in body:
        app["name"] = field(body, "displayName", str, non_empty=True)
    if "settings" in body:
        app["settings"] = {**app.get("settings", {}), **_app_settings(body)}
    if "metadata" in body:
        app["metadata"] = _metadata(body, "App")
    mock().store.update("app", app)
    return jsonify({"app": render_app(app)})


@v2.delete("/apps/<app_id>")
@requires("account")
def delete_app(app_id):
    mock().store.delete("app", app_id)
    return jsonify({})


def _app(app_id: str) -> dict:
    # The guard has checked the app exists and is the caller's.
    return mock().store.get("app", app_id)


def _app_settings(body: dict) -> dict:
    settings = field(body, "settings", dict) or {}
    for name, value in settings.items():
        if name not in APP_SETTINGS:
            raise bad_request(f"settings should NOT have additional property '{name}'")
        kind, _ = APP_SETTINGS[name]
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
            raise bad_request(f"settings.{name} should be {'boolean' if kind is bool else 'integer'}")
        if kind is int and value < 0:
            raise bad_request(f"settings.{name} should be >= 0")
    return settings


def _metadata(body: dict, owner: str) -> dict | None:
    metadata = field(body, "metadata", dict, nullable=True)
    if metadata is None:
        return None
    for name, value in metadata.items():
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise bad_request(f"metadata.{name} should be a string, number or boolean")
    if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        raise bad_request(f"{owner} metadata is limited to 4096 bytes in size.")
    return metadata


# --- app keys ------------------------------------------------------------------------

def render_key(key: dict) -> dict:
    return {"id": key["id"], "displayName": key["name"], "secret": key["secret"]}


@v2.post("/apps/<app_id>/keys")
@requires("account")
def create_app_key(app_id):
    body = json_body()
    key = {"id": ids.key_id(auth.KEY_PREFIXES["app"]), "secret": ids.secret(),
           "name": field(body, "displayName", str, required=True, non_empty=True),
           "owner": "app", "accountId": _app(app_id)["accountId"], "appId": app_id}
    mock().store.insert("key", key, parent=app_id)
    return created({"key": render_key(key)})


@v2.get("/apps/<app_id>/keys")
@requires("account")
def list_app_keys(app_id):
    return jsonify({"keys": [render_key(key) for key in mock().store.children("key", app_id)]})


@v2.get("/apps/<app_id>/keys/<key_id>")
@requires("account")
def get_app_key(app_id, key_id):
    return jsonify({"key": render_key(_app_key(app_id, key_id))})


@v2.delete("/apps/<app_id>/keys/<key_id>")
@requires("account")
def delete_app_key(app_id, key_id):
    mock().store.delete("key", _app_key(app_id, key_id)["id"])
    return jsonify({})


def _app_key(app_id: str, key_id: str) -> dict:
    key = mock().store.get("key", key_id)
    if key is None or key.get("appId") != app_id or key["owner"] != "app":
        raise ApiError(404, "not_found", "Key not found", f"app {app_id} has no key {key_id[:64]!r}")
    return key


# --- users ---------------------------------------------------------------------------

def render_user(user: dict) -> dict:
    rendered = {"id": user["id"]}
    if user.get("externalId") is not None:
        rendered["externalId"] = user["externalId"]
    rendered.update({
        "signedUpAt": user["signedUpAt"],
        "toBeRetained": user.get("toBeRetained", False),
        "profile": {name: value for name, value in user.get("profile", {}).items() if value is not None},
        "metadata": user.get("metadata") or {},
        "identities": user.get("identities", []),
    })
    return rendered


@v2.post("/apps/<app_id>/users")
@requires("account", "app", "integration")
def create_user(app_id):
    body = json_body()
    external_id = field(body, "externalId", str, non_empty=True)
    user = {
        "id": ids.object_id(),
        "appId": app_id,
        "signedUpAt": _signed_up_at(body) or rfc3339(mock().clock.now()),
        "toBeRetained": field(body, "toBeRetained", bool) or False,
        "profile": _profile(body, {}),
        "metadata": _metadata(body, "User") or {},
    }
    if external_id is not None:
        user["externalId"] = external_id
    try:
        mock().store.insert("user", user, parent=app_id, alt=external_id)
    except Conflict:
        raise ApiError(409, "conflict", "User already exists",
                       f"app {app_id} has a user with externalId {external_id!r}") from None
    return created({"user": render_user(user)})


@v2.get("/apps/<app_id>/users")
@requires("account", "app", "integration")
def list_users(app_id):
    users = mock().store.children("user", app_id)
    email = query_object("filter").get("identities.email")
    if email is not None:
        users = [user for user in users
                 if any(identity.get("type") == "email" and identity.get("value") == email
                        for identity in user.get("identities", []))]
    return jsonify(paginate([render_user(user) for user in users], "users"))


@v2.get("/apps/<app_id>/users/<user_ref>")
@requires("account", "app", "integration")
def get_user(app_id, user_ref):
    return jsonify({"user": render_user(_user(app_id, user_ref))})


@v2.patch("/apps/<app_id>/users/<user_ref>")
@requires("account", "app", "integration")
def update_user(app_id, user_ref):
    body = json_body()
    user = _user(app_id, user_ref)
    if "signedUpAt" in body:
        user["signedUpAt"] = _signed_up_at(body)
    if "toBeRetained" in body:
        user["toBeRetained"] = field(body, "toBeRetained", bool)
    if "profile" in body:
        user["profile"] = _profile(body, user.get("profile", {}))
    if "metadata" in body:
        user["metadata"] = _metadata(body, "User") or {}
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"user": render_user(user)})


@v2.delete("/apps/<app_id>/users/<user_ref>")
@requires("account", "app", "integration")
def delete_user(app_id, user_ref):
    mock().store.delete("user", _user(app_id, user_ref)["id"])
    return jsonify({})


def _user(app_id: str, user_ref: str) -> dict:
    user = mock().store.find_user(app_id, user_ref)
    if user is None:
        raise ApiError(404, "user_not_found", "User not found",
                       f"app {app_id} has no user with id or externalId {user_ref[:64]!r}")
    return user


def _signed_up_at(body: dict) -> str | None:
    text = field(body, "signedUpAt", str)
    if text is None:
        return None
    try:
        return rfc3339(parse_rfc3339(text))
    except ValueError:
        raise bad_request("signedUpAt should match format \"date-time\"") from None


def _profile(body: dict, current: dict) -> dict:
    """The profile after applying `body["profile"]`: given fields replace, null clears."""
    changes = field(body, "profile", dict) or {}
    profile = dict(current)
    for name, value in changes.items():
        if name not in PROFILE_FIELDS:
            raise bad_request(f"profile should NOT have additional property '{name}'")
        if value is None:
            profile.pop(name, None)
            continue
        if not isinstance(value, str):
            raise bad_request(f"profile.{name} should be string")
        if not 1 <= len(value) <= PROFILE_FIELDS[name]:
            raise bad_request(f"profile.{name} should be between 1 and {PROFILE_FIELDS[name]} characters")
        profile[name] = value
    return profile
