"""v2 users, by id or externalId, and what belongs to them: clients and devices.

A user's clients and devices are records under the user, so deleting the user deletes
them.  Clients come from CreateClient (channel linking: `pending`, as the API documents,
since no channel ever confirms them here) and from the SDK API (type `sdk`, with their
devices); no v2 route creates a device.
"""
from __future__ import annotations

import re

from flask import jsonify

from ... import ids
from ...clock import parse_rfc3339, rfc3339
from ...store import Conflict
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock, principal, requires
from ..pagination import paginate, paginate_children, query_object
from . import v2
from .common import created, find_user, metadata_field, render_user

EXTERNAL_ID_MAX = 1024  # userCreateBody.externalId maxLength
PROFILE_FIELDS = {"givenName": 128, "surname": 128, "email": 128, "avatarUrl": 2048, "locale": 64}
PERSONAL_PROFILE_FIELDS = ("givenName", "surname", "email", "avatarUrl")
PERSONAL_CLIENT_FIELDS = ("displayName", "avatarUrl", "info", "raw")
ZENDESK_ID = re.compile(r"^[0-9]{1,32}$")


@v2.post("/apps/<app_id>/users")
@requires("account", "app", "integration")
def create_user(app_id):
    body = json_body()
    external_id = field(body, "externalId", str, non_empty=True)
    if external_id is not None and len(external_id) > EXTERNAL_ID_MAX:
        raise bad_request(f"externalId should NOT be longer than {EXTERNAL_ID_MAX} characters")
    user = {
        "id": ids.object_id(),
        "appId": app_id,
        "signedUpAt": _signed_up_at(body) or rfc3339(mock().clock.now()),
        "toBeRetained": field(body, "toBeRetained", bool) or False,
        "profile": _profile(body, {}),
        "metadata": metadata_field(body, "User") or {},
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
    email = query_object("filter").get("identities.email")
    if email is None:
        return jsonify(paginate_children(mock().store, "user", app_id, "users", render_user))
    users = [user for user in mock().store.children("user", app_id)
             if any(identity.get("type") == "email" and identity.get("value") == email
                    for identity in user.get("identities", []))]
    return jsonify(paginate([render_user(user) for user in users], "users"))


@v2.get("/apps/<app_id>/users/<user_ref>")
@requires("account", "app", "integration")
def get_user(app_id, user_ref):
    return jsonify({"user": render_user(find_user(app_id, user_ref))})


@v2.patch("/apps/<app_id>/users/<user_ref>")
@requires("account", "app", "integration")
def update_user(app_id, user_ref):
    body = json_body()
    user = find_user(app_id, user_ref)
    if "signedUpAt" in body:
        user["signedUpAt"] = _signed_up_at(body)
    if "toBeRetained" in body:
        user["toBeRetained"] = field(body, "toBeRetained", bool)
    if "profile" in body:
        user["profile"] = _profile(body, user.get("profile", {}))
    if "metadata" in body:
        user["metadata"] = metadata_field(body, "User") or {}
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"user": render_user(user)})


@v2.delete("/apps/<app_id>/users/<user_ref>")
@requires("account", "app", "integration")
def delete_user(app_id, user_ref):
    """The user, its clients and devices (its children).  Its participations belong to the
    conversations, which handle them."""
    user = find_user(app_id, user_ref)
    mock().store.delete("user", user["id"])
    _emit(app_id, "user:remove", {"user": _truncated_user(user)})
    return jsonify({})


@v2.delete("/apps/<app_id>/users/<user_ref>/personalinformation")
@requires("account", "app", "integration")
def delete_user_personal_information(app_id, user_ref):
    """Clears givenName, surname, email, avatarUrl and every custom property (metadata) of
    the user, and displayName, avatarUrl, info and raw of each of its clients; keeps the
    user, its ids, locale and conversation history."""
    store = mock().store
    with store.transaction():
        user = find_user(app_id, user_ref)
        profile = {name: value for name, value in user.get("profile", {}).items()
                   if name not in PERSONAL_PROFILE_FIELDS}
        user.update(profile=profile, metadata={}, identities=[])
        store.update("user", user, alt=user.get("externalId"))
        for client in store.children("client", user["id"]):
            for name in PERSONAL_CLIENT_FIELDS:
                client.pop(name, None)
            store.update("client", client)
    return jsonify({"user": render_user(user)})


@v2.post("/apps/<app_id>/users/<zendesk_id>/sync")
@requires("account", "app", "integration")
def sync_user(app_id, zendesk_id):
    """There is no core Zendesk user to read here, so syncing changes nothing but the
    zendeskId itself when the body names a surviving one (a merge, without merging)."""
    if not ZENDESK_ID.match(zendesk_id):
        raise bad_request("zendeskId should be a numeric string")
    body = json_body()
    surviving = field(body, "survivingZendeskId", str)
    if surviving is not None and not ZENDESK_ID.match(surviving):
        raise bad_request("survivingZendeskId should be a numeric string")
    store = mock().store
    with store.transaction():
        user = _user_by_zendesk_id(app_id, zendesk_id)
        if user is None:
            raise ApiError(404, "user_not_found", "User not found",
                           f"app {app_id} has no user with zendeskId {zendesk_id!r}")
        if surviving is not None and surviving != zendesk_id:
            if _user_by_zendesk_id(app_id, surviving) is not None:
                raise ApiError(409, "conflict", "User already exists",
                               f"app {app_id} has a user with zendeskId {surviving!r}; "
                               "the mock does not merge users")
            user["zendeskId"] = surviving
            store.update("user", user, alt=user.get("externalId"))
    return jsonify({"user": render_user(user)})


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



def _user_by_zendesk_id(app_id: str, zendesk_id: str) -> dict | None:
    return next((user for user in mock().store.children("user", app_id)
                 if user.get("zendeskId") == zendesk_id), None)


def _truncated_user(user: dict) -> dict:
    """The `userTruncated` of webhook payloads."""
    return {name: user[name] for name in ("id", "externalId", "zendeskId") if user.get(name) is not None}


def _emit(app_id: str, trigger: str, payload: dict) -> None:
    mock().webhooks.emit(app_id, trigger, payload, source_integration_id=principal().integration_id)


# --- clients ---------------------------------------------------------------------------

# matchCriteria types that CreateClient links (the spec's matchCriteria oneOf), and the
# field naming the user on that channel, which becomes the client's externalId.
LINKABLE = {"mailgun": "address", "messagebird": "phoneNumber", "twilio": "phoneNumber",
            "whatsapp": "phoneNumber"}
CONFIRMATION_TYPES = ("immediate", "userActivity", "prompt")
PHONE_NUMBER = re.compile(r"^\+[0-9][0-9 ().-]*$")
CLIENT_FIELDS = ("id", "type", "status", "integrationId", "externalId", "lastSeen", "linkedAt",
                 "displayName", "avatarUrl", "info", "raw")


def render_client(client: dict) -> dict:
    """The v2 `client`; fields the record does not have (null) are left out, as the
    spec's examples do."""
    return {name: client[name] for name in CLIENT_FIELDS if client.get(name) is not None}


@v2.post("/apps/<app_id>/users/<user_ref>/clients")
@requires("account", "app", "integration")
def create_client(app_id, user_ref):
    body = json_body()
    user = find_user(app_id, user_ref)
    criteria = _match_criteria(body)
    confirmation = field(body, "confirmation", dict, required=True)
    confirmation_type = field(confirmation, "type", str, required=True)
    if confirmation_type not in CONFIRMATION_TYPES:
        raise bad_request(f"confirmation.type should be equal to one of the allowed values: "
                          f"{', '.join(CONFIRMATION_TYPES)}")
    field(confirmation, "message", dict)
    target = field(body, "target", dict, required=True)
    conversation_id = field(target, "conversationId", str, required=True, non_empty=True)

    store = mock().store
    integration = store.get_of_app("integration", criteria["integrationId"], app_id)
    if integration is None:
        raise ApiError(404, "integration_not_found", "Integration not found",
                       f"app {app_id} has no integration {criteria['integrationId'][:64]!r}")
    if integration["type"] != criteria["type"]:
        raise bad_request(f"matchCriteria.type {criteria['type']} does not match the type of "
                          f"integration {integration['id']} ({integration['type']})")
    conversation = store.get_of_app("conversation", conversation_id, app_id)
    if conversation is None:
        raise ApiError(404, "conversation_not_found", "Conversation not found",
                       f"app {app_id} has no conversation {conversation_id[:64]!r}")

    client = {
        "id": ids.object_id(),
        "appId": app_id,
        "userId": user["id"],
        "type": criteria["type"],
        "status": "pending",
        "integrationId": integration["id"],
        "externalId": criteria[LINKABLE[criteria["type"]]],
        "lastSeen": None,
        "linkedAt": None,
        "info": None,
        "raw": None,
        "linkRequest": {"matchCriteria": criteria, "confirmation": confirmation,
                        "target": {"conversationId": conversation_id}},
    }
    store.insert("client", client, parent=user["id"])
    return created({"client": render_client(client)})


@v2.get("/apps/<app_id>/users/<user_ref>/clients")
@requires("account", "app", "integration")
def list_clients(app_id, user_ref):
    user = find_user(app_id, user_ref)
    clients = mock().store.children("client", user["id"])
    return jsonify(paginate([render_client(client) for client in clients], "clients"))


@v2.delete("/apps/<app_id>/users/<user_ref>/clients/<client_id>")
@requires("account", "app", "integration")
def remove_client(app_id, user_ref, client_id):
    user = find_user(app_id, user_ref)
    store = mock().store
    client = store.get("client", client_id)
    if client is None or client["userId"] != user["id"]:
        raise ApiError(404, "client_not_found", "Client not found",
                       f"user {user['id']} has no client {client_id[:64]!r}")
    if client["type"] == "sdk":
        raise bad_request("Cannot remove a client of type 'sdk'")
    with store.transaction():
        store.delete("client", client["id"])
        for device in store.children("device", user["id"]):
            if device.get("clientId") == client["id"]:
                store.delete("device", device["id"])
    _emit(app_id, "client:remove", {"user": _truncated_user(user), "client": render_client(client),
                                    "reason": "api"})
    return jsonify({})


def _match_criteria(body: dict) -> dict:
    """`matchCriteria`, checked per channel type; returns the fields the type defines."""
    criteria = field(body, "matchCriteria", dict, required=True)
    kind = field(criteria, "type", str, required=True)
    if kind not in LINKABLE:
        raise bad_request(f"matchCriteria.type should be equal to one of the allowed values: "
                          f"{', '.join(LINKABLE)}")
    checked = {"type": kind,
               "integrationId": field(criteria, "integrationId", str, required=True, non_empty=True),
               "primary": True if criteria.get("primary") is None else field(criteria, "primary", bool)}
    if kind == "mailgun":
        checked["address"] = field(criteria, "address", str, required=True, non_empty=True)
        subject = field(criteria, "subject", str)
        if subject is not None:
            checked["subject"] = subject
    else:
        phone = field(criteria, "phoneNumber", str, required=True)
        digits = re.sub(r"[^0-9]", "", phone)
        if not PHONE_NUMBER.match(phone) or not 7 <= len(digits) <= 15:
            raise bad_request("matchCriteria.phoneNumber should be a phone number with the + prefix "
                              "and the country code")
        checked["phoneNumber"] = phone
    return checked


# --- devices ---------------------------------------------------------------------------

DEVICE_FIELDS = ("id", "type", "guid", "clientId", "status", "integrationId", "lastSeen",
                 "pushNotificationToken", "info", "appVersion")


def render_device(device: dict) -> dict:
    return {name: device[name] for name in DEVICE_FIELDS if device.get(name) is not None}


@v2.get("/apps/<app_id>/users/<user_ref>/devices")
@requires("account", "app", "integration")
def list_devices(app_id, user_ref):
    """"The Devices are sorted based on last seen time": the most recently seen first."""
    user = find_user(app_id, user_ref)
    devices = sorted(mock().store.children("device", user["id"]),
                     key=lambda device: device.get("lastSeen") or "", reverse=True)
    return jsonify({"devices": [render_device(device) for device in devices]})


@v2.get("/apps/<app_id>/users/<user_ref>/devices/<device_id>")
@requires("account", "app", "integration")
def get_device(app_id, user_ref, device_id):
    user = find_user(app_id, user_ref)
    device = mock().store.get("device", device_id)
    if device is None or device["userId"] != user["id"]:
        raise ApiError(404, "device_not_found", "Device not found",
                       f"user {user['id']} has no device {device_id[:64]!r}")
    return jsonify({"device": render_device(device)})
