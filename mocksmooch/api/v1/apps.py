"""v1.1 apps, their SDK integration ids, app keys and the app-scoped JWTs they sign
(account scope only)."""
from __future__ import annotations

from flask import jsonify, request

from ... import auth, ids
from ...fixtures import INTEGRATION_LABEL
from ..bodies import field, json_body
from ..errors import bad_request
from ..guard import mock, principal, requires
from . import not_found, offset_page, v1, with_status

APP_SETTINGS = ("maskCreditCardNumbers", "useAnimalNames", "conversationRetentionSeconds",
                "echoPostback", "ignoreAutoConversationStart")
APP_SETTING_DEFAULTS = {"maskCreditCardNumbers": True, "useAnimalNames": False,
                        "conversationRetentionSeconds": 0, "echoPostback": False,
                        "ignoreAutoConversationStart": False}


# --- apps -------------------------------------------------------------------------------

def render_app(app: dict) -> dict:
    settings = dict(APP_SETTING_DEFAULTS)
    settings.update({name: value for name, value in (app.get("settings") or {}).items() if name in APP_SETTINGS})
    return {"_id": app["id"], "appToken": app["appToken"], "name": app["name"], "settings": settings,
            "metadata": app.get("metadata")}


@v1.post("/apps")
@requires("account")
def create_app():
    body = json_body()
    app = {"id": ids.object_id(), "name": field(body, "name", str, required=True, non_empty=True),
           "accountId": principal().account_id, "settings": _settings(body),
           "metadata": field(body, "metadata", dict, nullable=True), "appToken": ids.app_token()}
    mock().store.add_app(app, created_by=principal().service_account_id)
    return with_status({"app": render_app(app)}, 201)


@v1.get("/apps")
@requires("account")
def list_apps():
    caller, store = principal(), mock().store
    apps = store.apps_of(caller.account_id, caller.service_account_id)
    filter_id = request.args.get("serviceAccountId") or None
    if filter_id is not None:
        auth.check_service_account_filter(caller, filter_id, store)
        granted = {app["id"] for app in store.apps_of(caller.account_id, filter_id)}
        apps = [app for app in apps if app["id"] in granted]
    return jsonify(offset_page([render_app(app) for app in apps], "apps"))


@v1.get("/apps/<app_id>")
@requires("account")
def get_app(app_id):
    return jsonify({"app": render_app(mock().store.get("app", app_id))})


@v1.put("/apps/<app_id>")
@requires("account")
def update_app(app_id):
    body = json_body()
    app = mock().store.get("app", app_id)
    if "name" in body:
        app["name"] = field(body, "name", str, non_empty=True)
    if "settings" in body:
        app["settings"] = {**(app.get("settings") or {}), **_settings(body)}
    if "metadata" in body:
        app["metadata"] = field(body, "metadata", dict, nullable=True)
    mock().store.update("app", app)
    return jsonify({"app": render_app(app)})


@v1.delete("/apps/<app_id>")
@requires("account")
def delete_app(app_id):
    mock().store.delete("app", app_id)
    return jsonify({})


SDK_TYPES = ("android", "ios", "web")


@v1.get("/apps/<app_id>/sdks")
@requires("account")
def get_sdk_ids(app_id):
    """The ids of the app's three SDK integrations, "to be used when initializing the
    SDKs".  All three fields are required, so an app lacking one gets it created here,
    once (the app's first integration of a type is the one reported)."""
    store = mock().store
    found = {}
    with store.transaction():
        for integration in store.children("integration", app_id):
            found.setdefault(integration["type"], integration["id"])
        for kind in SDK_TYPES:
            if kind not in found:
                integration = {"id": ids.object_id(), "appId": app_id, "type": kind, "status": "active",
                               "displayName": INTEGRATION_LABEL[kind]}
                store.insert("integration", integration, parent=app_id)
                found[kind] = integration["id"]
    return jsonify({f"{kind}IntegrationId": found[kind] for kind in SDK_TYPES})


def _settings(body: dict) -> dict:
    settings = field(body, "settings", dict) or {}
    for name, value in settings.items():
        if name not in APP_SETTINGS:
            raise bad_request(f"Unknown setting '{name}'")
        expected = int if name == "conversationRetentionSeconds" else bool
        if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
            raise bad_request(f"settings.{name} must be {'a boolean' if expected is bool else 'an integer'}")
    return settings


# --- keys of apps and of service accounts ---------------------------------------------------

def render_key(key: dict) -> dict:
    return {"_id": key["id"], "secret": key["secret"], "name": key["name"]}


def create_key(owner: str, owner_id: str, **bound_to: str):
    body = json_body()
    key = {"id": ids.key_id(auth.KEY_PREFIXES[owner]), "secret": ids.secret(),
           "name": field(body, "name", str, required=True, non_empty=True), "owner": owner,
           "accountId": principal().account_id, **bound_to}
    mock().store.insert("key", key, parent=owner_id)
    return jsonify({"key": render_key(key)})  # 200, as the v1.1 description documents


def owned_key(owner_id: str, key_id: str) -> dict:
    key = mock().store.get("key", key_id)
    if key is None or owner_id not in (key.get("appId"), key.get("serviceAccountId")) \
            or key["owner"] not in ("app", "serviceAccount"):
        raise not_found("Key", f"{owner_id} has no key {key_id[:64]!r}")
    return key


def jwt_for(key_record: dict, scope: str):
    key = mock().store.find_key(key_record["id"])
    return jsonify({"jwt": auth.mint(key, auth.claims_for(scope), typ=False)})


@v1.post("/apps/<app_id>/keys")
@requires("account")
def create_app_key(app_id):
    return create_key("app", app_id, appId=app_id)


@v1.get("/apps/<app_id>/keys")
@requires("account")
def list_app_keys(app_id):
    return jsonify({"keys": [render_key(key) for key in mock().store.children("key", app_id)]})


@v1.get("/apps/<app_id>/keys/<key_id>")
@requires("account")
def get_app_key(app_id, key_id):
    return jsonify({"key": render_key(owned_key(app_id, key_id))})


@v1.delete("/apps/<app_id>/keys/<key_id>")
@requires("account")
def delete_app_key(app_id, key_id):
    mock().store.delete("key", owned_key(app_id, key_id)["id"])
    return jsonify({})


@v1.get("/apps/<app_id>/keys/<key_id>/jwt")
@requires("account")
def get_app_jwt(app_id, key_id):
    """An app-scoped JWT signed with the app's key, like the documented example: no exp."""
    return jwt_for(owned_key(app_id, key_id), "app")
