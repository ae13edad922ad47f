"""v1.1 app users, under /apps/<app_id>/appusers and the app-less /appusers: the user
itself, its profile, merging two users, and auth codes for a channel transfer.

A v1 appUser is the v2 user record seen through v1 names (`_id`, `userId`,
`properties`); its `clients` and `pendingClients` are the user's `client` records
(channels) and `device` records (SDK installs), so links made here or through v2 show on
both sides.
"""
from __future__ import annotations

import secrets

from flask import jsonify

from ... import ids
from ...clock import parse_rfc3339, rfc3339
from ...store import Conflict
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ...domain.conversations import default_conversation
from ..guard import mock
from ..v2.common import render_user
from . import app_route, not_found, with_status

APP_USER_FIELDS = ("givenName", "surname", "email")
CLIENT_FIELDS = ("externalId", "integrationId", "lastSeen", "linkedAt", "displayName", "avatarUrl",
                 "info", "raw")
DEVICE_FIELDS = ("integrationId", "lastSeen", "pushNotificationToken", "appVersion", "info")


def render_app_user(user: dict) -> dict:
    profile = user.get("profile", {})
    rendered = {"_id": user["id"]}
    if user.get("externalId") is not None:
        rendered["userId"] = user["externalId"]
    rendered.update({name: profile[name] for name in APP_USER_FIELDS if profile.get(name) is not None})
    clients, pending = render_clients(user)
    rendered.update({"signedUpAt": user["signedUpAt"], "properties": user.get("metadata") or {},
                     "conversationStarted": conversation_started(user),
                     "clients": clients, "pendingClients": pending})
    return rendered


def conversation_started(user: dict) -> bool:
    """Whether the app user's conversation has begun: it has messages (or a merge said so)."""
    if user.get("conversationStarted"):
        return True
    conversation = default_conversation(mock(), user["appId"], user, create=False)
    return conversation is not None and mock().store.count("message", conversation["id"]) > 0


def render_clients(user: dict) -> tuple[list[dict], list[dict]]:
    """(clients, pendingClients) in the v1 Client shape: channel clients by their status,
    then SDK devices, which v1 lists as clients of platform web, ios or android (the v2
    `sdk` client that groups them has no v1 counterpart)."""
    store = mock().store
    clients, pending = [], []
    for client in store.children("client", user["id"]):
        if client["type"] == "sdk":
            continue
        rendered = {"id": client["id"], "platform": client["type"], "status": client["status"],
                    "active": client["status"] == "active"}
        rendered.update({name: client[name] for name in CLIENT_FIELDS if client.get(name) is not None})
        (pending if client["status"] == "pending" else clients).append(rendered)
    for device in store.children("device", user["id"]):
        rendered = {"id": device["guid"], "platform": device["type"], "status": device["status"],
                    "active": device["status"] == "active"}
        rendered.update({name: device[name] for name in DEVICE_FIELDS if device.get(name) is not None})
        clients.append(rendered)
    return clients, pending


def app_user(app_id: str, user_ref: str) -> dict:
    """The user of the path, by `_id` or `userId`; 404 if the app has none."""
    user = mock().store.find_user(app_id, user_ref)
    if user is None:
        raise not_found("App user", f"app {app_id} has no user with _id or userId {user_ref[:64]!r}")
    return user


def updated_profile(user: dict, body: dict, names: tuple[str, ...]) -> dict:
    """The user's profile with the fields of `body` among `names` applied: v1 and the SDK
    send them flat, beside the others, and a null (or "") clears one."""
    profile = dict(user.get("profile") or {})
    for name in names:
        if name in body:
            value = field(body, name, str, nullable=True)
            if value:
                profile[name] = value
            else:
                profile.pop(name, None)
    return profile


def _apply_app_user_fields(user: dict, body: dict) -> None:
    user["profile"] = updated_profile(user, body, APP_USER_FIELDS)
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
    return jsonify({"appUser": render_app_user(app_user(app_id, user_ref))})


@app_route("/appusers/<user_ref>", "PUT", "account", "app", "appUser", "integration")
def update_app_user(app_id, user_ref):
    body = json_body()
    user = app_user(app_id, user_ref)
    _apply_app_user_fields(user, body)
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"appUser": render_app_user(user)})


@app_route("/appusers/<user_ref>", "DELETE", "account", "app", "appUser", "integration")
def delete_app_user(app_id, user_ref):
    mock().store.delete("user", app_user(app_id, user_ref)["id"])
    return jsonify({})


@app_route("/appusers/<user_ref>/profile", "DELETE", "account", "app", "appUser", "integration")
def delete_app_user_profile(app_id, user_ref):
    user = app_user(app_id, user_ref)
    user["profile"] = {}
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"appUser": render_app_user(user)})


# --- merge ------------------------------------------------------------------------------

@app_route("/appusers/merge", "POST", "account", "app")
def merge_users(app_id):
    """Fold `discarded` into `surviving` ("This user will be deleted as part of the
    process"): the survivor keeps its own values and gains the ones it lacks, and every
    client and device of the discarded user."""
    body = json_body()
    surviving = _merged_user(app_id, body, "surviving")
    discarded = _merged_user(app_id, body, "discarded")
    if surviving["id"] == discarded["id"]:
        raise bad_request("surviving and discarded must be two different users")
    store = mock().store
    before = render_user(discarded)
    with store.transaction():
        _fold_into(surviving, discarded)
        store.delete("user", discarded["id"])
        store.update("user", surviving, alt=surviving.get("externalId"))
    mock().webhooks.emit(app_id, "user:merge", {
        "mergedUsers": {"surviving": render_user(surviving), "discarded": before}, "reason": "api"})
    return jsonify({})


def _merged_user(app_id: str, body: dict, role: str) -> dict:
    reference = field(body, role, dict, required=True)
    if "_id" not in reference:
        raise bad_request(f"{role} should have required property '_id'")
    user_id = reference["_id"]
    if not isinstance(user_id, str) or not user_id:
        raise bad_request(f"{role}._id should be a non-empty string")
    user = mock().store.get_of_app("user", user_id, app_id)
    if user is None:
        raise not_found("App user", f"{role}: app {app_id} has no user with _id {user_id[:64]!r}")
    return user


def _fold_into(surviving: dict, discarded: dict) -> None:
    """Survivor's values win; it takes what it lacks from the discarded user, and the
    discarded user's clients and devices move over (re-inserted under the survivor)."""
    store = mock().store
    if surviving.get("externalId") is None and discarded.get("externalId") is not None:
        store.update("user", {**discarded, "externalId": None}, alt=None)  # free the externalId first
        surviving["externalId"] = discarded["externalId"]
    surviving["profile"] = {**(discarded.get("profile") or {}), **(surviving.get("profile") or {})}
    surviving["metadata"] = {**(discarded.get("metadata") or {}), **(surviving.get("metadata") or {})}
    known = {(identity.get("type"), identity.get("value")) for identity in surviving.get("identities", [])}
    surviving["identities"] = list(surviving.get("identities", [])) + [
        identity for identity in discarded.get("identities", [])
        if (identity.get("type"), identity.get("value")) not in known]
    if discarded.get("conversationStarted"):
        surviving["conversationStarted"] = True
    for kind in ("client", "device"):
        for record in store.children(kind, discarded["id"]):
            store.delete(kind, record["id"])
            store.insert(kind, {**record, "userId": surviving["id"]}, parent=surviving["id"])


# --- auth codes -------------------------------------------------------------------------------

@app_route("/appusers/<user_ref>/authcode", "GET", "account", "app", "appUser", "integration")
def get_app_user_auth_code(app_id, user_ref):
    """A one-time code an SDK can be initialized with to continue as this user (channel
    transfer).  Kept as an `authCode` record under the user, for the SDK API to redeem."""
    user = app_user(app_id, user_ref)
    code = "ac_" + secrets.token_urlsafe(18)
    mock().store.insert("authCode", {"id": code, "appId": app_id, "userId": user["id"],
                                     "createdAt": rfc3339(mock().clock.now())}, parent=user["id"])
    return jsonify({"authCode": code})
