"""The SDK API (/sdk/v2): what the Web, iOS and Android SDKs call on behalf of one user.

    GET  /integrations/{integrationId}/config           no auth: the app, base URLs
    POST /apps/{appId}/appusers                          no auth: an anonymous user + sessionToken
    POST /apps/{appId}/login                             a user JWT: bind / find / create the user
    POST /apps/{appId}/appusers/{appUserId}/logout
    GET, PUT /apps/{appId}/appusers/{appUserId}
    GET, POST /apps/{appId}/appusers/{appUserId}/conversations
    GET, POST /apps/{appId}/conversations/{conversationId}/messages   (?before= / ?after=)
    POST /apps/{appId}/conversations/{conversationId}/files           (multipart)
    POST /apps/{appId}/conversations/{conversationId}/activity
    GET  /apps/{appId}/appusers/{appUserId}/linkrequest?integrationIds=...
    DELETE /apps/{appId}/appusers/{appUserId}/clients/{clientId}

The routes are those of smooch-auth.md section 6.3 (the Web Widget's SunCo client); the
bodies are v1-era objects (`_id`, `appUser`, `role`, `received` in seconds), rendered
with the v1.1 renderers, because the SDK API is the v1 API's sibling and answers in the
v1 envelope.  Users, conversations and messages are the records the REST APIs use, so a
message posted here is listed by `GET /v2/apps/{appId}/conversations/{id}/messages`,
raises the v2 webhooks, and a business reply posted through REST is listed here.

Each route states its credentials right under its route (`@sdk_route(...)`), as REST
routes state their scopes with `@requires`: the SDK's credentials and rules are those of
`mocksmooch.auth.sdk`.  An SDK install is a `device` record (its `guid` is the client id
the SDK generates) with its own `sdk` client record, as in the seed.
"""
from __future__ import annotations

import functools
import math

from flask import Blueprint, g, jsonify, request

from .. import auth, ids
from ..auth import sdk as rules
from ..clock import parse_rfc3339, rfc3339
from ..domain import conversations as domain
from ..domain.integrations import render_fields
from .bodies import field, json_body, strict_json
from .errors import ApiError, bad_request
from .guard import mock
from .v1 import channels, not_found, with_status
from .v1.app_users import render_app_user, updated_profile
# timestamp_query and page_link: v1's paging by Unix seconds, which the SDK shares
from .v1.messages import page_link, timestamp_query, render_conversation, render_message, v1_errors
from .v2.apps import render_app
from .v2.attachments import save_upload
from .v2.common import metadata_field, render_user
from .v2.users import render_client

sdk = Blueprint("sdk", __name__, url_prefix="/sdk/v2")

PLATFORMS = ("web", "ios", "android")
# What a user may send from an SDK, and the field each type cannot do without.
MESSAGE_TYPES = {"text": "text", "image": "mediaUrl", "file": "mediaUrl", "location": "coordinates",
                 "formResponse": "fields"}
TEXT_MAX = 4096                                        # textMessage.text maxLength
ACTIVITY_TYPES = ("typing:start", "typing:stop", "conversation:read")
START_INTENT = "conversation:start"                    # the Web Widget's intent on user creation
# The realtime (Faye) settings the SDKs read; the mock has no Faye server, so it is off
# and the SDK falls back to fetching messages.
REALTIME = {"enabled": False, "retryInterval": 10, "maxConnectionAttempts": 5, "connectionDelay": 0}


# --- credentials --------------------------------------------------------------------------------

def sdk_route(policy: auth.Policy):
    """Authenticate with the SDK's credentials and authorize for `policy` on the path's
    app (`auth.PUBLIC`: no credentials at all).  The policy is kept on the view, so
    `mocksmooch routes` lists it; the caller goes to `g.principal` for the journal, logs
    and CORS, as REST's `@requires` does."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(**path):
            if isinstance(policy, rules.SdkPolicy):
                current = mock()
                g.principal = rules.authenticate_sdk(request.headers.getlist("Authorization"), current.store,
                                                     current.clock.now(), current.verify_options)
                g.auth_reason = rules.authorize_sdk(g.principal, policy, path["app_id"])
            return view(**path)

        guarded.policy = policy
        return guarded

    return decorate


def own_user(app_id: str, app_user_ref: str) -> dict:
    """The path's appUser, which must be the caller's (403 otherwise); 404 while the
    caller's JWT user has not logged in yet."""
    user = rules.own_user(g.principal, mock().store, app_id, app_user_ref)
    if user is None:
        raise not_found("App user", f"no user has externalId {app_user_ref[:64]!r} yet; log in first")
    return user


def own_conversation(app_id: str, conversation_id: str) -> tuple[dict, dict]:
    """(conversation, the caller's user): 404 for no such conversation, 403 for one the
    caller does not take part in."""
    with v1_errors():
        conversation = domain.find_conversation(mock().store, app_id, conversation_id)
    return conversation, rules.check_member(g.principal, mock().store, conversation)


# --- rendering ------------------------------------------------------------------------------------

def render_sdk_message(message: dict) -> dict:
    """The v1 message, with the integration a user's message came through."""
    rendered = render_message(message)
    integration_id = (message.get("source") or {}).get("integrationId")
    if integration_id:
        rendered["source"]["integrationId"] = integration_id
    return rendered


def render_sdk_conversation(conversation: dict, user: dict) -> dict:
    """The v1 conversation (`_id`, the user's `unreadCount`), with what the SDKs show of
    it: its kind, names, and participants (times in seconds, as v1 messages)."""
    store = mock().store
    rendered = render_conversation(conversation, user)
    rendered.update({"type": conversation["type"], "isDefault": bool(conversation.get("isDefault"))})
    rendered.update({name: conversation[name] for name in ("displayName", "description", "iconUrl", "metadata")
                     if conversation.get(name) is not None})
    rendered["lastUpdatedAt"] = _seconds(conversation["lastUpdatedAt"])
    if conversation.get("businessLastRead"):
        rendered["businessLastRead"] = _seconds(conversation["businessLastRead"])
    participants = []
    for participant in domain.participants_of(store, conversation):
        member = store.get("user", participant["userId"]) or {}
        item = {"_id": participant["id"], "appUserId": participant["userId"]}
        if member.get("externalId") is not None:
            item["userId"] = member["externalId"]
        item["unreadCount"] = participant["unreadCount"]
        if participant.get("lastRead"):
            item["lastRead"] = _seconds(participant["lastRead"])
        participants.append(item)
    rendered["participants"] = participants
    return rendered


def conversations_body(app_id: str, user: dict) -> list[dict]:
    return [render_sdk_conversation(conversation, user)
            for conversation in domain.conversations_of(mock().store, app_id, user["id"])]


def settings() -> dict:
    return {"realtime": {**REALTIME, "baseUrl": _server() + "/faye"}}


def _session_body(app_id: str, user: dict) -> dict:
    """What creating, logging in and reading an appUser answer: the user, its
    conversations and the realtime settings (the Web Widget reads all three)."""
    return {"appUser": render_app_user(user), "conversations": conversations_body(app_id, user),
            "settings": settings()}


def _seconds(timestamp: str) -> float:
    return round(parse_rfc3339(timestamp) * 1000) / 1000


def _server() -> str:
    return request.host_url.rstrip("/")


# --- config ---------------------------------------------------------------------------------------

@sdk.get("/integrations/<integration_id>/config")
@sdk_route(auth.PUBLIC)
def get_config(integration_id):
    """What `Smooch.init({integrationId, configBaseUrl})` fetches first: the app, where the
    API is (`baseUrl.web`: the SDKs add `/sdk/v2/...` themselves), and realtime settings."""
    store = mock().store
    integration = store.get("integration", integration_id)
    if integration is None or integration["type"] not in domain.SDK_INTEGRATION_TYPES:
        raise not_found("Integration", f"no web, ios or android integration {integration_id[:64]!r}")
    app = store.get("app", integration["appId"])
    server = _server()
    return jsonify({"config": {
        "app": {"_id": app["id"], "name": app["name"], "status": "active",
                "settings": render_app(app)["settings"]},
        "baseUrl": {"web": server, "android": server, "ios": server},
        "integration": _render_integration(integration),
        "integrations": [_render_integration(other) for other in store.children("integration", app["id"])
                         if other["type"] != "custom" and "oauthClientId" not in other],
        "realtime": {**REALTIME, "baseUrl": server + "/faye"},
    }})


def _render_integration(integration: dict) -> dict:
    rendered = {"_id": integration["id"], "type": integration["type"]}
    if integration.get("displayName") is not None:
        rendered["displayName"] = integration["displayName"]
    rendered.update(render_fields(integration))
    return rendered


# --- app users --------------------------------------------------------------------------------------

@sdk.post("/apps/<app_id>/appusers")
@sdk_route(auth.PUBLIC)
def create_app_user(app_id):
    """An anonymous user, with the SDK install that created it and a session token; with
    `intent: conversation:start`, its default conversation too."""
    app = mock().store.get("app", app_id)
    if app is None:
        raise not_found("App", f"no app {app_id[:64]!r}")
    body = json_body()
    if "userId" in body:
        raise ApiError(403, "forbidden", "Forbidden",
                       "creating a user with a userId needs that user's JWT: call login instead")
    client = _client(body, app_id)
    intent = field(body, "intent", str)
    locale = field(body, "locale", str, non_empty=True)
    token = rules.new_session_token()
    user = {"id": ids.object_id(), "appId": app_id, "signedUpAt": _now(), "toBeRetained": False,
            "profile": {"locale": locale} if locale else {}, "metadata": {}, "identities": [],
            "sessionToken": token}
    store = mock().store
    with store.transaction():
        store.insert("user", user, parent=app_id)
        _touch_device(user, client)
        if intent == START_INTENT:
            _start_conversation(app_id, user, client)
    return with_status({**_session_body(app_id, user), "sessionToken": token}, 201)


@sdk.post("/apps/<app_id>/login")
@sdk_route(rules.LOGIN)
def login(app_id):
    """The JWT's user: the anonymous user of `appUserId` + `sessionToken` bound to the
    JWT's externalId (its session token stops working), else the user with that
    externalId, else a new one."""
    body = json_body()
    external_id = g.principal.user
    claimed = field(body, "userId", str)
    if claimed is not None and claimed != external_id:
        raise auth.UserMismatch(f"body userId {claimed[:64]!r} is not the JWT's {external_id!r}")
    client = _client(body, app_id)
    anonymous_id = field(body, "appUserId", str)
    session_token = field(body, "sessionToken", str)
    store = mock().store
    with store.transaction():
        user = store.get_by_alt("user", app_id, external_id)
        if anonymous_id is not None and session_token is not None:
            user = _bind(app_id, anonymous_id, session_token, external_id, user)
        if user is None:
            user = {"id": ids.object_id(), "appId": app_id, "externalId": external_id, "signedUpAt": _now(),
                    "toBeRetained": False, "profile": {}, "metadata": {}, "identities": []}
            store.insert("user", user, parent=app_id, alt=external_id)
        _touch_device(user, client)
    return jsonify(_session_body(app_id, user))


def _bind(app_id: str, anonymous_id: str, session_token: str, external_id: str, user: dict | None) -> dict | None:
    """Log the anonymous user in: it becomes the JWT's user if there is none yet;
    otherwise the existing user wins and the anonymous one keeps its conversations.
    Either way its session token is spent."""
    store = mock().store
    anonymous = store.get("user", anonymous_id)
    if user is not None and anonymous is not None and anonymous["id"] == user["id"]:
        return user  # logging in again
    if anonymous is None or anonymous["appId"] != app_id or not rules.session_matches(anonymous, session_token):
        raise auth.AuthenticationError(
            f"login: appUserId {anonymous_id[:64]!r} with this sessionToken is no anonymous user of app {app_id}")
    anonymous.pop("sessionToken", None)
    if user is not None:
        store.update("user", anonymous, alt=anonymous.get("externalId"))
        return user
    anonymous["externalId"] = external_id  # free: the caller's transaction found no user with it
    store.update("user", anonymous, alt=external_id)
    return anonymous


@sdk.post("/apps/<app_id>/appusers/<app_user_id>/logout")
@sdk_route(rules.USER)
def logout(app_id, app_user_id):
    """The install (`client.id`) stops being active for the user; a session token is spent."""
    user = own_user(app_id, app_user_id)
    body = json_body()
    client = field(body, "client", dict)
    store = mock().store
    with store.transaction():
        if client is not None and isinstance(client.get("id"), str):
            for device in store.children("device", user["id"]):
                if device["guid"] == client["id"]:
                    device.update(status="inactive", lastSeen=_now())
                    store.update("device", device)
        if isinstance(g.principal, rules.SessionPrincipal):
            user.pop("sessionToken", None)
            store.update("user", user, alt=user.get("externalId"))
    return jsonify({})


@sdk.get("/apps/<app_id>/appusers/<app_user_id>")
@sdk_route(rules.USER)
def get_app_user(app_id, app_user_id):
    return jsonify(_session_body(app_id, own_user(app_id, app_user_id)))


PROFILE_FIELDS = ("givenName", "surname", "email", "avatarUrl", "locale")


@sdk.put("/apps/<app_id>/appusers/<app_user_id>")
@sdk_route(rules.USER)
def update_app_user(app_id, app_user_id):
    """givenName, surname, email, avatarUrl, locale (null clears one) and `properties`
    (merged into the user's metadata)."""
    user = own_user(app_id, app_user_id)
    body = json_body()
    profile = updated_profile(user, body, PROFILE_FIELDS)
    properties = metadata_field({"metadata": body["properties"]} if "properties" in body else {}, "User")
    user["profile"] = profile
    if properties:
        user["metadata"] = {**(user.get("metadata") or {}), **properties}
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"appUser": render_app_user(user)})


# --- conversations ----------------------------------------------------------------------------------

@sdk.get("/apps/<app_id>/appusers/<app_user_id>/conversations")
@sdk_route(rules.USER)
def list_conversations(app_id, app_user_id):
    return jsonify({"conversations": conversations_body(app_id, own_user(app_id, app_user_id))})


@sdk.post("/apps/<app_id>/appusers/<app_user_id>/conversations")
@sdk_route(rules.USER)
def create_conversation(app_id, app_user_id):
    """A new personal conversation of the user (its default one if it is the first).  An
    app without `multiConvoEnabled` gives a user one conversation: once it has its
    default one, that is the answer (the SDKs start a conversation whenever the user has
    not written yet)."""
    user = own_user(app_id, app_user_id)
    body = json_body()
    fields = {name: field(body, name, str, non_empty=True) for name in ("displayName", "description", "iconUrl")}
    fields["metadata"] = metadata_field(body, "Conversation")
    client = _client(body, app_id, required=False)
    store = mock().store
    with store.transaction():
        conversation = None
        if not render_app(store.get("app", app_id))["settings"]["multiConvoEnabled"]:
            conversation = domain.default_conversation(mock(), app_id, user, create=False)
        if conversation is None:
            conversation = _start_conversation(app_id, user, client, fields)
    return with_status({"conversation": render_sdk_conversation(conversation, user)}, 201)


def _start_conversation(app_id: str, user: dict, client: dict | None, fields: dict | None = None) -> dict:
    conversation, _ = domain.create_conversation(
        mock(), app_id, "personal", [domain.Member(user, subscribe_sdk_client=True)], fields=fields,
        creation_reason="startConversation", source=_source(user, client))
    return conversation


# --- messages ---------------------------------------------------------------------------------------

@sdk.get("/apps/<app_id>/conversations/<conversation_id>/messages")
@sdk_route(rules.USER)
def list_messages(app_id, conversation_id):
    """The 100 messages right before `before` or right after `after` (Unix seconds, that
    very time excluded), else the 100 most recent; `previous` / `next` link the pages."""
    before, after = timestamp_query("before"), timestamp_query("after")
    if before is not None and after is not None:
        raise bad_request("before and after are mutually exclusive")
    conversation, user = own_conversation(app_id, conversation_id)
    messages = domain.messages_of(mock().store, conversation)
    stamps = [round(parse_rfc3339(message["received"]) * 1000) for message in messages]
    size = domain.MESSAGE_PAGE_SIZE
    if after is not None:
        chosen = [index for index, stamp in enumerate(stamps) if stamp > after][:size]
    elif before is not None:
        chosen = [index for index, stamp in enumerate(stamps) if stamp < before][-size:]
    else:
        chosen = list(range(len(messages)))[-size:]
    body = {"conversation": render_sdk_conversation(conversation, user),
            "messages": [render_sdk_message(messages[index]) for index in chosen]}
    if chosen and chosen[0] > 0:
        body["previous"] = page_link("before", stamps[chosen[0]])
    if chosen and chosen[-1] < len(messages) - 1:
        body["next"] = page_link("after", stamps[chosen[-1]])
    return jsonify(body)


@sdk.post("/apps/<app_id>/conversations/<conversation_id>/messages")
@sdk_route(rules.USER)
def post_message(app_id, conversation_id):
    """`{message: {type, text, ...}, author: {role: "appUser", appUserId, client}}`: a
    message of the caller's user, from its SDK install."""
    conversation, user = own_conversation(app_id, conversation_id)
    body = json_body()
    client = _author(body, app_id)
    message_body = field(body, "message", dict, required=True)
    content, quoted = _content(message_body, conversation)
    metadata = metadata_field(message_body, "Message")
    message = _post(app_id, conversation, user, client, content, metadata, quoted)
    return _posted(message, conversation, user)


@sdk.post("/apps/<app_id>/conversations/<conversation_id>/files")
@sdk_route(rules.USER)
def upload_file(app_id, conversation_id):
    """Multipart `source` (the file), `author` and `message` (JSON texts): the file is
    stored as an attachment and posted as an image (image/*) or file message."""
    conversation, user = own_conversation(app_id, conversation_id)
    author = _json_form_field("author")
    client = _author({"author": author} if author is not None else {}, app_id)
    message_body = _json_form_field("message") or {}
    text = field(message_body, "text", str)
    alt_text = field(message_body, "altText", str)
    metadata = metadata_field(message_body, "Message")
    attachment = save_upload(app_id, access="public", container="message", conversation_id=conversation["id"])
    kind = "image" if attachment["mediaType"].startswith("image/") else "file"
    content = {"type": kind, "mediaUrl": attachment["mediaUrl"], "mediaType": attachment["mediaType"],
               "mediaSize": attachment["mediaSize"]}
    if text:
        content["text"] = text
    if alt_text:
        content["altText"] = alt_text
    message = _post(app_id, conversation, user, client, content, metadata, None)
    return _posted(message, conversation, user)


@sdk.post("/apps/<app_id>/conversations/<conversation_id>/activity")
@sdk_route(rules.USER)
def post_activity(app_id, conversation_id):
    """`{author, activity: {type}}`: typing:start, typing:stop or conversation:read."""
    conversation, user = own_conversation(app_id, conversation_id)
    body = json_body()
    client = _author(body, app_id)
    activity = field(body, "activity", dict, required=True)
    activity_type = activity.get("type")
    if activity_type is None:
        raise bad_request("activity should have required property 'type'")
    if activity_type not in ACTIVITY_TYPES:
        raise bad_request(f"activity.type should be equal to one of the allowed values: {', '.join(ACTIVITY_TYPES)}")
    domain.post_activity(mock(), conversation, author=domain.user_author(user), activity_type=activity_type,
                         source=_source(user, client))
    conversation = mock().store.get("conversation", conversation["id"]) or conversation
    return jsonify({"conversation": render_sdk_conversation(conversation, user)})


def _post(app_id: str, conversation: dict, user: dict, client: dict | None, content: dict,
          metadata: dict | None, quoted: dict | None) -> dict:
    with v1_errors():
        return domain.post_message(mock(), conversation, author=domain.user_author(user), content=content,
                                   source=_source(user, client), metadata=metadata, quoted_message=quoted)


def _posted(message: dict, conversation: dict, user: dict):
    conversation = mock().store.get("conversation", conversation["id"]) or conversation
    return with_status({"messages": [render_sdk_message(message)],
                        "conversation": render_sdk_conversation(conversation, user)}, 201)


def _author(body: dict, app_id: str) -> dict | None:
    """`author`: the caller's own user (`appUserId`), as `appUser`; its `client`, if any.
    "Sending appMaker messages from a client browser is not supported"."""
    author = field(body, "author", dict, required=True)
    role = author.get("role")
    if role is None:
        raise bad_request("author should have required property 'role'")
    if role in ("appMaker", "business"):
        raise ApiError(403, "forbidden", "Forbidden",
                       f"author.role {role}: an SDK speaks for its user only; a JWT with app scope is required")
    if role != "appUser":
        raise bad_request("author.role should be equal to one of the allowed values: appUser")
    app_user_id = author.get("appUserId")
    if app_user_id is not None and not isinstance(app_user_id, str):
        raise bad_request("author.appUserId should be string")
    rules.check_speaks_for(g.principal, mock().store, app_user_id)
    return _client(author, app_id, required=False)


def _content(body: dict, conversation: dict) -> tuple[dict, dict | None]:
    """The v2 content of a user's message, and the message it quotes (a form it answers)."""
    kind = body.get("type")
    if kind is None:
        raise bad_request("message should have required property 'type'")
    if kind not in MESSAGE_TYPES:
        raise bad_request(f"message.type should be equal to one of the allowed values: {', '.join(MESSAGE_TYPES)}")
    needed = MESSAGE_TYPES[kind]
    if body.get(needed) in (None, "", [], {}):
        raise bad_request(f"message should have required property '{needed}'")
    content = {"type": kind}
    for name in ("text", "mediaUrl", "mediaType", "altText", "payload"):
        value = field(body, name, str, nullable=True)
        if value:
            content[name] = value
    if len(content.get("text", "")) > TEXT_MAX:
        raise bad_request(f"message.text should NOT be longer than {TEXT_MAX} characters")
    if kind == "location":
        coordinates = field(body, "coordinates", dict)
        for name in ("lat", "long"):
            number = coordinates.get(name)
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
                raise bad_request(f"message.coordinates.{name} should be number")
        content["coordinates"] = {"lat": coordinates["lat"], "long": coordinates["long"]}
        location = field(body, "location", dict, nullable=True)
        if location:
            content["location"] = location
    if kind == "formResponse":
        content["fields"] = _form_response_fields(field(body, "fields", list))
        content["textFallback"] = "\n".join(f"{item.get('label') or item['name']}: {_answer(item)}"
                                            for item in content["fields"])
    return content, _quoted(body, conversation)


def _form_response_fields(fields: list) -> list[dict]:
    if len(fields) > 20:
        raise bad_request("message.fields should NOT have more than 20 items")
    for index, item in enumerate(fields):
        at = f"message.fields[{index}]"
        if not isinstance(item, dict):
            raise bad_request(f"{at} should be object")
        for name in ("type", "name"):
            if not isinstance(item.get(name), str) or not item[name]:
                raise bad_request(f"{at} should have required property '{name}'")
    return fields


def _answer(item: dict) -> str:
    if item.get("type") == "select":
        return ", ".join(str(option.get("label") or option.get("name") or "")
                         for option in item.get("select") or [] if isinstance(option, dict))
    return str(item.get(item.get("type")) or item.get("text") or item.get("email") or "")


def _quoted(body: dict, conversation: dict) -> dict | None:
    """`quotedMessageId` (a form response names the form): that message of the conversation."""
    quoted_id = field(body, "quotedMessageId", str)
    if quoted_id is None:
        return None
    quoted = mock().store.get("message", quoted_id)
    if quoted is None or quoted["conversationId"] != conversation["id"]:
        raise bad_request(f"quotedMessageId {quoted_id[:64]} is not a message of this conversation")
    return {"type": "message", "message": {name: quoted[name] for name in ("id", "received", "author", "content",
                                                                            "source") if name in quoted}}


# --- channels ------------------------------------------------------------------------------------------

@sdk.get("/apps/<app_id>/appusers/<app_user_id>/linkrequest")
@sdk_route(rules.USER)
def get_link_requests(app_id, app_user_id):
    """The links to continue on another channel, as the v1.1 route makes them."""
    user = own_user(app_id, app_user_id)
    return channels.get_link_requests(app_id, user["id"])


@sdk.delete("/apps/<app_id>/appusers/<app_user_id>/clients/<client_id>")
@sdk_route(rules.USER)
def unlink_client(app_id, app_user_id, client_id):
    """Unlink one of the user's channels (a client the appUser lists); its SDK installs
    are not channels one can unlink."""
    user = own_user(app_id, app_user_id)
    store = mock().store
    if any(device["guid"] == client_id or device["id"] == client_id
           for device in store.children("device", user["id"])):
        raise bad_request("Cannot remove a client of type 'sdk'")
    client = store.get("client", client_id)
    if client is None or client["userId"] != user["id"]:
        raise not_found("Client", f"appUser {user['id']} has no client {client_id[:64]!r}")
    if client["type"] == "sdk":
        raise bad_request("Cannot remove a client of type 'sdk'")
    store.delete("client", client["id"])
    mock().webhooks.emit(app_id, "client:remove", {"user": render_user(user), "client": render_client(client),
                                                   "reason": "sdk", "source": {"type": "web"}})
    return jsonify({})


# --- reading requests ------------------------------------------------------------------------------------

def _client(body: dict, app_id: str, *, required: bool = True) -> dict | None:
    """`client` (`{platform, id, integrationId?, info?, appVersion?}`): the SDK install.
    Its integration is the one named (in the client or beside it), else the app's first
    of the platform's type."""
    client = field(body, "client", dict, required=required)
    if client is None:
        return None
    client_id = client.get("id")
    if not isinstance(client_id, str) or not client_id:
        raise bad_request("client should have required property 'id'")
    platform = client.get("platform")
    if platform is None:
        raise bad_request("client should have required property 'platform'")
    if platform not in PLATFORMS:
        raise bad_request(f"client.platform should be equal to one of the allowed values: {', '.join(PLATFORMS)}")
    info = client.get("info")
    if info is not None and not isinstance(info, dict):
        raise bad_request("client.info should be object")
    app_version = client.get("appVersion")
    integration_id = client.get("integrationId") or body.get("integrationId")
    return {"id": client_id, "platform": platform, "info": info or {},
            "appVersion": app_version if isinstance(app_version, str) else None,
            "integrationId": _sdk_integration(app_id, platform, integration_id)}


def _sdk_integration(app_id: str, platform: str, integration_id) -> str | None:
    store = mock().store
    if integration_id is None:
        return next((integration["id"] for integration in store.children("integration", app_id)
                     if integration["type"] == platform), None)
    if not isinstance(integration_id, str):
        raise bad_request("integrationId should be string")
    integration = store.get("integration", integration_id)
    if integration is None or integration["appId"] != app_id or integration["type"] not in PLATFORMS:
        raise not_found("Integration", f"app {app_id} has no SDK integration {integration_id[:64]!r}")
    if integration["type"] != platform:
        raise bad_request(f"integration {integration_id} is a {integration['type']} integration, "
                          f"not a {platform} one")
    return integration_id


def _touch_device(user: dict, client: dict | None) -> None:
    """The user's device for this install (`guid` = the SDK's client id), seen now; a new
    install gets its device and its `sdk` client."""
    if client is None:
        return
    store, now = mock().store, _now()
    for device in store.children("device", user["id"]):
        if device["guid"] == client["id"]:
            device.update(status="active", lastSeen=now, info=client["info"] or device.get("info") or {})
            store.update("device", device)
            return
    sdk_client = {"id": ids.object_id(), "appId": user["appId"], "userId": user["id"], "type": "sdk",
                  "status": "active", "lastSeen": now, "linkedAt": now, "platform": client["platform"],
                  "info": {}, "raw": {}}
    device = {"id": ids.object_id(), "appId": user["appId"], "userId": user["id"], "type": client["platform"],
              "guid": client["id"], "clientId": sdk_client["id"], "status": "active", "lastSeen": now,
              "info": client["info"]}
    for record in (sdk_client, device):
        if client["integrationId"]:
            record["integrationId"] = client["integrationId"]
    if client["appVersion"]:
        device["appVersion"] = client["appVersion"]
    store.insert("client", sdk_client, parent=user["id"])
    store.insert("device", device, parent=user["id"])


def _source(user: dict, client: dict | None) -> dict:
    """A user's message or activity comes from its SDK: `{type: web, integrationId}`;
    without a client named, from the user's most recently seen install."""
    if client is None:
        devices = sorted(mock().store.children("device", user["id"]), key=lambda device: device.get("lastSeen") or "")
        if devices:
            return {"type": devices[-1]["type"], **({"integrationId": devices[-1]["integrationId"]}
                                                    if devices[-1].get("integrationId") else {})}
        return {"type": "web"}
    source = {"type": client["platform"]}
    if client["integrationId"]:
        source["integrationId"] = client["integrationId"]
    return source


def _json_form_field(name: str) -> dict | None:
    """A multipart field holding a JSON object (`author`, `message`)."""
    text = request.form.get(name)
    if text is None:
        return None
    try:
        value = strict_json(text)
    except (ValueError, RecursionError):
        raise bad_request(f"{name} should be a JSON object") from None
    if not isinstance(value, dict):
        raise bad_request(f"{name} should be a JSON object")
    return value


def _now() -> str:
    return rfc3339(mock().clock.now())
