"""Conversations, their participants and messages, and the switchboard's control of them:
the rules v2, v1.1 and the SDK API share, as plain functions over a `Mock` (its store,
clock and webhooks).  Each API validates its own request bodies and renders the records
its own way; what happens to the state, and which webhook events it raises, is decided
here once.

    conversation = create_conversation(mock, app_id, "personal", [Member(user)])
    message = post_message(mock, conversation, author=user_author(user),
                           content={"type": "text", "text": "hi"}, source={"type": "api"})

Refusals are `ApiError`s with the v2 code and title (`conversation_not_found`, 423
`locked`, ...); an API whose envelope says otherwise maps them by `code`.

Webhook payloads are v2 shapes whatever API caused the event (`event_*` below), because
webhooks are v2 objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import ids
from ..api.errors import ApiError, bad_request
from ..clock import rfc3339
from ..store import Conflict, Store

if TYPE_CHECKING:
    from ..core import Mock

DEFAULT_MESSAGE_LIMIT = 30000   # "Conversations are limited to 30,000 messages."
MAX_GROUP_PARTICIPANTS = 10     # conversationCreateBody.participants maxItems
MESSAGE_PAGE_SIZE = 100         # "The page size limit is fixed at 100 messages per page."
# The avatar the business author of the spec's examples carries when none was given.
DEFAULT_BUSINESS_AVATAR = "https://www.gravatar.com/avatar/00000000000000000000000000000000.png?s=200&d=mm"
SDK_INTEGRATION_TYPES = ("web", "ios", "android")


@dataclass
class Member:
    """A user becoming a participant; `subscribe_sdk_client` gives it an SDK client association."""
    user: dict
    subscribe_sdk_client: bool = False


# --- lookups ---------------------------------------------------------------------------

def find_conversation(store: Store, app_id: str, conversation_id: str) -> dict:
    conversation = store.get_of_app("conversation", conversation_id, app_id)
    if conversation is None:
        raise ApiError(404, "conversation_not_found", "Conversation not found",
                       f"app {app_id} has no conversation {conversation_id[:64]!r}")
    return conversation


def conversations_of(store: Store, app_id: str, user_id: str) -> list[dict]:
    """The conversations of the app that the user takes part in, in creation order."""
    return [conversation for conversation in store.children("conversation", app_id)
            if store.get_by_alt("participant", conversation["id"], user_id) is not None]


def participants_of(store: Store, conversation: dict) -> list[dict]:
    """The participants in joining order; those whose user was deleted since are left out."""
    return [participant for participant in store.children("participant", conversation["id"])
            if store.get("user", participant["userId"]) is not None]


def find_participant(store: Store, conversation: dict, user_id: str) -> dict | None:
    return store.get_by_alt("participant", conversation["id"], user_id)


def not_a_member(conversation: dict, who: str) -> ApiError:
    return ApiError(404, "not_found", "User is not a member of the conversation",
                    f"{who} is not a participant of conversation {conversation['id']}")


def default_conversation(mock: Mock, app_id: str, user: dict, *, create: bool = True,
                         creation_reason: str = "message", source: dict | None = None) -> dict | None:
    """The user's default conversation (its first personal one), created if it has none yet
    and `create` is set: v1 app users have exactly this one conversation."""
    store = mock.store
    with store.transaction():
        for conversation in conversations_of(store, app_id, user["id"]):
            if conversation["type"] == "personal" and conversation.get("isDefault"):
                return conversation
        if not create:
            return None
        conversation, _ = create_conversation(mock, app_id, "personal", [Member(user)],
                                              creation_reason=creation_reason, source=source)
        return conversation


# --- conversations -----------------------------------------------------------------------

def create_conversation(mock: Mock, app_id: str, kind: str, members: list[Member], *,
                        fields: dict | None = None, creation_reason: str = "none",
                        source: dict | None = None,
                        source_integration_id: str | None = None) -> tuple[dict, list[dict]]:
    """A new `personal` (exactly one member) or `sdkGroup` (up to 10) conversation.  The
    first personal conversation of a user is its default one.  With an enabled switchboard,
    its default switchboard integration starts in control."""
    if kind == "personal" and len(members) != 1:
        raise bad_request("A personal conversation has exactly one participant")
    if len(members) > MAX_GROUP_PARTICIPANTS:
        raise bad_request("Too many participants")
    if len({member.user["id"] for member in members}) != len(members):
        raise bad_request("participants should NOT have duplicate items")
    store, now = mock.store, _now(mock)
    with store.transaction():
        is_default = kind == "personal" and not any(
            conversation["type"] == "personal"
            for conversation in conversations_of(store, app_id, members[0].user["id"]))
        conversation = {"id": ids.object_id(), "appId": app_id, "type": kind, "isDefault": is_default,
                        **{name: value for name, value in (fields or {}).items() if value is not None},
                        "createdAt": now, "lastUpdatedAt": now}
        switchboard = _enabled_switchboard(store, app_id)
        if switchboard is not None and switchboard.get("defaultSwitchboardIntegrationId"):
            conversation["activeSwitchboardIntegrationId"] = switchboard["defaultSwitchboardIntegrationId"]
        store.insert("conversation", conversation, parent=app_id)
        participants = [_add_participant(mock, conversation, member) for member in members]
    payload = {"conversation": event_conversation(store, conversation), "creationReason": creation_reason,
               "source": source or {"type": "api"}}
    if kind == "personal":
        payload["user"] = event_user(members[0].user)
    _emit(mock, conversation, "conversation:create", payload, source_integration_id)
    return conversation, participants


def update_conversation(mock: Mock, conversation: dict, changes: dict) -> dict:
    """Apply `changes` (displayName, description, iconUrl, metadata): None clears a field."""
    for name, value in changes.items():
        if value is None:
            conversation.pop(name, None)
        else:
            conversation[name] = value
    mock.store.update("conversation", conversation)
    return conversation


def delete_conversation(mock: Mock, conversation: dict, *, source_integration_id: str | None = None) -> None:
    """Delete the conversation with its participants and messages; never a default one."""
    if conversation.get("isDefault"):
        raise bad_request(f"Conversation {conversation['id']} cannot be deleted because it is the default.")
    mock.store.delete("conversation", conversation["id"])
    _emit(mock, conversation, "conversation:remove",
          {"conversation": event_conversation(mock.store, conversation)}, source_integration_id)


# --- participants ------------------------------------------------------------------------

def join(mock: Mock, conversation: dict, member: Member, *,
         source_integration_id: str | None = None) -> dict:
    """Add a participant to an sdkGroup conversation: once per user, at most 10."""
    store = mock.store
    if conversation["type"] != "sdkGroup":
        raise bad_request("Participants can only be added to sdkGroup conversations")
    with store.transaction():
        if find_participant(store, conversation, member.user["id"]) is not None:
            raise bad_request("User is already a participant of the conversation")
        if len(store.children("participant", conversation["id"])) >= MAX_GROUP_PARTICIPANTS:
            raise bad_request("Too many participants")
        participant = _add_participant(mock, conversation, member)
    _emit(mock, conversation, "conversation:join",
          {"conversation": event_conversation(store, conversation), "user": event_user(member.user)},
          source_integration_id)
    return participant


def leave(mock: Mock, conversation: dict, participant: dict, *,
          source_integration_id: str | None = None) -> None:
    """Remove a participant from an sdkGroup conversation (a personal one keeps its user)."""
    if conversation["type"] != "sdkGroup":
        raise bad_request("Participants can only be removed from sdkGroup conversations")
    store = mock.store
    store.delete("participant", participant["id"])
    user = store.get("user", participant["userId"]) or {"id": participant["userId"]}
    _emit(mock, conversation, "conversation:leave",
          {"conversation": event_conversation(store, conversation), "user": event_user(user)},
          source_integration_id)


def _add_participant(mock: Mock, conversation: dict, member: Member) -> dict:
    participant = {"id": ids.object_id(), "appId": conversation["appId"],
                   "conversationId": conversation["id"], "userId": member.user["id"],
                   "unreadCount": 0, "lastRead": None, "clientAssociations": []}
    if member.subscribe_sdk_client:
        client = _sdk_client(mock, member.user)
        participant["clientAssociations"].append({"type": "sdk", "clientId": client["id"]})
    try:
        mock.store.insert("participant", participant, parent=conversation["id"], alt=member.user["id"])
    except Conflict:
        raise bad_request("User is already a participant of the conversation") from None
    return participant


def _sdk_client(mock: Mock, user: dict) -> dict:
    """The user's SDK client, created if it has none ("An SDK client will be created for
    users that don't already have one"), on the app's first SDK integration if any."""
    store = mock.store
    for client in store.children("client", user["id"]):
        if client.get("type") == "sdk":
            return client
    integration = next((integration for integration in store.children("integration", user["appId"])
                        if integration.get("type") in SDK_INTEGRATION_TYPES), None)
    client = {"id": ids.object_id(), "appId": user["appId"], "userId": user["id"], "type": "sdk",
              "status": "active", "lastSeen": _now(mock), "info": {}, "raw": {}}
    if integration is not None:
        client["integrationId"] = integration["id"]
    store.insert("client", client, parent=user["id"])
    return client


# --- messages ----------------------------------------------------------------------------

def user_author(user: dict, *, display_name: str | None = None, avatar_url: str | None = None,
                subtypes: list[str] | None = None) -> dict:
    """A user author; its name and avatar default to the user's profile."""
    profile = user.get("profile") or {}
    name = display_name or " ".join(part for part in (profile.get("givenName"), profile.get("surname")) if part)
    author = {"type": "user", "userId": user["id"]}
    if subtypes:
        author["subtypes"] = subtypes
    if name:
        author["displayName"] = name
    if avatar_url or profile.get("avatarUrl"):
        author["avatarUrl"] = avatar_url or profile["avatarUrl"]
    return author


def business_author(*, display_name: str | None = None, avatar_url: str | None = None,
                    subtypes: list[str] | None = None) -> dict:
    author: dict = {"type": "business"}
    if subtypes:
        author["subtypes"] = subtypes
    if display_name:
        author["displayName"] = display_name
    author["avatarUrl"] = avatar_url or DEFAULT_BUSINESS_AVATAR
    return author


def message_limit() -> int:
    """MESSAGE_LIMIT of the running app's config (tests lower it), else the real 30,000."""
    from flask import current_app, has_app_context

    if has_app_context():
        return int(current_app.config.get("MESSAGE_LIMIT", DEFAULT_MESSAGE_LIMIT))
    return DEFAULT_MESSAGE_LIMIT


def post_message(mock: Mock, conversation: dict, *, author: dict, content: dict, source: dict,
                 metadata: dict | None = None, quoted_message: dict | None = None,
                 limit: int | None = None, source_integration_id: str | None = None) -> dict:
    """Store a message received now, unless the conversation holds `limit` messages already
    (423).  The conversation's lastUpdatedAt becomes the message's `received`; the other
    participants have one more unread message, a user author has read everything."""
    store = mock.store
    limit = message_limit() if limit is None else limit
    with store.transaction():
        conversation = store.get("conversation", conversation["id"]) or conversation
        if store.count("message", conversation["id"]) >= limit:
            raise ApiError(423, "locked", f"Message limit of {limit} per conversation reached.",
                           f"conversation {conversation['id']} holds {limit} messages; delete them to make room")
        received = _now(mock)
        message = {"id": ids.object_id(), "appId": conversation["appId"], "conversationId": conversation["id"],
                   "received": received, "author": author, "content": content, "source": source}
        if metadata is not None:
            message["metadata"] = metadata
        if quoted_message is not None:
            message["quotedMessage"] = quoted_message
        store.insert("message", message, parent=conversation["id"])
        conversation["lastUpdatedAt"] = received
        if author["type"] == "user" and not conversation.get("activeSwitchboardIntegrationId"):
            _assign_default_switchboard_integration(store, conversation)
        store.update("conversation", conversation)
        for participant in store.children("participant", conversation["id"]):
            if author["type"] == "user" and participant["userId"] == author.get("userId"):
                participant.update(unreadCount=0, lastRead=received)
            else:
                participant["unreadCount"] += 1
            store.update("participant", participant, alt=participant["userId"])
    _emit(mock, conversation, "conversation:message",
          {"conversation": event_conversation(store, conversation), "message": event_message(store, message)},
          source_integration_id)
    return message


def messages_of(store: Store, conversation: dict) -> list[dict]:
    """The conversation's messages, oldest first by `received` (ties: in posting order)."""
    return sorted(store.children("message", conversation["id"]), key=lambda message: message["received"])


@dataclass
class MessagePage:
    messages: list[dict]
    more_before: bool
    more_after: bool


def message_page(messages: list[dict], *, before: str | None = None, after: str | None = None,
                 size: int = MESSAGE_PAGE_SIZE) -> MessagePage:
    """One page of `messages` (oldest first): the `size` messages right before `before`, right
    after `after`, or else the most recent ones.  An unknown cursor raises KeyError."""
    positions = {message["id"]: index for index, message in enumerate(messages)}
    if after is not None:
        start = positions[after] + 1
        end = min(len(messages), start + size)
    else:
        end = positions[before] if before is not None else len(messages)
        start = max(0, end - size)
    return MessagePage(messages[start:end], more_before=start > 0, more_after=end < len(messages))


def delete_message(mock: Mock, conversation: dict, message_id: str) -> None:
    message = mock.store.get("message", message_id)
    if message is None or message["conversationId"] != conversation["id"]:
        raise ApiError(404, "not_found", "Message not found",
                       f"conversation {conversation['id']} has no message {message_id[:64]!r}")
    mock.store.delete("message", message_id)


def delete_all_messages(mock: Mock, conversation: dict) -> None:
    """Empty the conversation (making room under the message limit); nothing is unread then."""
    store = mock.store
    with store.transaction():
        for message in store.children("message", conversation["id"]):
            store.delete("message", message["id"])
        for participant in store.children("participant", conversation["id"]):
            participant["unreadCount"] = 0
            store.update("participant", participant, alt=participant["userId"])


# --- activities --------------------------------------------------------------------------

def post_activity(mock: Mock, conversation: dict, *, author: dict, activity_type: str,
                  source: dict | None = None, source_integration_id: str | None = None) -> None:
    """`conversation:read` marks the conversation read by its user author (no unread
    messages) or by the business (businessLastRead); typing only notifies.  Webhooks hear
    of users' activities ("When a user has read the conversation", "starts or stops typing")."""
    store, now = mock.store, _now(mock)
    if activity_type == "conversation:read":
        if author["type"] == "user":
            participant = find_participant(store, conversation, author["userId"])
            if participant is not None:
                participant.update(unreadCount=0, lastRead=now)
                store.update("participant", participant, alt=participant["userId"])
        else:
            conversation["businessLastRead"] = now
            store.update("conversation", conversation)
    if author["type"] != "user":
        return
    activity = {"type": activity_type, "author": event_author(store, author)}
    if source is not None:
        activity["source"] = source
    trigger = "conversation:read" if activity_type == "conversation:read" else "conversation:typing"
    _emit(mock, conversation, trigger,
          {"conversation": event_conversation(store, conversation), "activity": activity}, source_integration_id)


# --- the switchboard's control -------------------------------------------------------------

def switchboard_of(store: Store, app_id: str) -> dict | None:
    """The app's switchboard (an app has at most one)."""
    switchboards = store.children("switchboard", app_id)
    return switchboards[0] if switchboards else None


def pass_control(mock: Mock, conversation: dict, target: str, *, metadata: dict | None = None,
                 caller_integration_id: str | None = None) -> dict:
    """Make `target` (an id, a name, an integrationType, or "next") the active switchboard
    integration; nothing is pending anymore."""
    store = mock.store
    switchboard = _switchboard_for_action(store, conversation)
    chosen = _resolve_target(store, switchboard, conversation, target)
    conversation["activeSwitchboardIntegrationId"] = chosen["id"]
    conversation.pop("pendingSwitchboardIntegrationId", None)
    store.update("conversation", conversation)
    _emit_switchboard(mock, conversation, "switchboard:passControl", metadata, caller_integration_id)
    return conversation


def offer_control(mock: Mock, conversation: dict, target: str, *, metadata: dict | None = None,
                  caller_integration_id: str | None = None) -> dict:
    """Make `target` pending (replacing any earlier offer); it cannot be the active one."""
    store = mock.store
    switchboard = _switchboard_for_action(store, conversation)
    chosen = _resolve_target(store, switchboard, conversation, target)
    if chosen["id"] == conversation.get("activeSwitchboardIntegrationId"):
        raise bad_request("Cannot offer control to the active switchboard integration.")
    conversation["pendingSwitchboardIntegrationId"] = chosen["id"]
    store.update("conversation", conversation)
    _emit_switchboard(mock, conversation, "switchboard:offerControl", metadata, caller_integration_id)
    return conversation


def accept_control(mock: Mock, conversation: dict, *, metadata: dict | None = None,
                   caller_integration_id: str | None = None) -> dict:
    """The pending switchboard integration takes control.  An integration may only accept
    an offer made to itself (403)."""
    store = mock.store
    _switchboard_for_action(store, conversation)
    pending = _switchboard_integration(store, conversation.get("pendingSwitchboardIntegrationId"))
    if pending is None:
        raise bad_request("There is no pendingSwitchboardIntegration")
    if caller_integration_id is not None and pending.get("integrationId") != caller_integration_id:
        raise ApiError(403, "forbidden", "Forbidden",
                       f"the pending switchboard integration {pending['id']} is not integration "
                       f"{caller_integration_id}")
    conversation["activeSwitchboardIntegrationId"] = pending["id"]
    conversation.pop("pendingSwitchboardIntegrationId", None)
    store.update("conversation", conversation)
    _emit_switchboard(mock, conversation, "switchboard:acceptControl", metadata, caller_integration_id)
    return conversation


def release_control(mock: Mock, conversation: dict, *, metadata: dict | None = None,
                    caller_integration_id: str | None = None) -> dict:
    """Nobody is in control (nor pending) until the next user message brings the default
    switchboard integration back.  An integration may only release what it controls (403)."""
    store = mock.store
    _switchboard_for_action(store, conversation)
    active = _switchboard_integration(store, conversation.get("activeSwitchboardIntegrationId"))
    if caller_integration_id is not None and (active is None or active.get("integrationId") != caller_integration_id):
        raise ApiError(403, "forbidden", "Forbidden",
                       f"integration {caller_integration_id} is not the active switchboard integration "
                       f"of conversation {conversation['id']}")
    conversation.pop("activeSwitchboardIntegrationId", None)
    conversation.pop("pendingSwitchboardIntegrationId", None)
    store.update("conversation", conversation)
    _emit_switchboard(mock, conversation, "switchboard:releaseControl", metadata, caller_integration_id)
    return conversation


def _switchboard_for_action(store: Store, conversation: dict) -> dict:
    switchboard = switchboard_of(store, conversation["appId"])
    if switchboard is None:
        raise ApiError(404, "switchboard_not_found", "Switchboard not found",
                       f"app {conversation['appId']} has no switchboard")
    if not switchboard.get("enabled"):
        raise bad_request("Switchboard is not enabled")
    return switchboard


def _resolve_target(store: Store, switchboard: dict, conversation: dict, target: str) -> dict:
    """A switchboard integration by id, else name, else integrationType ("in that order of
    precedence"), or the active one's `nextSwitchboardIntegrationId` for "next"."""
    members = store.children("switchboardIntegration", switchboard["id"])
    if target == "next":
        active = _switchboard_integration(store, conversation.get("activeSwitchboardIntegrationId"))
        following = active and active.get("nextSwitchboardIntegrationId")
        chosen = next((member for member in members if member["id"] == following), None)
        if chosen is None:
            raise ApiError(400, "bad_request", "Switchboard invalid target",
                           "the active switchboard integration has no nextSwitchboardIntegrationId"
                           if active else f"conversation {conversation['id']} has no active switchboard integration")
        return chosen
    for name in ("id", "name"):
        chosen = next((member for member in members if member.get(name) == target), None)
        if chosen is not None:
            return chosen
    typed = [member for member in members if member.get("integrationType") == target]
    if len(typed) > 1:
        raise ApiError(400, "bad_request", "Switchboard invalid target",
                       f"{len(typed)} switchboard integrations have integrationType {target!r}")
    if not typed:
        raise ApiError(404, "switchboard_integration_not_found", "SwitchboardIntegration not found",
                       f"no switchboard integration has id, name or integrationType {target[:64]!r}")
    return typed[0]


def _switchboard_integration(store: Store, switchboard_integration_id: str | None) -> dict | None:
    if not switchboard_integration_id:
        return None
    return store.get("switchboardIntegration", switchboard_integration_id)


def _enabled_switchboard(store: Store, app_id: str) -> dict | None:
    switchboard = switchboard_of(store, app_id)
    return switchboard if switchboard is not None and switchboard.get("enabled") else None


def _assign_default_switchboard_integration(store: Store, conversation: dict) -> None:
    """Default integration assignment: a conversation nobody controls goes to the default
    switchboard integration when the user is next active."""
    switchboard = _enabled_switchboard(store, conversation["appId"])
    if switchboard is not None and switchboard.get("defaultSwitchboardIntegrationId"):
        conversation["activeSwitchboardIntegrationId"] = switchboard["defaultSwitchboardIntegrationId"]


def _emit_switchboard(mock: Mock, conversation: dict, trigger: str, metadata: dict | None,
                      caller_integration_id: str | None) -> None:
    payload = {"conversation": event_conversation(mock.store, conversation)}
    if metadata is not None:
        payload["metadata"] = metadata
    _emit(mock, conversation, trigger, payload, caller_integration_id)


# --- webhook payloads (v2 shapes) --------------------------------------------------------------

def render_switchboard_integration(store: Store, switchboard_integration_id: str | None) -> dict | None:
    """The `switchboardIntegrationWebhook` object: id, name, integrationId, integrationType."""
    member = _switchboard_integration(store, switchboard_integration_id)
    if member is None:
        return None
    return {name: member[name] for name in ("id", "name", "integrationId", "integrationType")
            if member.get(name) is not None}


def event_conversation(store: Store, conversation: dict) -> dict:
    """The `conversationTruncated` of webhook payloads (and the head of the v2 conversation)."""
    rendered = {"id": conversation["id"], "type": conversation["type"]}
    if conversation.get("metadata") is not None:
        rendered["metadata"] = conversation["metadata"]
    for name in ("activeSwitchboardIntegration", "pendingSwitchboardIntegration"):
        member = render_switchboard_integration(store, conversation.get(name + "Id"))
        if member is not None:
            rendered[name] = member
    return rendered


def event_user(user: dict) -> dict:
    """The user of webhook payloads, in full: each webhook trims it to `userTruncated`
    unless it asked for `includeFullUser` (mocksmooch.webhooks)."""
    from ..api.v2.common import render_user  # imported late: the v2 package imports this module

    if set(user) == {"id"}:  # a user deleted since: only its id is known
        return dict(user)
    return render_user(user)


def event_author(store: Store, author: dict) -> dict:
    """The `authorWebhook`: the author, with its user when it is one."""
    rendered = dict(author)
    if author["type"] == "user":
        user = store.get("user", author["userId"])
        if user is not None:
            rendered["user"] = event_user(user)
    return rendered


def event_message(store: Store, message: dict) -> dict:
    """The `messageWebhook`."""
    rendered = {"id": message["id"], "received": message["received"],
                "author": event_author(store, message["author"]), "content": message["content"],
                "source": message["source"]}
    for name in ("quotedMessage", "metadata"):
        if message.get(name) is not None:
            rendered[name] = message[name]
    return rendered


def _emit(mock: Mock, conversation: dict, trigger: str, payload: dict, source_integration_id: str | None) -> None:
    mock.webhooks.emit(conversation["appId"], trigger, payload, source_integration_id=source_integration_id)


def _now(mock: Mock) -> str:
    return rfc3339(mock.clock.now())
