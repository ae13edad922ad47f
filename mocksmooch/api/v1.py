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

from .. import auth, ids
from ..clock import parse_rfc3339, rfc3339
from ..store import Conflict
from .errors import ApiError, bad_request
from .guard import mock, principal, requires
from .bodies import field, json_body

v1 = Blueprint("v1", __name__)

APP_SETTINGS = ("maskCreditCardNumbers", "useAnimalNames", "conversationRetentionSeconds",
                "echoPostback", "ignoreAutoConversationStart")
APP_SETTING_DEFAULTS = {"maskCreditCardNumbers": True, "useAnimalNames": False,
                        "conversationRetentionSeconds": 0, "echoPostback": False,
                        "ignoreAutoConversationStart": False}
APP_USER_FIELDS = ("givenName", "surname", "email")


def not_found(what: str, reason: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found", reason)


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


def _create_key(owner: str, owner_id: str, **bound_to: str):
    body = json_body()
    key = {"id": ids.key_id(auth.KEY_PREFIXES[owner]), "secret": ids.secret(),
           "name": field(body, "name", str, required=True, non_empty=True), "owner": owner,
           "accountId": principal().account_id, **bound_to}
    mock().store.insert("key", key, parent=owner_id)
    return jsonify({"key": render_key(key)})  # 200, as the v1.1 description documents


def _owned_key(owner_id: str, key_id: str) -> dict:
    key = mock().store.get("key", key_id)
    if key is None or owner_id not in (key.get("appId"), key.get("serviceAccountId")) \
            or key["owner"] not in ("app", "serviceAccount"):
        raise not_found("Key", f"{owner_id} has no key {key_id[:64]!r}")
    return key


def _jwt_for(key_record: dict, scope: str):
    key = mock().store.find_key(key_record["id"])
    return jsonify({"jwt": auth.mint(key, auth.claims_for(scope), typ=False)})


@v1.post("/apps/<app_id>/keys")
@requires("account")
def create_app_key(app_id):
    return _create_key("app", app_id, appId=app_id)


@v1.get("/apps/<app_id>/keys")
@requires("account")
def list_app_keys(app_id):
    return jsonify({"keys": [render_key(key) for key in mock().store.children("key", app_id)]})


@v1.get("/apps/<app_id>/keys/<key_id>")
@requires("account")
def get_app_key(app_id, key_id):
    return jsonify({"key": render_key(_owned_key(app_id, key_id))})


@v1.delete("/apps/<app_id>/keys/<key_id>")
@requires("account")
def delete_app_key(app_id, key_id):
    mock().store.delete("key", _owned_key(app_id, key_id)["id"])
    return jsonify({})


@v1.get("/apps/<app_id>/keys/<key_id>/jwt")
@requires("account")
def get_app_jwt(app_id, key_id):
    """An app-scoped JWT signed with the app's key, like the documented example: no exp."""
    return _jwt_for(_owned_key(app_id, key_id), "app")


# --- service accounts (user account keys only) ------------------------------------------------

def render_service_account(service_account: dict) -> dict:
    return {"_id": service_account["id"], "name": service_account["name"]}


def _service_account(sa_id: str) -> dict:
    service_account = mock().store.get("serviceAccount", sa_id)
    if service_account is None or service_account["accountId"] != principal().account_id:
        raise not_found("Service account", f"no service account {sa_id[:64]!r} in the caller's account")
    return service_account


@v1.post("/serviceaccounts")
@requires("account", user_accounts_only=True)
def create_service_account():
    body = json_body()
    service_account = {"id": ids.object_id(), "name": field(body, "name", str, required=True, non_empty=True),
                       "accountId": principal().account_id, "apps": []}
    mock().store.insert("serviceAccount", service_account, parent=service_account["accountId"])
    return with_status({"serviceAccount": render_service_account(service_account)}, 201)


@v1.get("/serviceaccounts")
@requires("account", user_accounts_only=True)
def list_service_accounts():
    accounts = mock().store.children("serviceAccount", principal().account_id)
    return jsonify(offset_page([render_service_account(sa) for sa in accounts], "serviceAccounts"))


@v1.get("/serviceaccounts/<sa_id>")
@requires("account", user_accounts_only=True)
def get_service_account(sa_id):
    return jsonify({"serviceAccount": render_service_account(_service_account(sa_id))})


@v1.put("/serviceaccounts/<sa_id>")
@requires("account", user_accounts_only=True)
def update_service_account(sa_id):
    body = json_body()
    service_account = _service_account(sa_id)
    if "name" in body:
        service_account["name"] = field(body, "name", str, non_empty=True)
    mock().store.update("serviceAccount", service_account)
    return jsonify({"serviceAccount": render_service_account(service_account)})


@v1.delete("/serviceaccounts/<sa_id>")
@requires("account", user_accounts_only=True)
def delete_service_account(sa_id):
    mock().store.delete("serviceAccount", _service_account(sa_id)["id"])
    return jsonify({})


@v1.post("/serviceaccounts/<sa_id>/keys")
@requires("account", user_accounts_only=True)
def create_service_account_key(sa_id):
    return _create_key("serviceAccount", _service_account(sa_id)["id"], serviceAccountId=sa_id)


@v1.get("/serviceaccounts/<sa_id>/keys")
@requires("account", user_accounts_only=True)
def list_service_account_keys(sa_id):
    keys = mock().store.children("key", _service_account(sa_id)["id"])
    return jsonify({"keys": [render_key(key) for key in keys]})


@v1.get("/serviceaccounts/<sa_id>/keys/<key_id>")
@requires("account", user_accounts_only=True)
def get_service_account_key(sa_id, key_id):
    return jsonify({"key": render_key(_owned_key(_service_account(sa_id)["id"], key_id))})


@v1.delete("/serviceaccounts/<sa_id>/keys/<key_id>")
@requires("account", user_accounts_only=True)
def delete_service_account_key(sa_id, key_id):
    mock().store.delete("key", _owned_key(_service_account(sa_id)["id"], key_id)["id"])
    return jsonify({})


@v1.get("/serviceaccounts/<sa_id>/keys/<key_id>/jwt")
@requires("account", user_accounts_only=True)
def get_service_account_jwt(sa_id, key_id):
    return _jwt_for(_owned_key(_service_account(sa_id)["id"], key_id), "account")


# --- app users: /apps/<app_id>/appusers/... and the app-less /appusers/... ----------------------

def app_user_route(rule: str, method: str, *scopes: str):
    """Serve `/apps/<app_id>{rule}` for `scopes`, and the app-less `{rule}` for the
    app-bound ones among them (the app then comes from the credential)."""

    def decorate(view):
        v1.add_url_rule(f"/apps/<app_id>{rule}", view.__name__, requires(*scopes)(view), methods=[method])

        def appless(**path):
            return view(app_id=principal().app_id, **path)

        appless.__name__ = f"{view.__name__}_appless"
        appless_scopes = [scope for scope in scopes if scope != "account"]
        v1.add_url_rule(rule, appless.__name__, requires(*appless_scopes)(appless), methods=[method])
        return view

    return decorate


def render_app_user(user: dict) -> dict:
    profile = user.get("profile", {})
    rendered = {"_id": user["id"]}
    if user.get("externalId") is not None:
        rendered["userId"] = user["externalId"]
    rendered.update({name: profile[name] for name in APP_USER_FIELDS if profile.get(name) is not None})
    rendered.update({"signedUpAt": user["signedUpAt"], "properties": user.get("metadata") or {},
                     "conversationStarted": bool(user.get("conversationStarted", False)),
                     "clients": [], "pendingClients": []})
    return rendered


def _app_user(app_id: str, user_ref: str) -> dict:
    user = mock().store.find_user(app_id, user_ref)
    if user is None:
        raise not_found("App user", f"app {app_id} has no user with _id or userId {user_ref[:64]!r}")
    return user


def _apply_app_user_fields(user: dict, body: dict) -> None:
    profile = dict(user.get("profile", {}))
    for name in APP_USER_FIELDS:
        if name in body:
            value = field(body, name, str, nullable=True)
            if value:
                profile[name] = value
            else:
                profile.pop(name, None)
    user["profile"] = profile
    if "signedUpAt" in body:
        try:
            user["signedUpAt"] = rfc3339(parse_rfc3339(field(body, "signedUpAt", str)))
        except ValueError:
            raise bad_request("signedUpAt must be an ISO 8601 date") from None
    if "properties" in body:
        user["metadata"] = {**(user.get("metadata") or {}), **(field(body, "properties", dict) or {})}


@app_user_route("/appusers", "POST", "account", "app", "integration")
def pre_create_app_user(app_id):
    body = json_body()
    user_id = field(body, "userId", str, required=True, non_empty=True)
    user = {"id": ids.object_id(), "appId": app_id, "externalId": user_id,
            "signedUpAt": rfc3339(mock().clock.now()), "profile": {}, "metadata": {}}
    _apply_app_user_fields(user, body)
    try:
        mock().store.insert("user", user, parent=app_id, alt=user_id)
    except Conflict:
        raise ApiError(409, "conflict", "App user already exists",
                       f"app {app_id} has a user with userId {user_id!r}") from None
    return with_status({"appUser": render_app_user(user)}, 201)


@app_user_route("/appusers/<user_ref>", "GET", "account", "app", "appUser", "integration")
def get_app_user(app_id, user_ref):
    return jsonify({"appUser": render_app_user(_app_user(app_id, user_ref))})


@app_user_route("/appusers/<user_ref>", "PUT", "account", "app", "appUser", "integration")
def update_app_user(app_id, user_ref):
    body = json_body()
    user = _app_user(app_id, user_ref)
    _apply_app_user_fields(user, body)
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"appUser": render_app_user(user)})


@app_user_route("/appusers/<user_ref>", "DELETE", "account", "app", "appUser", "integration")
def delete_app_user(app_id, user_ref):
    mock().store.delete("user", _app_user(app_id, user_ref)["id"])
    return jsonify({})


@app_user_route("/appusers/<user_ref>/profile", "DELETE", "account", "app", "appUser", "integration")
def delete_app_user_profile(app_id, user_ref):
    user = _app_user(app_id, user_ref)
    user["profile"] = {}
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"appUser": render_app_user(user)})
