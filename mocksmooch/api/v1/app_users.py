"""v1.1 app users, under /apps/<app_id>/appusers and the app-less /appusers."""
from __future__ import annotations

from flask import jsonify

from ... import ids
from ...clock import parse_rfc3339, rfc3339
from ...store import Conflict
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock
from . import app_route, not_found, with_status

APP_USER_FIELDS = ("givenName", "surname", "email")


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


@app_route("/appusers", "POST", "account", "app", "integration")
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


@app_route("/appusers/<user_ref>", "GET", "account", "app", "appUser", "integration")
def get_app_user(app_id, user_ref):
    return jsonify({"appUser": render_app_user(_app_user(app_id, user_ref))})


@app_route("/appusers/<user_ref>", "PUT", "account", "app", "appUser", "integration")
def update_app_user(app_id, user_ref):
    body = json_body()
    user = _app_user(app_id, user_ref)
    _apply_app_user_fields(user, body)
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"appUser": render_app_user(user)})


@app_route("/appusers/<user_ref>", "DELETE", "account", "app", "appUser", "integration")
def delete_app_user(app_id, user_ref):
    mock().store.delete("user", _app_user(app_id, user_ref)["id"])
    return jsonify({})


@app_route("/appusers/<user_ref>/profile", "DELETE", "account", "app", "appUser", "integration")
def delete_app_user_profile(app_id, user_ref):
    user = _app_user(app_id, user_ref)
    user["profile"] = {}
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"appUser": render_app_user(user)})
