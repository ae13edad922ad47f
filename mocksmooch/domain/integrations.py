"""Integrations, their webhooks, and switchboards: the rules every API version shares.

The integration types and their fields are those of the v2 OpenAPI description (17.12.1):
one `Field` per property of the type's schema, saying what a client may send (on create,
on update), what the API must never send back (`writeOnly` secrets), and what it fills in
by itself (`readOnly`, defaults).  Validation here is pure: it raises `Invalid(message)`
with the spec's wording, and each API version turns that into its own 400.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Callable

# --- limits and vocabularies (v2 OpenAPI 17.12.1) ------------------------------------------

MAX_KEYS_PER_INTEGRATION = 10          # CustomIntegrationApiKeys tag: "a maximum of 10 keys"
MAX_WEBHOOKS_PER_APP = 10              # Webhooks tag: "An app is limited to 10 webhooks"
MAX_SWITCHBOARD_INTEGRATIONS = 10      # Switchboard Integrations tag and its 400 example
DISPLAY_NAME_MAX = 100

# The "Webhook Triggers" table of the spec's introduction; triggers are case sensitive.
WEBHOOK_TRIGGERS = (
    "client:add", "client:remove", "client:update",
    "conversation:create", "conversation:join", "conversation:leave", "conversation:remove",
    "conversation:message", "conversation:message:delivery:channel",
    "conversation:message:delivery:failure", "conversation:message:delivery:user",
    "conversation:postback", "conversation:read", "conversation:referral", "passthrough:messaging",
    "conversation:typing",
    "switchboard:acceptControl", "switchboard:acceptControl:failure",
    "switchboard:offerControl", "switchboard:offerControl:failure",
    "switchboard:passControl", "switchboard:passControl:failure", "switchboard:releaseControl",
    "user:merge", "user:update", "user:remove",
)

# Integrations that are channels (their `type` is one of the spec's discriminator values other
# than `custom`): they carry neither API keys nor webhooks.
SDK_TYPES = frozenset({"android", "ios", "unity", "web"})

SWITCHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
SWITCHBOARD_NAME_MAX = 128
_HEX_COLOR = re.compile(r"^(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


class Invalid(ValueError):
    """A request body the real API answers with 400 `bad_request`; the message is the title."""


def webhook_secret() -> str:
    """32 lowercase hex, the format of the spec's examples (`8564b3e6a8b20a4bdb68b05ce9bc5936`)."""
    return secrets.token_hex(16)


# --- integration types ----------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One property of an integration type's schema."""

    kind: type | tuple[type, ...]
    required: bool = False        # in the schema's `required` (create only)
    write_only: bool = False      # accepted, stored, never rendered
    read_only: bool = False       # rendered if known, ignored in requests
    nullable: bool = False
    min_length: int | None = None
    max_length: int | None = None
    default: Any = None           # rendered when unset (None: not rendered)
    updatable: bool = False       # in the type's `...Update` schema
    check: Callable[[str, Any], None] | None = None


def _hex_color(name: str, value: Any) -> None:
    if not _HEX_COLOR.match(value):
        raise Invalid(f"{name} must be a 3 or 6-character hexadecimal color")


def _one_of(*allowed: str) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value not in allowed:
            raise Invalid(f"{name} should be equal to one of the allowed values: {', '.join(allowed)}")
    return check


def _strings(name: str, value: Any) -> None:
    if not all(isinstance(item, str) for item in value):
        raise Invalid(f"{name} should be an array of strings")


def _prechat_capture(name: str, value: Any) -> None:
    kinds = {"avatarUrl": str, "enabled": bool, "enableEmailLinking": bool, "fields": list}
    for key, item in value.items():
        if key not in kinds:
            raise Invalid(f"{name} should NOT have additional property '{key}'")
        if not isinstance(item, kinds[key]) or (kinds[key] is not bool and isinstance(item, bool)):
            raise Invalid(f"{name}.{key} should be {_KIND_NAMES[kinds[key]]}")
    for index, entry in enumerate(value.get("fields", [])):
        if not isinstance(entry, dict):
            raise Invalid(f"{name}.fields[{index}] should be object")
        for key in ("type", "name", "label"):
            if key not in entry:
                raise Invalid(f"{name}.fields[{index}] should have required property '{key}'")
        if entry["type"] not in ("email", "select", "text"):
            raise Invalid(f"{name}.fields[{index}].type should be equal to one of the allowed values: "
                          "email, select, text")


_KIND_NAMES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array",
               dict: "object"}

# Every channel type but custom takes these (allOf defaultResponderId, showAIDisclaimer).
_CHANNEL_COMMON = {
    "defaultResponderId": Field(str, nullable=True, updatable=True, write_only=True),
    "showAIDisclaimer": Field(bool, updatable=True),
}
_CONVERSATION_LIST = {
    "canUserSeeConversationList": Field(bool, updatable=True),
    "canUserCreateMoreConversations": Field(bool, updatable=True),
    "attachmentsEnabled": Field(bool, read_only=True, default=True),
}
_SECRET = dict(min_length=1, write_only=True, nullable=True)

INTEGRATION_TYPES: dict[str, dict[str, Field]] = {
    "android": {
        "projectId": Field(str, updatable=True, **_SECRET),
        "clientEmail": Field(str, updatable=True, **_SECRET),
        "privateKey": Field(str, updatable=True, **_SECRET),
        "serverKey": Field(str, updatable=True, **_SECRET),
        "senderId": Field(str, min_length=1, nullable=True, updatable=True),
        **_CONVERSATION_LIST,
    },
    "apple": {
        "businessId": Field(str, required=True),
        "apiSecret": Field(str, required=True, write_only=True),
        "mspId": Field(str, required=True),
        "authenticationMessageSecret": Field(str, min_length=88, updatable=True),
    },
    "custom": {},  # `webhooks` (exactly one) is handled by the API layer: they are records of their own
    "instagram": {
        "pageAccessToken": Field(str, required=True, write_only=True, nullable=True, updatable=True),
        "appId": Field(str, required=True),
        "appSecret": Field(str, required=True, write_only=True, nullable=True),
        "businessName": Field(str, read_only=True),
        "businessUsername": Field(str, read_only=True),
        "pageId": Field(str, read_only=True),
        "businessId": Field(str, read_only=True),
        "username": Field(str, read_only=True),
        "userId": Field(str, read_only=True),
        "storyRepliesEnabled": Field(bool, default=True, updatable=True),
        "storyMentionsEnabled": Field(bool, default=True, updatable=True),
    },
    "ios": {
        "certificate": Field(str, updatable=True, **_SECRET),
        "password": Field(str, write_only=True, updatable=True),
        "production": Field(bool, updatable=True),
        "autoUpdateBadge": Field(bool, updatable=True),
        **_CONVERSATION_LIST,
    },
    "line": {
        "channelId": Field(str),
        "channelSecret": Field(str),
        "channelAccessToken": Field(str),
        "serviceCode": Field(str),
        "switcherSecret": Field(str, min_length=1),
        "qrCodeUrl": Field(str),
        "lineId": Field(str, read_only=True),
    },
    "mailgun": {
        "apiKey": Field(str, required=True, **_SECRET),
        "signingKey": Field(str, min_length=1),
        "domain": Field(str, required=True, min_length=1),
        "incomingAddress": Field(str, required=True, min_length=1),
        "hideUnsubscribeLink": Field(bool, updatable=True),
        "fromAddress": Field(str, min_length=1, nullable=True, updatable=True),
    },
    "messagebird": {
        "accessKey": Field(str, required=True, **_SECRET),
        "signingKey": Field(str, required=True, **_SECRET),
        "originator": Field(str, required=True, min_length=1),
        "webhookSecret": Field(str, read_only=True),
    },
    "messenger": {
        "pageAccessToken": Field(str, required=True, nullable=True, updatable=True),
        "appId": Field(str, required=True),
        "appSecret": Field(str, required=True, write_only=True, nullable=True),
        "pageId": Field((int, float)),
        "pageName": Field(str),
    },
    "telegram": {
        "token": Field(str, required=True, **_SECRET),
        "username": Field(str, read_only=True),
        "botId": Field(str, read_only=True),
    },
    "twilio": {
        "accountSid": Field(str, required=True),
        "authToken": Field(str, required=True, **_SECRET),
        "phoneNumberSid": Field(str, min_length=1),
        "messagingServiceSid": Field(str, min_length=1),
    },
    "twitter": {
        "tier": Field(str, required=True, check=_one_of("enterprise")),
        "envName": Field(str, read_only=True),
        "consumerKey": Field(str, required=True, min_length=1, write_only=True),
        "consumerSecret": Field(str, required=True, **_SECRET),
        "accessTokenKey": Field(str, required=True, min_length=1, write_only=True),
        "accessTokenSecret": Field(str, required=True, **_SECRET),
    },
    "unity": {**_CONVERSATION_LIST},
    "viber": {
        "token": Field(str, required=True, **_SECRET),
        "uri": Field(str, read_only=True),
        "accountId": Field(str, read_only=True),
    },
    "web": {
        "brandColor": Field(str, default="65758e", updatable=True, check=_hex_color),
        "fixedIntroPane": Field(bool, default=False, updatable=True),
        "conversationColor": Field(str, default="0099ff", updatable=True, check=_hex_color),
        "actionColor": Field(str, default="0099ff", updatable=True, check=_hex_color),
        "displayStyle": Field(str, default="button", updatable=True, check=_one_of("button", "tab")),
        "buttonIconUrl": Field(str, nullable=True, updatable=True),
        "buttonWidth": Field(str, default="58", updatable=True),
        "buttonHeight": Field(str, default="58", updatable=True),
        "integrationOrder": Field(list, nullable=True, updatable=True, check=_strings),
        "businessName": Field(str, updatable=True),
        "businessIconUrl": Field(str, updatable=True),
        "backgroundImageUrl": Field(str, updatable=True),
        "originWhitelist": Field(list, nullable=True, updatable=True, check=_strings),
        "prechatCapture": Field(dict, updatable=True, check=_prechat_capture),
        **_CONVERSATION_LIST,
    },
    "whatsapp": {
        "hsmFallbackLanguage": Field(str, nullable=True, default="en_US", updatable=True),
        "accountId": Field(str, nullable=True, updatable=True),
        "accountManagementAccessToken": Field(str, nullable=True, updatable=True),
        "phoneNumber": Field(str, read_only=True, nullable=True),
    },
}
for _type, _fields in INTEGRATION_TYPES.items():
    if _type != "custom":
        _fields.update(_CHANNEL_COMMON)

# Base fields every type's schema has; `type`, `id` and `status` are the API's to set.
_BASE_READ_ONLY = ("id", "status")


# Types the v1.1 API creates (the `smooch` client's IntegrationType lists them) that no v2
# integration schema describes: v2 neither creates nor lists them.
V1_ONLY_TYPES: dict[str, dict[str, Field]] = {
    "apn": {
        "certificate": Field(str, required=True, write_only=True),
        "password": Field(str, write_only=True, updatable=True),
        "production": Field(bool, updatable=True),
        "autoUpdateBadge": Field(bool, updatable=True),
    },
    "fcm": {
        "serverKey": Field(str, required=True, write_only=True, updatable=True),
        "senderId": Field(str, required=True, min_length=1, updatable=True),
    },
    "wechat": {
        "appId": Field(str, required=True),
        "appSecret": Field(str, required=True, write_only=True),
        "encodingAesKey": Field(str, write_only=True),
    },
}


def type_fields(integration_type: str) -> dict[str, Field]:
    """The type's own fields; an unknown type (an OAuth integration's client id) has none."""
    return INTEGRATION_TYPES.get(integration_type) or V1_ONLY_TYPES.get(integration_type, {})


def shown_in_v2(integration: dict) -> bool:
    """Whether a v2 integration schema describes it (not an OAuth authorization, not a
    v1-only type): the official v2 client cannot read the others."""
    return integration["type"] in INTEGRATION_TYPES and not integration.get("oauthClientId")


# A channel field whose name the record already uses for something else: Messenger's,
# Instagram's and WeChat's `appId` is the Facebook / WeChat app, not the Smooch app that
# owns the integration record.  Stored under another name, shown under its own.
STORED_AS = {"appId": "channelAppId"}


def stored_name(name: str) -> str:
    return STORED_AS.get(name, name)


def creation_fields(body: dict, *, v1: bool = False) -> tuple[str, dict]:
    """(type, the fields to store) from a Create Integration body, or Invalid."""
    integration_type = body.get("type")
    if "type" not in body:
        raise Invalid("should have required property 'type'")
    known = {**INTEGRATION_TYPES, **V1_ONLY_TYPES} if v1 else INTEGRATION_TYPES
    if not isinstance(integration_type, str) or integration_type not in known:
        raise Invalid("Invalid integration type")
    fields = known[integration_type]
    stored: dict = {}
    for name, value in body.items():
        if name in ("type", "displayName", "webhooks") or name in _BASE_READ_ONLY:
            continue
        spec = fields.get(name)
        if spec is None:
            raise Invalid(f"should NOT have additional property '{name}'")
        if spec.read_only:
            continue
        checked = _checked(name, value, spec)
        if checked is not None:
            stored[stored_name(name)] = checked
    for name, spec in fields.items():
        if spec.required and stored.get(stored_name(name)) is None:
            raise Invalid(f"should have required property '{name}'")
    if integration_type == "twilio" and not (stored.get("phoneNumberSid") or stored.get("messagingServiceSid")):
        raise Invalid("One of messagingServiceSid or phoneNumberSid must be provided")
    if integration_type == "messagebird":
        stored["webhookSecret"] = webhook_secret()
    return integration_type, stored


def update_fields(integration_type: str, body: dict) -> dict:
    """The changes an Update Integration body makes: {name: value}, None meaning unset."""
    fields = type_fields(integration_type)
    changes: dict = {}
    for name, value in body.items():
        if name == "displayName" or (name == "type" and value == integration_type):
            continue
        if name == "type":
            raise Invalid("The type of an integration cannot be changed")
        spec = fields.get(name)
        if spec is None or not spec.updatable:
            raise Invalid(f"should NOT have additional property '{name}'")
        changes[stored_name(name)] = _checked(name, value, spec)
    return changes


def display_name(body: dict) -> str | None:
    """`displayName`: a string of 1 to 100 characters, or null."""
    value = body.get("displayName")
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("displayName should be string")
    if not 1 <= len(value) <= DISPLAY_NAME_MAX:
        raise Invalid(f"displayName should be between 1 and {DISPLAY_NAME_MAX} characters")
    return value


def _checked(name: str, value: Any, spec: Field) -> Any:
    if value is None:
        if spec.nullable:
            return None
        raise Invalid(f"{name} should not be null")
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        words = ["number"] if kinds == (int, float) else [_KIND_NAMES[k] for k in kinds]
        raise Invalid(f"{name} should be {' or '.join(words)}")
    if isinstance(value, str):
        if spec.min_length is not None and len(value) < spec.min_length:
            raise Invalid(f"{name} should NOT be shorter than {spec.min_length} characters")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise Invalid(f"{name} should NOT be longer than {spec.max_length} characters")
    if spec.check is not None:
        spec.check(name, value)
    return value


def render_fields(integration: dict) -> dict:
    """The type's fields as the API shows them: stored values and defaults, never a
    write-only secret."""
    rendered = {}
    for name, spec in type_fields(integration["type"]).items():
        if spec.write_only:
            continue
        value = integration.get(stored_name(name))
        if value is None:
            value = spec.default
        if value is not None:
            rendered[name] = value
    return rendered


# --- webhooks -------------------------------------------------------------------------------

def webhook_fields(body: dict, *, creating: bool) -> dict:
    """`target`, `triggers`, `includeFullUser`, `includeFullSource` from a webhook body."""
    fields: dict = {}
    for name in body:
        if name not in ("target", "triggers", "includeFullUser", "includeFullSource") \
                and name not in ("id", "version", "secret"):
            raise Invalid(f"should NOT have additional property '{name}'")
    for name in ("target", "triggers"):
        if creating and name not in body:
            raise Invalid(f"should have required property '{name}'")
    if "target" in body:
        target = body["target"]
        if not isinstance(target, str):
            raise Invalid("target should be string")
        if not re.match(r"^https?://[^\s/?#]+[^\s]*$", target):
            raise Invalid("target should match format \"uri\" (an http or https URL)")
        fields["target"] = target
    if "triggers" in body:
        triggers = body["triggers"]
        if not isinstance(triggers, list) or not all(isinstance(t, str) for t in triggers):
            raise Invalid("triggers should be array of strings")
        if not triggers:
            raise Invalid("triggers should NOT have fewer than 1 items")
        for trigger in triggers:
            if trigger not in WEBHOOK_TRIGGERS:
                raise Invalid(f"Invalid trigger '{trigger[:64]}'")
        fields["triggers"] = list(dict.fromkeys(triggers))
    for name in ("includeFullUser", "includeFullSource"):
        if name in body:
            if not isinstance(body[name], bool):
                raise Invalid(f"{name} should be boolean")
            fields[name] = body[name]
        elif creating:
            fields[name] = False
    return fields


def webhooks_of_app(store, app_id: str) -> list[dict]:
    """Every webhook of the app, integration by integration, each in creation order."""
    return [webhook for integration in store.children("integration", app_id)
            for webhook in store.children("webhook", integration["id"])]


def accepts_webhooks(integration: dict) -> bool:
    """Custom integrations and Sunshine Conversations Connect (OAuth) integrations have
    webhooks; channels (web, ios, messenger, ...) do not."""
    return integration["type"] == "custom" or integration["type"] not in INTEGRATION_TYPES


# --- switchboards ---------------------------------------------------------------------------

def switchboard_name(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("name should be string")
    if not value:
        raise Invalid("name should NOT be shorter than 1 characters")
    if len(value) > SWITCHBOARD_NAME_MAX:
        raise Invalid(f"name should NOT be longer than {SWITCHBOARD_NAME_MAX} characters")
    if not SWITCHBOARD_NAME.match(value):
        raise Invalid("name is restricted to alphanumeric characters, '-' and '_'")
    return value


def message_history_count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("messageHistoryCount should be integer")
    if not 1 <= value <= 10:
        raise Invalid("messageHistoryCount should be between 1 and 10")
    return value


# --- removing integrations -------------------------------------------------------------------

def unlink_switchboard_integration(store, switchboard: dict, doomed: dict) -> None:
    """Delete a switchboard integration and every reference to it (the switchboard's
    default, which also disables the switchboard, and other switchboard integrations' `next`)."""
    with store.transaction():
        if switchboard.get("defaultSwitchboardIntegrationId") == doomed["id"]:
            switchboard.pop("defaultSwitchboardIntegrationId", None)
            switchboard["enabled"] = False
            store.update("switchboard", switchboard)
        for other in store.children("switchboardIntegration", switchboard["id"]):
            if other.get("nextSwitchboardIntegrationId") == doomed["id"]:
                other.pop("nextSwitchboardIntegrationId")
                store.update("switchboardIntegration", other, alt=other["name"])
        store.delete("switchboardIntegration", doomed["id"])


def remove_integration(store, integration: dict) -> None:
    """Delete an integration: its keys, webhooks and menu go with it (store cascade), so do
    the switchboard integrations that link it, and a WhatsApp deployment it used is free again."""
    with store.transaction():
        for switchboard in store.children("switchboard", integration["appId"]):
            for linked in store.children("switchboardIntegration", switchboard["id"]):
                if linked["integrationId"] == integration["id"]:
                    unlink_switchboard_integration(store, switchboard, linked)
        deployment = store.get("deployment", integration.get("deploymentId") or "")
        if deployment is not None and deployment.get("integrationId") == integration["id"]:
            deployment.pop("integrationId")
            deployment.pop("appId", None)
            deployment["status"] = "registered"
            store.update("deployment", deployment)
        store.delete("integration", integration["id"])

