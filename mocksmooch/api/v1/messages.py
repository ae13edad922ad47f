"""v1.1 messages and conversation activity of an app user, under
/apps/<app_id>/appusers/<user_ref>/... and the app-less /appusers/<user_ref>/...

A v1 app user has one conversation: its default one in the shared store
(`domain.default_conversation`), created by its first message.  A v1 message is the v2
message record seen through v1 names, so a message posted here is read through v2 and
vice versa:

    v1                        v2 record
    _id                       id
    role appUser / appMaker   author.type user / business
    authorId                  author.userId (appUser); a hash of the appMaker's email
    name, avatarUrl           author.displayName, author.avatarUrl
    received (seconds, float) received (RFC 3339)
    type, text, mediaUrl...   content.type, content.text, content.mediaUrl...
    source.type "api"         source.type "api" ("api:conversations" reads as "api")
    email                     authorEmail (a record field v2 does not render)

What posting, deleting and reading do to the state, and the webhooks they raise, are the
shared rules of `mocksmooch.domain.conversations`; its refusals carry v2 codes, mapped
here to the v1 ones (`v1_errors`).
"""
from __future__ import annotations

import hashlib
import math
from contextlib import contextmanager

from flask import jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...clock import parse_rfc3339
from ...domain import conversations as domain
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock, principal
from ..v2.attachments import save_upload
from ..v2.common import metadata_field
from . import app_route, not_found, with_status
from .app_users import app_user

SCOPES = ("account", "app", "appUser", "integration")
ROLES = {"appUser": "user", "appMaker": "business"}
SOURCE_TYPE = "api"                      # v1 messages sent with the API: source {"type": "api"}
V2_SOURCE_TYPES = {"api:conversations": SOURCE_TYPE}
ACTIVITY_TYPES = ("typing:start", "typing:stop", "conversation:read")
PAGE_SIZE = domain.MESSAGE_PAGE_SIZE     # "a limit of 100 messages"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024      # "The maximum size allowed per file is 10MB."
MULTIPART_SLACK = 64 * 1024              # boundaries and form fields around the file

# The message types a v1 message may be posted with, and the field each cannot do without
# (formResponse messages come from users' SDKs, never from the API).
MESSAGE_TYPES = {"text": ("text", str), "image": ("mediaUrl", str), "file": ("mediaUrl", str),
                 "carousel": ("items", list), "list": ("items", list), "location": ("coordinates", dict),
                 "form": ("fields", list)}
# Content fields shared by the v1 message and the v2 content, in the v1 Message model's order.
CONTENT_FIELDS = ("text", "mediaUrl", "mediaType", "altText", "items", "actions", "payload",
                  "displaySettings", "blockChatInput", "fields", "submitted", "textFallback",
                  "coordinates", "location")
# v1 action types and the fields each needs besides `type` (`text` for all but share).
ACTION_FIELDS = {"buy": ("text", "amount"), "link": ("text", "uri"), "locationRequest": ("text",),
                 "postback": ("text", "payload"), "reply": ("text", "payload"), "share": (),
                 "webview": ("text", "uri", "fallback")}
FORM_FIELD_TYPES = ("text", "email", "select")
# v2 codes of the shared rules whose v1 code and description differ.
V1_CODES = {"conversation_not_found": ("not_found", "Conversation not found"),
            "user_not_found": ("not_found", "App user not found")}


# --- rendering -------------------------------------------------------------------------------

def render_message(message: dict) -> dict:
    """The v1 Message: its required fields (`_id`, `authorId`, `role`, `type`, `name`, `text`,
    `avatarUrl`, `received`) are never null; image and file messages without text show
    their mediaUrl as text, as the v1 image upload's answer does."""
    author, content = message["author"], message["content"]
    rendered = {"_id": message["id"], "authorId": _author_id(message),
                "role": "appUser" if author["type"] == "user" else "appMaker",
                "type": content["type"], "name": author.get("displayName") or "",
                "text": content.get("text") or "",
                "avatarUrl": author.get("avatarUrl") or domain.DEFAULT_BUSINESS_AVATAR,
                "received": _seconds(message["received"]), "source": _render_source(message.get("source") or {})}
    if not rendered["text"] and content["type"] in ("image", "file"):
        rendered["text"] = content.get("mediaUrl") or ""
    if message.get("authorEmail"):
        rendered["email"] = message["authorEmail"]
    rendered.update({name: content[name] for name in CONTENT_FIELDS
                     if name != "text" and content.get(name) is not None})
    if message.get("metadata") is not None:
        rendered["metadata"] = message["metadata"]
    quoted = message.get("quotedMessage")
    if quoted:
        rendered["quotedMessage"] = _render_quoted(quoted)
    return rendered


def render_conversation(conversation: dict, user: dict) -> dict:
    """The v1 Conversation: its id and the app user's unread count."""
    participant = domain.find_participant(mock().store, conversation, user["id"])
    return {"_id": conversation["id"], "unreadCount": participant["unreadCount"] if participant else 0}


def _author_id(message: dict) -> str:
    author = message["author"]
    if author["type"] == "user":
        return author["userId"]
    return _email_hash(message.get("authorEmail"))[:24]


def _email_hash(email: str | None) -> str:
    return hashlib.md5((email or "").strip().lower().encode()).hexdigest()


def _render_source(source: dict) -> dict:
    rendered = {"type": V2_SOURCE_TYPES.get(source.get("type"), source.get("type") or SOURCE_TYPE)}
    if source.get("originalMessageId"):
        rendered["originalMessageId"] = source["originalMessageId"]
    return rendered


def _render_quoted(quoted: dict) -> dict:
    if quoted.get("type") == "message" and isinstance(quoted.get("message"), dict):
        try:
            return {"type": "message", "content": render_message(quoted["message"])}
        except (KeyError, TypeError, ValueError):  # a partial message: only its type is known
            return {"type": "message"}
    rendered = {"type": quoted.get("type") or "externalMessageId"}
    if quoted.get("externalMessageId"):
        rendered["externalMessageId"] = quoted["externalMessageId"]
    return rendered


def _seconds(received: str) -> float:
    return _milliseconds(received) / 1000


def _milliseconds(received: str) -> int:
    return round(parse_rfc3339(received) * 1000)


# --- messages --------------------------------------------------------------------------------

@app_route("/appusers/<user_ref>/messages", "GET", *SCOPES)
def get_messages(app_id, user_ref):
    """The 100 messages right before `before`, right after `after` (Unix timestamps in
    seconds, the messages at exactly that time excluded), else the 100 most recent; 404
    while the app user has no conversation."""
    before, after = timestamp_query("before"), timestamp_query("after")
    if before is not None and after is not None:
        raise bad_request("before and after are mutually exclusive")
    user = app_user(app_id, user_ref)
    conversation = _existing_conversation(app_id, user)
    messages = domain.messages_of(mock().store, conversation)
    stamps = [_milliseconds(message["received"]) for message in messages]
    if after is not None:
        chosen = [index for index, stamp in enumerate(stamps) if stamp > after][:PAGE_SIZE]
    elif before is not None:
        chosen = [index for index, stamp in enumerate(stamps) if stamp < before][-PAGE_SIZE:]
    else:
        chosen = list(range(len(messages)))[-PAGE_SIZE:]
    body = {"conversation": render_conversation(conversation, user),
            "messages": [render_message(messages[index]) for index in chosen]}
    if chosen and chosen[-1] < len(messages) - 1:
        body["next"] = page_link("after", stamps[chosen[-1]])
    if chosen and chosen[0] > 0:
        body["previous"] = page_link("before", stamps[chosen[0]])
    return jsonify(body)


@app_route("/appusers/<user_ref>/messages", "POST", *SCOPES)
def post_message(app_id, user_ref):
    """Post a message to or from the app user; its conversation is created if it has none."""
    body = json_body()
    role = _role(body)
    kind = field(body, "type", str, required=True)
    if kind == "formResponse":
        raise bad_request("formResponse messages cannot be sent via the API")
    if kind not in MESSAGE_TYPES:
        raise bad_request(f"type should be equal to one of the allowed values: {', '.join(MESSAGE_TYPES)}")
    sender = _sender(body)
    content = _content(body, kind, role)
    metadata = metadata_field(body, "Message")
    field(body, "destination", dict)  # channel targeting: nothing to deliver to here
    field(body, "override", dict)
    user = app_user(app_id, user_ref)
    message, conversation = _post(app_id, user, role, sender, content, metadata)
    return with_status({"message": render_message(message),
                        "conversation": render_conversation(conversation, user)}, 201)


@app_route("/appusers/<user_ref>/messages", "DELETE", *SCOPES)
def delete_messages(app_id, user_ref):
    """Clear the app user's message history; the conversation itself stays."""
    user = app_user(app_id, user_ref)
    with v1_errors():
        domain.delete_all_messages(mock(), _existing_conversation(app_id, user))
    return jsonify({})


@app_route("/appusers/<user_ref>/messages/<message_id>", "DELETE", *SCOPES)
def delete_message(app_id, user_ref, message_id):
    user = app_user(app_id, user_ref)
    with v1_errors():
        domain.delete_message(mock(), _existing_conversation(app_id, user), message_id)
    return jsonify({})


@app_route("/appusers/<user_ref>/images", "POST", *SCOPES)
def post_image_message(app_id, user_ref):
    """Upload an image (multipart `source`) and post it as an image message: the deprecated
    form of uploading an attachment, then posting its mediaUrl.  The other form fields are
    those of a posted message (`role` required; `name`, `email`, `avatarUrl`, `text`)."""
    form = _form()
    role = _role(form)
    sender = _sender(form)
    text = field(form, "text", str)
    user = app_user(app_id, user_ref)
    if "source" not in request.files:
        raise bad_request("should have required property 'source'")
    conversation = domain.default_conversation(mock(), app_id, user, source=_source())
    attachment = save_v1_upload(app_id, conversation_id=conversation["id"])
    content = {"type": "image", "mediaUrl": attachment["mediaUrl"], "mediaType": attachment["mediaType"],
               "mediaSize": attachment["mediaSize"]}
    if text:
        content["text"] = text
    message, conversation = _post(app_id, user, role, sender, content, None)
    return with_status({"message": render_message(message),
                        "conversation": render_conversation(conversation, user)}, 201)


# --- the conversation ----------------------------------------------------------------------------

@app_route("/appusers/<user_ref>/conversation/read", "POST", *SCOPES)
def reset_unread_count(app_id, user_ref):
    """The app user has read everything: its unread count is 0 again."""
    user = app_user(app_id, user_ref)
    conversation = _existing_conversation(app_id, user)
    domain.post_activity(mock(), conversation, author=domain.user_author(user), activity_type="conversation:read",
                         source=_source(), source_integration_id=principal().integration_id)
    return jsonify({})


@app_route("/appusers/<user_ref>/conversation/activity", "POST", *SCOPES)
def conversation_activity(app_id, user_ref):
    """typing:start, typing:stop or conversation:read, by the app maker (or, for
    conversation:read only, by the app user)."""
    body = json_body()
    role = _role(body)
    activity_type = field(body, "type", str, required=True)
    if activity_type not in ACTIVITY_TYPES:
        raise bad_request(f"type should be equal to one of the allowed values: {', '.join(ACTIVITY_TYPES)}")
    if role == "appUser" and activity_type != "conversation:read":
        raise bad_request("If the role is appUser, only conversation:read is supported.")
    name = field(body, "name", str)
    avatar_url = field(body, "avatarUrl", str)
    user = app_user(app_id, user_ref)
    conversation = _existing_conversation(app_id, user)
    author = (domain.user_author(user, display_name=name, avatar_url=avatar_url) if role == "appUser"
              else domain.business_author(display_name=name, avatar_url=avatar_url))
    domain.post_activity(mock(), conversation, author=author, activity_type=activity_type, source=_source(),
                         source_integration_id=principal().integration_id)
    conversation = mock().store.get("conversation", conversation["id"]) or conversation
    return jsonify({"conversation": render_conversation(conversation, user)})


# --- shared with the v1.1 attachment routes --------------------------------------------------------

def save_v1_upload(app_id: str, *, container: str | None = "message", conversation_id: str | None = None) -> dict:
    """`save_upload` under v1's limit: 10MB per file (413 beyond), checked on the announced
    length first and on the file itself after."""
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES + MULTIPART_SLACK:
        raise _too_large()
    with v1_errors():
        attachment = save_upload(app_id, access="public", container=container, conversation_id=conversation_id)
    if attachment["mediaSize"] > MAX_UPLOAD_BYTES:
        mock().store.delete("attachment", attachment["id"])
        raise _too_large()
    return attachment


@contextmanager
def v1_errors():
    """Re-raise the shared rules' refusals with their v1 code and description."""
    try:
        yield
    except ApiError as error:
        if error.code not in V1_CODES:
            raise
        code, description = V1_CODES[error.code]
        raise ApiError(error.status, code, description, error.reason) from None


# --- reading requests --------------------------------------------------------------------------------

def _post(app_id: str, user: dict, role: str, sender: dict, content: dict,
          metadata: dict | None) -> tuple[dict, dict]:
    """Post to the app user's conversation (created on its first message), as the app user
    or as the app maker; the appMaker's email is kept on the record for `authorId` and
    `email`.  Returns (message, conversation), both as stored after the post."""
    store = mock().store
    with store.transaction(), v1_errors():
        conversation = domain.default_conversation(mock(), app_id, user, source=_source())
        if role == "appUser":
            author = domain.user_author(user, display_name=sender["name"], avatar_url=sender["avatarUrl"])
        else:
            avatar_url = sender["avatarUrl"]
            if avatar_url is None and sender["email"]:
                avatar_url = f"https://www.gravatar.com/avatar/{_email_hash(sender['email'])}.png?s=200&d=mm"
            author = domain.business_author(display_name=sender["name"], avatar_url=avatar_url)
        message = domain.post_message(mock(), conversation, author=author, content=content, source=_source(),
                                      metadata=metadata, source_integration_id=principal().integration_id)
        if sender["email"]:
            message["authorEmail"] = sender["email"]
            store.update("message", message)
        return message, store.get("conversation", conversation["id"]) or conversation


def _existing_conversation(app_id: str, user: dict) -> dict:
    conversation = domain.default_conversation(mock(), app_id, user, create=False)
    if conversation is None:
        raise not_found("Conversation", f"app user {user['id']} has no conversation yet")
    return conversation


def _role(body: dict) -> str:
    """`role`, which an appUser credential may only give as appUser: "Sending appMaker
    messages from a client browser is not supported"."""
    role = field(body, "role", str, required=True)
    if role not in ROLES:
        raise bad_request(f"role should be equal to one of the allowed values: {', '.join(ROLES)}")
    if role != "appUser" and principal().scope == "appUser":
        raise ApiError(403, "forbidden", "Forbidden",
                       f"an appUser credential may not act as {role}; a JWT with app scope is required")
    return role


def _sender(body: dict) -> dict:
    return {"name": field(body, "name", str), "email": field(body, "email", str),
            "avatarUrl": field(body, "avatarUrl", str)}


def _source() -> dict:
    source = {"type": SOURCE_TYPE}
    if principal().integration_id is not None:
        source["integrationId"] = principal().integration_id
    return source


def _content(body: dict, kind: str, role: str) -> dict:
    """The message's content fields, checked: the type's own field, then the shapes of the
    optional ones.  Null members are dropped."""
    needed, needed_kind = MESSAGE_TYPES[kind]
    value = field(body, needed, needed_kind, required=True)
    if not value:
        raise bad_request(f"{needed} should NOT be {'shorter than 1 characters' if needed_kind is str else 'empty'}")
    content = {"type": kind}
    for name in CONTENT_FIELDS:
        if body.get(name) is not None:
            content[name] = body[name]
    for name in ("text", "mediaUrl", "mediaType", "altText", "payload"):
        field(body, name, str, nullable=True)
    field(body, "blockChatInput", bool, nullable=True)
    if "actions" in content:
        if role != "appMaker":
            raise bad_request("Action buttons can only be attached to messages with a role of appMaker")
        _actions(field(body, "actions", list), "actions")
    if kind in ("carousel", "list"):
        _items(value)
    if kind == "location":
        for name in ("lat", "long"):
            number = value.get(name)
            if number is None:
                raise bad_request(f"coordinates should have required property '{name}'")
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise bad_request(f"coordinates.{name} should be number")
        field(body, "location", dict, nullable=True)
    if kind == "form":
        _form_fields(value)
    return content


def _actions(actions: list, where: str) -> None:
    for index, action in enumerate(actions):
        at = f"{where}[{index}]"
        if not isinstance(action, dict):
            raise bad_request(f"{at} should be object")
        kind = action.get("type")
        if kind is None:
            raise bad_request(f"{at} should have required property 'type'")
        if kind not in ACTION_FIELDS:
            raise bad_request(f"{at}.type should be equal to one of the allowed values: {', '.join(ACTION_FIELDS)}")
        for name in ACTION_FIELDS[kind]:
            if action.get(name) is None:
                raise bad_request(f"{at} should have required property '{name}'")
        for name in ("text", "uri", "payload", "fallback"):
            if action.get(name) is not None and not isinstance(action[name], str):
                raise bad_request(f"{at}.{name} should be string")
        if kind == "buy" and (isinstance(action["amount"], bool) or not isinstance(action["amount"], int)):
            raise bad_request(f"{at}.amount should be integer")


def _items(items: list) -> None:
    """Carousel and list items: 1 to 10, each an object with a title and its actions."""
    if len(items) > 10:
        raise bad_request("items should NOT have more than 10 items")
    for index, item in enumerate(items):
        at = f"items[{index}]"
        if not isinstance(item, dict):
            raise bad_request(f"{at} should be object")
        for name, kind in (("title", str), ("actions", list)):
            if item.get(name) is None:
                raise bad_request(f"{at} should have required property '{name}'")
            if not isinstance(item[name], kind):
                raise bad_request(f"{at}.{name} should be {'string' if kind is str else 'array'}")
        _actions(item["actions"], f"{at}.actions")


def _form_fields(fields: list) -> None:
    if len(fields) > 20:
        raise bad_request("fields should NOT have more than 20 items")
    for index, entry in enumerate(fields):
        at = f"fields[{index}]"
        if not isinstance(entry, dict):
            raise bad_request(f"{at} should be object")
        for name in ("type", "name", "label"):
            if not isinstance(entry.get(name), str) or not entry[name]:
                raise bad_request(f"{at} should have required property '{name}'")
        if entry["type"] not in FORM_FIELD_TYPES:
            raise bad_request(f"{at}.type should be equal to one of the allowed values: {', '.join(FORM_FIELD_TYPES)}")


def _form() -> dict:
    """The multipart form fields (not the file), refusing a body over v1's upload limit unread."""
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES + MULTIPART_SLACK:
        raise _too_large()
    try:
        return request.form.to_dict()
    except RequestEntityTooLarge:
        raise _too_large() from None


def timestamp_query(name: str) -> int | None:
    """A Unix timestamp in seconds (decimals allowed) as whole milliseconds."""
    text = request.args.get(name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise bad_request(f"{name} should be a Unix timestamp in seconds")
    return round(value * 1000)


def page_link(name: str, milliseconds: int) -> str:
    return f"{request.base_url}?{name}={milliseconds // 1000}.{milliseconds % 1000:03d}"


def _too_large() -> ApiError:
    return ApiError(413, "payload_too_large", "Request entity too large",
                    f"v1 attachments are limited to {MAX_UPLOAD_BYTES} bytes")
