"""v2 conversations, participants, messages, activities and switchboard actions.

This module reads the v2 request bodies (400s titled after the field, in the spec's
style) and renders the v2 records; what the operations do to the state, and the webhook
events they raise, are the shared rules of `mocksmooch.domain.conversations`.

Callers with `integration` scope act as their integration: it is the `integrationId` of
the messages and activities they post, and the switchboard actions check it.
"""
from __future__ import annotations

import hashlib
from urllib.parse import urlencode, urlparse

from flask import jsonify, request

from ...domain import conversations as domain
from ...domain.conversations import Member
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock, principal, requires
from ..pagination import paginate, query_object
from . import v2
from .common import created, metadata_field

SOURCE_TYPE = "api:conversations"  # what the spec's examples show for messages sent with this API
CONVERSATION_TYPES = ("personal", "sdkGroup")
ACTIVITY_TYPES = ("conversation:read", "typing:start", "typing:stop")
AUTHOR_SUBTYPES = ("AI", "activity")  # "agent" and "bot" are "available in responses only"

# Content types a message may be posted with, and the fields each requires besides `type`
# (formResponse "cannot be sent via the API").
CONTENT_REQUIRED = {"text": (), "carousel": ("items",), "file": ("mediaUrl",), "form": ("fields",),
                    "image": ("mediaUrl",), "list": ("items",), "location": ("coordinates",),
                    "template": ("template",)}
ACTION_REQUIRED = {"buy": ("text", "amount"), "link": ("text", "uri"), "locationRequest": ("text",),
                   "postback": ("text", "payload"), "reply": ("text", "payload"),
                   "webview": ("text", "uri", "fallback")}
ITEM_ACTION_TYPES = ("buy", "link", "postback", "webview")  # actionSubset
FORM_FIELD_TYPES = ("email", "select", "text")
CONVERSION_CHANNELS = ("messenger", "instagram", "whatsapp")


# --- rendering -----------------------------------------------------------------------------

def render_conversation(conversation: dict) -> dict:
    """The v2 `conversation`; absent optional fields are left out, as in the spec's examples."""
    rendered = domain.event_conversation(mock().store, conversation)
    rendered["isDefault"] = bool(conversation.get("isDefault"))
    for name in ("displayName", "description", "iconUrl", "businessLastRead"):
        if conversation.get(name) is not None:
            rendered[name] = conversation[name]
    rendered["lastUpdatedAt"] = conversation["lastUpdatedAt"]
    rendered["createdAt"] = conversation["createdAt"]
    return rendered


def render_participant(participant: dict) -> dict:
    rendered = {"id": participant["id"], "userId": participant["userId"],
                "unreadCount": participant["unreadCount"],
                "clientAssociations": participant.get("clientAssociations", [])}
    user = mock().store.get("user", participant["userId"])
    if user is not None and user.get("externalId") is not None:
        rendered["userExternalId"] = user["externalId"]
    if participant.get("lastRead") is not None:
        rendered["lastRead"] = participant["lastRead"]
    return rendered


def render_message(message: dict) -> dict:
    rendered = {"id": message["id"], "received": message["received"], "author": message["author"],
                "content": message["content"], "source": message["source"]}
    for name in ("quotedMessage", "metadata"):
        if message.get(name) is not None:
            rendered[name] = message[name]
    return rendered


# --- conversations --------------------------------------------------------------------------

@v2.post("/apps/<app_id>/conversations")
@requires("account", "app", "integration")
def create_conversation(app_id):
    body = json_body()
    kind = field(body, "type", str, required=True)
    if kind not in CONVERSATION_TYPES:
        raise bad_request("type should be equal to one of the allowed values")
    entries = field(body, "participants", list)
    if kind == "personal" and entries is None:
        raise bad_request("should have required property 'participants'")
    entries = entries or []
    most = 1 if kind == "personal" else domain.MAX_GROUP_PARTICIPANTS
    if len(entries) > most:
        raise bad_request(f"participants should NOT have more than {most} items")
    if kind == "personal" and not entries:
        raise bad_request("participants should NOT have fewer than 1 items")
    wanted = [_participant_entry(entry, f"participants[{index}]", group=kind == "sdkGroup")
              for index, entry in enumerate(entries)]
    fields = {name: value for name, value in _conversation_fields(body).items() if value is not None}
    members = [Member(_find_user(app_id, ref), subscribe) for ref, subscribe in wanted]
    conversation, _ = domain.create_conversation(
        mock(), app_id, kind, members, fields=fields, creation_reason="none", source=_source(),
        source_integration_id=principal().integration_id)
    return created({"conversation": render_conversation(conversation)})


@v2.get("/apps/<app_id>/conversations")
@requires("account", "app", "integration")
def list_conversations(app_id):
    """The conversations of one user: `filter[userId]` or `filter[userExternalId]` is required."""
    wanted = query_object("filter")
    user_id, external_id = wanted.get("userId"), wanted.get("userExternalId")
    if (user_id is None) == (external_id is None):
        raise ApiError(400, "bad_request", "Invalid filter query parameters",
                       "one of filter[userId] or filter[userExternalId] is required, but not both")
    user = _find_user(app_id, ("userId", user_id) if user_id is not None else ("userExternalId", external_id))
    conversations = domain.conversations_of(mock().store, app_id, user["id"])
    return jsonify(paginate([render_conversation(c) for c in conversations], "conversations"))


@v2.get("/apps/<app_id>/conversations/<conversation_id>")
@requires("account", "app", "integration")
def get_conversation(app_id, conversation_id):
    return jsonify({"conversation": render_conversation(_conversation(app_id, conversation_id))})


@v2.patch("/apps/<app_id>/conversations/<conversation_id>")
@requires("account", "app", "integration")
def update_conversation(app_id, conversation_id):
    changes = _conversation_fields(json_body())
    conversation = domain.update_conversation(mock(), _conversation(app_id, conversation_id), changes)
    return jsonify({"conversation": render_conversation(conversation)})


@v2.delete("/apps/<app_id>/conversations/<conversation_id>")
@requires("account", "app", "integration")
def delete_conversation(app_id, conversation_id):
    domain.delete_conversation(mock(), _conversation(app_id, conversation_id),
                               source_integration_id=principal().integration_id)
    return jsonify({})


# --- participants ---------------------------------------------------------------------------

@v2.post("/apps/<app_id>/conversations/<conversation_id>/join")
@requires("account", "app", "integration")
def join_conversation(app_id, conversation_id):
    body = json_body()
    ref, subscribe = _participant_entry(body, "", group=False)
    conversation = _conversation(app_id, conversation_id)
    if conversation["type"] == "sdkGroup" and subscribe is None:
        raise bad_request("should have required property 'subscribeSDKClient'")
    participant = domain.join(mock(), conversation, Member(_find_user(app_id, ref), bool(subscribe)),
                              source_integration_id=principal().integration_id)
    return created({"participant": render_participant(participant)})


@v2.get("/apps/<app_id>/conversations/<conversation_id>/participants")
@requires("account", "app", "integration")
def list_participants(app_id, conversation_id):
    conversation = _conversation(app_id, conversation_id)
    participants = domain.participants_of(mock().store, conversation)
    return jsonify(paginate([render_participant(p) for p in participants], "participants"))


@v2.post("/apps/<app_id>/conversations/<conversation_id>/leave")
@requires("account", "app", "integration")
def leave_conversation(app_id, conversation_id):
    body = json_body()
    given = {name: field(body, name, str, non_empty=True)
             for name in ("userId", "userExternalId", "participantId")}
    given = {name: value for name, value in given.items() if value is not None}
    if len(given) != 1:
        raise bad_request("One of userId, userExternalId or participantId is required, but only one.")
    [(name, value)] = given.items()
    store = mock().store
    conversation = _conversation(app_id, conversation_id)
    if name == "participantId":
        participant = store.get("participant", value)
        if participant is None or participant["conversationId"] != conversation["id"]:
            raise domain.not_a_member(conversation, f"participant {value[:64]!r}")
    else:
        user = _find_user(app_id, (name, value))
        participant = domain.find_participant(store, conversation, user["id"])
        if participant is None:
            raise domain.not_a_member(conversation, f"user {user['id']}")
    domain.leave(mock(), conversation, participant, source_integration_id=principal().integration_id)
    return jsonify({})


# --- messages -------------------------------------------------------------------------------

@v2.post("/apps/<app_id>/conversations/<conversation_id>/messages")
@requires("account", "app", "integration")
def post_message(app_id, conversation_id):
    body = json_body()
    author = _author(body)
    content = _content(field(body, "content", dict, required=True))
    metadata = metadata_field(body, "Message")
    field(body, "destination", dict)
    field(body, "override", dict)
    field(body, "schema", str)
    conversation = _conversation(app_id, conversation_id)
    message = domain.post_message(mock(), conversation, author=_author_record(app_id, conversation, author),
                                  content=content, source=_source(), metadata=metadata,
                                  source_integration_id=principal().integration_id)
    return created({"messages": [render_message(message)]})


@v2.get("/apps/<app_id>/conversations/<conversation_id>/messages")
@requires("account", "app", "integration")
def list_messages(app_id, conversation_id):
    """Backwards cursor pagination: the most recent page by default, 100 messages a page
    (`page[size]` does not apply), `hasMore` in the direction of the cursor given."""
    page = query_object("page")
    after, before = page.get("after"), page.get("before")
    if after is not None and before is not None:
        raise ApiError(400, "bad_request", "Invalid page query parameters",
                       "only one of page[after] and page[before] may be given")
    conversation = _conversation(app_id, conversation_id)
    try:
        chunk = domain.message_page(domain.messages_of(mock().store, conversation), before=before, after=after)
    except KeyError:
        raise ApiError(400, "bad_request", "Invalid page query parameters",
                       f"{(after or before)[:64]!r} is not a message of conversation {conversation_id}") from None
    meta: dict = {"hasMore": chunk.more_after if after is not None else chunk.more_before}
    links: dict = {}
    if chunk.messages and chunk.more_after:
        meta["afterCursor"] = chunk.messages[-1]["id"]
        links["next"] = _page_link("page[after]", chunk.messages[-1]["id"])
    if chunk.messages and chunk.more_before:
        meta["beforeCursor"] = chunk.messages[0]["id"]
        links["prev"] = _page_link("page[before]", chunk.messages[0]["id"])
    return jsonify({"messages": [render_message(m) for m in chunk.messages], "meta": meta, "links": links})


@v2.delete("/apps/<app_id>/conversations/<conversation_id>/messages")
@requires("account", "app", "integration")
def delete_all_messages(app_id, conversation_id):
    domain.delete_all_messages(mock(), _conversation(app_id, conversation_id))
    return jsonify({})


@v2.delete("/apps/<app_id>/conversations/<conversation_id>/messages/<message_id>")
@requires("account", "app", "integration")
def delete_message(app_id, conversation_id, message_id):
    domain.delete_message(mock(), _conversation(app_id, conversation_id), message_id)
    return jsonify({})


# --- activities -----------------------------------------------------------------------------

@v2.post("/apps/<app_id>/conversations/<conversation_id>/activity")
@requires("account", "app", "integration")
def post_activity(app_id, conversation_id):
    body = json_body()
    author = _author(body)
    activity_type = field(body, "type", str, required=True)
    if activity_type not in ACTIVITY_TYPES:
        raise bad_request("type should be equal to one of the allowed values")
    if author["type"] == "user" and activity_type != "conversation:read":
        raise bad_request("If the author type is user, only conversation:read is supported.")
    conversation = _conversation(app_id, conversation_id)
    domain.post_activity(mock(), conversation, author=_author_record(app_id, conversation, author),
                         activity_type=activity_type, source=_source(),
                         source_integration_id=principal().integration_id)
    return jsonify({})


# --- switchboard actions --------------------------------------------------------------------

@v2.post("/apps/<app_id>/conversations/<conversation_id>/passControl")
@requires("account", "app", "integration")
def pass_control(app_id, conversation_id):
    body = json_body()
    target = field(body, "switchboardIntegration", str, required=True, non_empty=True)
    metadata = metadata_field(body, "Switchboard")
    domain.pass_control(mock(), _conversation(app_id, conversation_id), target, metadata=metadata,
                        caller_integration_id=principal().integration_id)
    return jsonify({})


@v2.post("/apps/<app_id>/conversations/<conversation_id>/offerControl")
@requires("account", "app", "integration")
def offer_control(app_id, conversation_id):
    body = json_body()
    target = field(body, "switchboardIntegration", str, required=True, non_empty=True)
    metadata = metadata_field(body, "Switchboard")
    domain.offer_control(mock(), _conversation(app_id, conversation_id), target, metadata=metadata,
                         caller_integration_id=principal().integration_id)
    return jsonify({})


@v2.post("/apps/<app_id>/conversations/<conversation_id>/acceptControl")
@requires("account", "app", "integration")
def accept_control(app_id, conversation_id):
    metadata = metadata_field(json_body(), "Switchboard")
    domain.accept_control(mock(), _conversation(app_id, conversation_id), metadata=metadata,
                          caller_integration_id=principal().integration_id)
    return jsonify({})


@v2.post("/apps/<app_id>/conversations/<conversation_id>/releaseControl")
@requires("account", "app", "integration")
def release_control(app_id, conversation_id):
    metadata = metadata_field(json_body(), "Switchboard")
    domain.release_control(mock(), _conversation(app_id, conversation_id), metadata=metadata,
                           caller_integration_id=principal().integration_id)
    return jsonify({})


# --- third-party channel helpers --------------------------------------------------------------

@v2.post("/apps/<app_id>/conversations/<conversation_id>/download")
@requires("account", "app", "integration")
def download_message_ref(app_id, conversation_id):
    """No channel is connected here, so there is nothing to download: the body is checked,
    the user must exist, and the answer is the spec's example, `{}`."""
    body = json_body()
    user_id = field(body, "userId", str, required=True, non_empty=True)
    apple = field(body, "apple", dict)
    if apple is not None:
        reference = _nested(apple, "apple", "interactiveDataRef", dict, required=True)
        for name in ("url", "bid", "key", "signature", "owner"):
            _nested(reference, "apple.interactiveDataRef", name, str, required=True)
    _conversation(app_id, conversation_id)
    _find_user(app_id, ("userId", user_id))
    return jsonify({})


@v2.post("/apps/<app_id>/conversations/<conversation_id>/conversionEvents")
@requires("account", "app", "integration")
def post_conversion_events(app_id, conversation_id):
    """Counted, not forwarded: the answer says how many events Meta would have received."""
    body = json_body()
    channels = [name for name in CONVERSION_CHANNELS if name in body]
    if len(channels) != 1:
        raise bad_request("should match exactly one schema in oneOf")
    [channel] = channels
    event = field(body, channel, dict)
    payload = _nested(event, channel, "payload", dict, required=True)
    data = _nested(payload, f"{channel}.payload", "data", list, required=True)
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise bad_request(f"{channel}.payload.data[{index}] should be object")
    _conversation(app_id, conversation_id)
    dataset = str(int(hashlib.sha256(f"{app_id}:{channel}".encode()).hexdigest(), 16))[:16]
    return jsonify({"conversionEvents": {"datasetId": dataset, "eventsReceived": len(data)}})


# --- reading requests ----------------------------------------------------------------------------

def _conversation(app_id: str, conversation_id: str) -> dict:
    return domain.find_conversation(mock().store, app_id, conversation_id)


def _source() -> dict:
    source = {"type": SOURCE_TYPE}
    if principal().integration_id is not None:
        source["integrationId"] = principal().integration_id
    return source


def _find_user(app_id: str, ref: tuple[str, str]) -> dict:
    """The user named by `("userId", id)` or `("userExternalId", externalId)`: 404 if none."""
    name, value = ref
    store = mock().store
    if name == "userId":
        user = store.get("user", value)
        user = user if user is not None and user["appId"] == app_id else None
    else:
        user = store.get_by_alt("user", app_id, value)
    if user is None:
        raise ApiError(404, "user_not_found", "User not found",
                       f"app {app_id} has no user with {name} {value[:64]!r}")
    return user


def _nested(obj: dict, where: str, name: str, kind, **options):
    """`field`, for a property of a nested object: the title says where it is."""
    try:
        return field(obj, name, kind, **options)
    except ApiError as error:
        if not where:
            raise
        separator = " " if error.message.startswith("should") else "."
        raise bad_request(f"{where}{separator}{error.message}") from None


def _user_ref(obj: dict, where: str) -> tuple[str, str]:
    """("userId", ...) or ("userExternalId", ...): "One of `userId` or `userExternalId` is
    required, but not both."""
    refs = [(name, _nested(obj, where, name, str, non_empty=True)) for name in ("userId", "userExternalId")]
    refs = [(name, value) for name, value in refs if value is not None]
    if len(refs) != 1:
        prefix = f"{where}: " if where else ""
        raise bad_request(f"{prefix}One of userId or userExternalId is required, but not both.")
    return refs[0]


def _participant_entry(entry, where: str, *, group: bool) -> tuple[tuple[str, str], bool | None]:
    """A participantSubSchema: the user it names, and subscribeSDKClient ("required if the
    conversation is of type sdkGroup")."""
    if not isinstance(entry, dict):
        raise bad_request(f"{where} should be object")
    ref = _user_ref(entry, where)
    subscribe = _nested(entry, where, "subscribeSDKClient", bool)
    if group and subscribe is None:
        raise bad_request(f"{where} should have required property 'subscribeSDKClient'")
    return ref, subscribe


def _conversation_fields(body: dict) -> dict:
    """The given ones of displayName, description, iconUrl and metadata (null clears them)."""
    fields = {}
    for name, longest in (("displayName", 100), ("description", 100), ("iconUrl", 2048)):
        if name in body:
            value = field(body, name, str, nullable=True, non_empty=True)
            if value is not None:
                _max_length(value, name, longest)
                if name == "iconUrl":
                    _uri(value, name)
            fields[name] = value
    if "metadata" in body:
        fields["metadata"] = metadata_field(body, "Conversation")
    return fields


def _author(body: dict) -> dict:
    """The `author` of a message or activity, checked (the user it names is looked up later)."""
    author = field(body, "author", dict, required=True)
    kind = _nested(author, "author", "type", str, required=True)
    if kind not in ("user", "business"):
        raise bad_request("author.type should be equal to one of the allowed values")
    parsed = {"type": kind,
              "displayName": _nested(author, "author", "displayName", str),
              "avatarUrl": _nested(author, "author", "avatarUrl", str, non_empty=True),
              "subtypes": _nested(author, "author", "subtypes", list)}
    if parsed["avatarUrl"] is not None:
        _max_length(parsed["avatarUrl"], "author.avatarUrl", 2048)
        _uri(parsed["avatarUrl"], "author.avatarUrl")
    subtypes = parsed["subtypes"]
    if subtypes is not None:
        if len(subtypes) > 1:
            raise bad_request("author.subtypes should NOT have more than 1 items")
        if any(subtype not in AUTHOR_SUBTYPES for subtype in subtypes):
            raise bad_request("author.subtypes[0] should be equal to one of the allowed values")
    _nested(author, "author", "brandId", str, nullable=True)
    if kind == "user":
        parsed["ref"] = _user_ref(author, "author")
    return parsed


def _author_record(app_id: str, conversation: dict, author: dict) -> dict:
    """The stored author: a user author must be an existing user taking part in the conversation."""
    if author["type"] == "business":
        return domain.business_author(display_name=author["displayName"], avatar_url=author["avatarUrl"],
                                      subtypes=author["subtypes"])
    user = _find_user(app_id, author["ref"])
    if domain.find_participant(mock().store, conversation, user["id"]) is None:
        raise domain.not_a_member(conversation, f"user {user['id']}")
    return domain.user_author(user, display_name=author["displayName"], avatar_url=author["avatarUrl"],
                              subtypes=author["subtypes"])


def _content(content: dict) -> dict:
    """A message's content, checked against its type's schema (the fields each type requires,
    their types and sizes); markdownText is write-only and stands in for a missing text."""
    kind = _nested(content, "content", "type", str, required=True)
    if kind == "formResponse":
        raise bad_request("formResponse messages cannot be sent via the API")
    if kind not in CONTENT_REQUIRED:
        raise bad_request("content.type should be equal to one of the allowed values")
    for name in CONTENT_REQUIRED[kind]:
        if name not in content:
            raise bad_request(f"content should have required property '{name}'")
    for name in ("text", "htmlText", "markdownText"):
        value = _nested(content, "content", name, str)
        if value is not None:
            _max_length(value, f"content.{name}", 4096)
    _nested(content, "content", "blockChatInput", bool)
    if "htmlText" in content and "markdownText" in content:
        raise bad_request("content: htmlText and markdownText cannot be used together")
    if kind == "text" and not any(name in content for name in ("text", "actions", "htmlText", "markdownText")):
        raise bad_request("content should have required property 'text'")
    if kind in ("text", "image") and "actions" in content:
        _actions(_nested(content, "content", "actions", list), "content.actions", ACTION_REQUIRED)
    if kind in ("file", "image"):
        _uri(_nested(content, "content", "mediaUrl", str, non_empty=True), "content.mediaUrl")
        alt_text = _nested(content, "content", "altText", str)
        if alt_text is not None:
            _max_length(alt_text, "content.altText", 128)
    if kind in ("carousel", "list"):
        _items(_nested(content, "content", "items", list))
        if kind == "list" and "actions" in content:
            _actions(_nested(content, "content", "actions", list), "content.actions", ITEM_ACTION_TYPES,
                     most=10)
    if kind == "form":
        _form_fields(_nested(content, "content", "fields", list))
    if kind == "location":
        coordinates = _nested(content, "content", "coordinates", dict)
        for name in ("lat", "long"):
            value = _nested(coordinates, "content.coordinates", name, (int, float), required=True)
            if isinstance(value, bool):
                raise bad_request(f"content.coordinates.{name} should be number")
        _nested(content, "content", "location", dict)
    if kind == "template":
        _nested(content, "content", "template", dict)
    stored = {name: value for name, value in content.items() if name != "markdownText"}
    if "markdownText" in content and "text" not in content:
        stored["text"] = content["markdownText"]
    return stored


def _actions(actions: list, where: str, allowed, *, most: int | None = None) -> None:
    """Message actions: each an object whose `type` is allowed here, with that type's fields."""
    if most is not None and not 1 <= len(actions) <= most:
        raise bad_request(f"{where} should NOT have {'fewer than 1' if not actions else f'more than {most}'} items")
    for index, action in enumerate(actions):
        at = f"{where}[{index}]"
        if not isinstance(action, dict):
            raise bad_request(f"{at} should be object")
        kind = _nested(action, at, "type", str, required=True)
        if kind not in allowed:
            raise bad_request(f"{at}.type should be equal to one of the allowed values")
        for name in ACTION_REQUIRED[kind]:
            if name not in action:
                raise bad_request(f"{at} should have required property '{name}'")
        for name in ("text", "uri", "payload", "fallback"):
            _nested(action, at, name, str)
        if "uri" in action:
            _uri(action["uri"], f"{at}.uri")
        if kind == "buy":
            _nested(action, at, "amount", int)


def _items(items: list) -> None:
    """Carousel and list items: 1 to 10, each with a title and 1 to 3 actions."""
    if not 1 <= len(items) <= 10:
        raise bad_request(f"content.items should NOT have {'fewer than 1' if not items else 'more than 10'} items")
    for index, item in enumerate(items):
        at = f"content.items[{index}]"
        if not isinstance(item, dict):
            raise bad_request(f"{at} should be object")
        title = _nested(item, at, "title", str, required=True, non_empty=True)
        _max_length(title, f"{at}.title", 128)
        actions = _nested(item, at, "actions", list, required=True)
        if not 1 <= len(actions) <= 3:
            raise bad_request(f"{at}.actions should NOT have {'fewer than 1' if not actions else 'more than 3'} items")
        _actions(actions, f"{at}.actions", ITEM_ACTION_TYPES)
        for name in ("description", "altText"):
            value = _nested(item, at, name, str)
            if value is not None:
                _max_length(value, f"{at}.{name}", 128)
        if "mediaUrl" in item:
            _uri(_nested(item, at, "mediaUrl", str), f"{at}.mediaUrl")


def _form_fields(fields: list) -> None:
    """Form fields: 1 to 20, each with a type, a unique name and a label."""
    if not 1 <= len(fields) <= 20:
        raise bad_request(f"content.fields should NOT have {'fewer than 1' if not fields else 'more than 20'} items")
    names = set()
    for index, entry in enumerate(fields):
        at = f"content.fields[{index}]"
        if not isinstance(entry, dict):
            raise bad_request(f"{at} should be object")
        if _nested(entry, at, "type", str, required=True) not in FORM_FIELD_TYPES:
            raise bad_request(f"{at}.type should be equal to one of the allowed values")
        for name in ("name", "label"):
            _max_length(_nested(entry, at, name, str, required=True, non_empty=True), f"{at}.{name}", 128)
        if entry["name"] in names:
            raise bad_request(f"{at}.name must be unique per form")
        names.add(entry["name"])


def _max_length(value: str, name: str, longest: int) -> None:
    if len(value) > longest:
        raise bad_request(f"{name} should NOT be longer than {longest} characters")


def _uri(value: str, name: str) -> None:
    parts = urlparse(value)
    if not parts.scheme or not (parts.netloc or parts.path):
        raise bad_request(f'{name} should match format "uri"')


def _page_link(name: str, cursor: str) -> str:
    query = {key: value for key, value in request.args.items() if key != "page" and not key.startswith("page[")}
    query[name] = cursor
    return f"{request.base_url}?{urlencode(query)}"
