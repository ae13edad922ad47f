"""v2 apps and app keys (account provisioning, app management)."""
from __future__ import annotations

from flask import jsonify

from ... import auth, ids
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock, principal, requires
from ..pagination import paginate, query_object
from . import v2
from .common import created, find_app, metadata_field

DISPLAY_NAME_MAX = 100
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
        "name": _display_name(body, required=True),
        "accountId": principal().account_id,
        "settings": _app_settings(body),
        "metadata": metadata_field(body, "App"),
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
    return jsonify({"app": render_app(find_app(app_id))})


@v2.patch("/apps/<app_id>")
@requires("account", "app")
def update_app(app_id):
    body = json_body()
    app = find_app(app_id)
    if "displayName" in body:
        app["name"] = _display_name(body)
    if "settings" in body:
        app["settings"] = {**app.get("settings", {}), **_app_settings(body)}
    if "metadata" in body:
        app["metadata"] = metadata_field(body, "App")
    mock().store.update("app", app)
    return jsonify({"app": render_app(app)})


@v2.delete("/apps/<app_id>")
@requires("account")
def delete_app(app_id):
    mock().store.delete("app", app_id)
    return jsonify({})


def _display_name(body: dict, *, required: bool = False) -> str | None:
    """An app's or app key's displayName: 1 to 100 characters (openapi.yaml `displayName`)."""
    name = field(body, "displayName", str, required=required, non_empty=True)
    if name is not None and len(name) > DISPLAY_NAME_MAX:
        raise bad_request(f"displayName should NOT be longer than {DISPLAY_NAME_MAX} characters")
    return name


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


# --- app keys ------------------------------------------------------------------------

def render_key(key: dict) -> dict:
    return {"id": key["id"], "displayName": key["name"], "secret": key["secret"]}


@v2.post("/apps/<app_id>/keys")
@requires("account")
def create_app_key(app_id):
    body = json_body()
    key = {"id": ids.key_id(auth.KEY_PREFIXES["app"]), "secret": ids.secret(),
           "name": _display_name(body, required=True),
           "owner": "app", "accountId": find_app(app_id)["accountId"], "appId": app_id}
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
