"""v1.1 channels of an app user: its channel entity ids, linking it to a channel (a
channel transfer started by the business), unlinking, its business-system ids and the
link requests a user follows to continue on another channel.

A link is a `client` record under the user (the v2 model): `pending` until confirmed,
then `active`.  The mock reaches no real channel, so the outcome of a confirmation is
decided at once: `immediate` links become active, `userActivity` and `prompt` links stay
pending (nobody can accept them).  Each change is reported as the v2 webhook events
`client:add`, `client:update` and `client:remove`, with the v2 renderers.
"""
from __future__ import annotations

import re
import secrets

from flask import jsonify, request

from ... import ids
from ...clock import rfc3339
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock, principal
from ..v2.common import render_user
from ..v2.users import render_client
from . import app_route, find_integration, not_found
from .app_users import app_user, render_app_user
from .templates import message_field

USER_SCOPES = ("account", "app", "appUser", "integration")

# Channels a business may link, and the entity that identifies the user on each (AppUserLink).
LINKABLE = {"twilio": "phoneNumber", "messagebird": "phoneNumber", "whatsapp": "phoneNumber",
            "messenger": "phoneNumber", "mailgun": "address"}
# Which confirmation each channel supports (docs: immediate on Twilio, Messenger, Mailgun;
# userActivity on Twilio, Messenger; prompt on Twilio; MessageBird and WhatsApp as SMS-like).
CONFIRMATIONS = {
    "immediate": set(LINKABLE),
    "userActivity": {"twilio", "messagebird", "whatsapp", "messenger"},
    "prompt": {"twilio", "messagebird"},
}
# The ChannelEntityItem field that carries a client's externalId, per channel.
ENTITY_FIELDS = {"twilio": "phoneNumber", "messagebird": "phoneNumber", "mailgun": "address",
                 "whatsapp": "username", "telegram": "chatId", "messenger": "userId", "viber": "userId",
                 "line": "userId", "wechat": "userId", "twitter": "userId"}
SDK_TYPES = {"sdk", "web", "ios", "android"}
# Channels a user can be sent to with a link request: the link, from the integration's
# public handle (v2 field names) or, lacking it, the integration id.
LINK_REQUEST_URLS = {
    "messenger": ("pageId", "https://m.me/{handle}?ref={code}"),
    "telegram": ("username", "https://telegram.me/{handle}?start={code}"),
    "viber": ("uri", "viber://pa?chatURI={handle}&context={code}"),
}
PHONE = re.compile(r"^\+[0-9]{7,15}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- channel entity ids and business systems ----------------------------------------------

@app_route("/appusers/<user_ref>/channels", "GET", *USER_SCOPES)
def get_app_user_entity_ids(app_id, user_ref):
    """The ids the user is known by on its linked (not pending) channels."""
    user = app_user(app_id, user_ref)
    channels = []
    for client in mock().store.children("client", user["id"]):
        if client["type"] in SDK_TYPES or client["status"] == "pending":
            continue
        item = {"type": client["type"]}
        if client.get("integrationId") is not None:
            item["integrationId"] = client["integrationId"]
        if client.get("externalId") is not None:
            item[ENTITY_FIELDS.get(client["type"], "userId")] = client["externalId"]
        channels.append(item)
    return jsonify({"channels": channels})


@app_route("/appusers/<user_ref>/businesssystems", "GET", *USER_SCOPES)
def get_app_user_business_system_ids(app_id, user_ref):
    """Business systems (Slack, Help Scout, Zendesk) attach tickets and rooms to users; the
    mock runs none of them, so the list is always empty."""
    app_user(app_id, user_ref)
    return jsonify({"businessSystems": []})


# --- linking --------------------------------------------------------------------------------

@app_route("/appusers/<user_ref>/channels", "POST", *USER_SCOPES)
def link_app_user(app_id, user_ref):
    body = json_body()
    user = app_user(app_id, user_ref)
    channel = field(body, "type", str, required=True)
    if channel not in LINKABLE:
        raise bad_request(f"type should be equal to one of the allowed values: {', '.join(LINKABLE)}")
    entity = _entity(body, LINKABLE[channel])
    confirmation = _confirmation(body, channel)
    for name in ("givenName", "surname", "subject"):
        field(body, name, str)
    field(body, "primary", bool)
    integration_id = _link_integration(app_id, body, channel)

    store, now = mock().store, rfc3339(mock().clock.now())
    with store.transaction():
        for existing in store.children("client", user["id"]):
            if existing["type"] != channel:
                continue
            if existing["status"] != "pending":
                raise ApiError(409, "conflict", f"App user is already linked to {channel}",
                               f"user {user['id']} has client {existing['id']} of type {channel}")
            store.delete("client", existing["id"])  # a new link request replaces a pending one
        client = {"id": ids.object_id(), "appId": app_id, "userId": user["id"], "type": channel,
                  "status": "pending", "integrationId": integration_id, "externalId": entity,
                  "lastSeen": None, "displayName": entity, "info": {}, "raw": {}}
        store.insert("client", client, parent=user["id"])
    _emit(app_id, "client:add", user, client, "channelLinking", source={"type": "api"})
    if confirmation == "immediate":  # nobody to wait for: the link succeeds now
        client.update(status="active", linkedAt=now)
        store.update("client", client)
        _emit(app_id, "client:update", user, client, "confirmed")
    return jsonify({"appUser": render_app_user(user)})


def _entity(body: dict, name: str) -> str:
    """The phone number (E.164, separators dropped) or email address to link."""
    value = field(body, name, str, required=True, non_empty=True)
    if name == "phoneNumber":
        normalized = re.sub(r"[\s().-]", "", value)
        if not PHONE.match(normalized):
            raise bad_request("phoneNumber must contain the + prefix and the country code")
        return normalized
    if not EMAIL.match(value):
        raise bad_request("address must be an email address")
    return value


def _confirmation(body: dict, channel: str) -> str:
    confirmation = field(body, "confirmation", dict, required=True)
    kind = confirmation.get("type")
    if kind is None:
        raise bad_request("confirmation should have required property 'type'")
    if kind not in CONFIRMATIONS:
        raise bad_request("confirmation.type should be equal to one of the allowed values: "
                          + ", ".join(CONFIRMATIONS))
    if channel not in CONFIRMATIONS[kind]:
        raise bad_request(f"confirmation type {kind} is not available for {channel}")
    if "message" in confirmation:
        message_field(confirmation, "message", prefix="confirmation.")
    elif kind == "userActivity" or channel == "messenger":
        raise bad_request("confirmation should have required property 'message'")
    return kind


def _link_integration(app_id: str, body: dict, channel: str) -> str | None:
    """The integration to link through: the one named (which must be the app's, of the
    channel's type), else the app's first of that type, else none."""
    integration_id = field(body, "integrationId", str, non_empty=True)
    if integration_id is None:
        return next((integration["id"] for integration in mock().store.children("integration", app_id)
                     if integration["type"] == channel), None)
    integration = find_integration(app_id, integration_id)
    if integration["type"] != channel:
        raise bad_request(f"integrationId must be the id of a {channel} integration")
    return integration_id


@app_route("/appusers/<user_ref>/channels/<channel>", "DELETE", *USER_SCOPES)
def unlink_app_user(app_id, user_ref, channel):
    """Remove the user's clients of a channel type (or of an integration, by id), pending
    or linked.  SDK clients are not channels one can unlink."""
    user = app_user(app_id, user_ref)
    if channel in SDK_TYPES:
        raise bad_request(f"Cannot unlink a client of type '{channel}'")
    store = mock().store
    doomed = [client for client in store.children("client", user["id"])
              if channel in (client["type"], client.get("integrationId"))]
    if not doomed:
        raise not_found("Client", f"user {user['id']} has no {channel[:64]!r} client")
    with store.transaction():
        for client in doomed:
            store.delete("client", client["id"])
    for client in doomed:
        _emit(app_id, "client:remove", user, client, "api")
    return jsonify({})


# --- link requests -------------------------------------------------------------------------------

@app_route("/appusers/<user_ref>/linkrequest", "GET", *USER_SCOPES)
def get_link_requests(app_id, user_ref):
    """One code and link per integration named in `integrationIds` (comma separated, as
    the clients send it, or repeated), for the user to follow to continue on that channel."""
    wanted = [part.strip() for value in request.args.getlist("integrationIds")
              for part in value.split(",") if part.strip()]
    if not wanted:
        raise bad_request("should have required property 'integrationIds'")
    app_user(app_id, user_ref)
    link_requests = []
    for integration_id in wanted:
        integration = find_integration(app_id, integration_id)
        if integration["type"] not in LINK_REQUEST_URLS:
            raise bad_request(f"Link requests are not supported for integrations of type '{integration['type']}'")
        handle_field, url = LINK_REQUEST_URLS[integration["type"]]
        code = "lr_" + secrets.token_urlsafe(18)
        link_requests.append({"integrationId": integration["id"], "type": integration["type"], "code": code,
                              "url": url.format(handle=integration.get(handle_field) or integration["id"],
                                                code=code)})
    return jsonify({"linkRequests": link_requests})


# --- webhook events -------------------------------------------------------------------------------

def _emit(app_id: str, trigger: str, user: dict, client: dict, reason: str, **extra) -> None:
    """The user goes in full: each webhook trims it unless it asked for `includeFullUser`."""
    mock().webhooks.emit(app_id, trigger, {"user": render_user(user), "client": render_client(client),
                                           "reason": reason, **extra},
                         source_integration_id=principal().integration_id)
