"""v1 notifications: a business-initiated message to someone known only by a channel id
(a phone number on WhatsApp, Twilio or MessageBird), who may not be a user yet.

The description has the operation under `/v1` only (`POST /v1/apps/{appId}/notifications`,
which the v1 Python client calls); like every v1 route here it also answers under `/v1.1`.
The message itself is not stored (conversations are another module's); what the mock
keeps is the recipient: the user holding a client of that integration with that channel
id, created (with an active client) if there is none yet.
"""
from __future__ import annotations

import re
import uuid

from ... import ids
from ...clock import rfc3339
from ..bodies import field, json_body
from ..errors import bad_request
from ..guard import mock
from . import app_route, find_integration, with_status
from .templates import message_field

NOTIFICATION_CHANNELS = ("whatsapp", "twilio", "messagebird")
PHONE = re.compile(r"^\+?[0-9]{7,15}$")


@app_route("/notifications", "POST", "account", "app", "integration")
def post_notification(app_id):
    body = json_body()
    destination = field(body, "destination", dict, required=True)
    integration_id = _string(destination, "integrationId", "destination")
    destination_id = _string(destination, "destinationId", "destination")
    _author(field(body, "author", dict, required=True))
    schema = field(body, "messageSchema", str)
    if schema is not None and schema != "whatsapp":
        raise bad_request("messageSchema should be equal to one of the allowed values: whatsapp")
    if schema == "whatsapp":  # a WhatsApp message object (e.g. a template), passed through as is
        field(body, "message", dict, required=True)
    else:
        message_field(body, "message", required=True)

    integration = find_integration(app_id, integration_id)
    if integration["type"] not in NOTIFICATION_CHANNELS:
        raise bad_request(f"Notifications are not supported for integrations of type '{integration['type']}'")
    if schema == "whatsapp" and integration["type"] != "whatsapp":
        raise bad_request("messageSchema whatsapp requires a whatsapp integration")
    recipient = re.sub(r"[\s().-]", "", destination_id)
    if not PHONE.match(recipient):
        raise bad_request("destination.destinationId must be a phone number with its country code")

    _recipient(app_id, integration, recipient)
    return with_status({"notification": {"_id": str(uuid.uuid4())}}, 201)


def _string(body: dict, name: str, parent: str) -> str:
    value = body.get(name)
    if value is None:
        raise bad_request(f"{parent} should have required property '{name}'")
    if not isinstance(value, str) or not value:
        raise bad_request(f"{parent}.{name} should be a non-empty string")
    return value


def _author(author: dict) -> None:
    """Notifications are sent by the business: the author's role is `appMaker`."""
    if "role" not in author:
        raise bad_request("author should have required property 'role'")
    if author["role"] != "appMaker":
        raise bad_request("author.role should be equal to one of the allowed values: appMaker")
    for name in ("name", "email", "avatarUrl"):
        if name in author and not isinstance(author[name], str):
            raise bad_request(f"author.{name} should be string")


def _recipient(app_id: str, integration: dict, recipient: str) -> dict:
    """The user reached at `recipient` through `integration`; a new one if nobody is."""
    store = mock().store
    for client in store.children("client"):
        if client["appId"] == app_id and client.get("integrationId") == integration["id"] \
                and client.get("externalId") == recipient:
            return store.get("user", client["userId"])
    now = rfc3339(mock().clock.now())
    user = {"id": ids.object_id(), "appId": app_id, "signedUpAt": now, "toBeRetained": False,
            "profile": {}, "metadata": {}, "identities": []}
    client = {"id": ids.object_id(), "appId": app_id, "userId": user["id"], "type": integration["type"],
              "status": "active", "integrationId": integration["id"], "externalId": recipient,
              "lastSeen": None, "linkedAt": now, "displayName": recipient, "info": {}, "raw": {}}
    with store.transaction():
        store.insert("user", user, parent=app_id)
        store.insert("client", client, parent=user["id"])
    return user
