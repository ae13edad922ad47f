"""Proof with the official v2 client (`sunshine-conversations-client`): every operation.

Each operation of each `*Api` class is called once with a credential of a scope it allows
(Basic or JWT, account, app or integration key), on resources created first through the
client, and its answer is deserialized by the client's own models: the test then reads the
key fields back from the model objects, so a wrong field name, type or nesting fails here.
`test_every_client_operation_is_exercised` keeps the table complete: a method the client
adds fails the suite until it has a case.

Then, for each API class, one call per scope that none of the class's operations allows is
refused with 403 and a v2 error body (`user` is the SDKs' scope, never valid on v2).
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sunshine_conversations_client as sc
from sunshine_conversations_client.exceptions import ApiException

from conftest import basic
from operation_table import OperationTable
from v2_support import Session, client_operations, participant, refused

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{86}$")


@pytest.fixture
def s(api) -> Session:
    return Session(api)


# --- the table: one case per client operation ----------------------------------------------

OPERATIONS = OperationTable()
operation = OPERATIONS.case  # @operation("ApiClass.method") registers the case of that operation


# --- AppsApi: account (all), app (get, update) -----------------------------------------------

@operation("AppsApi.create_app")
def _(s: Session):
    body = sc.AppCreateBody(display_name="Acme Billing", metadata={"team": "billing"},
                            settings=sc.AppSettings(echo_postback=True, conversation_retention_seconds=3600))
    app = s.api_of(sc.AppsApi, "account").create_app(body).app
    assert OBJECT_ID.match(app.id)
    assert (app.display_name, app.metadata) == ("Acme Billing", {"team": "billing"})
    assert app.settings.echo_postback is True and app.settings.conversation_retention_seconds == 3600
    assert isinstance(app.settings.mask_credit_card_numbers, bool)


@operation("AppsApi.list_apps")
def _(s: Session):
    apps = s.api_of(sc.AppsApi, "account", jwt=True)
    first = apps.list_apps(page=sc.Page(size=1))
    assert len(first.apps) == 1 and first.meta.has_more is True and first.links.next
    second = apps.list_apps(page=sc.Page(size=1, after=first.meta.after_cursor))
    assert [app.display_name for app in first.apps + second.apps] == ["Acme Support", "Acme Sales"]
    assert {app.display_name for app in apps.list_apps().apps} == {"Acme Support", "Acme Sales"}


@operation("AppsApi.get_app")
def _(s: Session):
    app = s.api_of(sc.AppsApi, "app").get_app(s.app_id).app
    assert (app.id, app.display_name) == (s.app_id, "Acme Support")
    assert isinstance(app.settings.conversation_retention_seconds, int)


@operation("AppsApi.update_app")
def _(s: Session):
    body = sc.AppUpdateBody(display_name="Acme Help", metadata={"region": "eu"},
                            settings=sc.AppSettings(use_animal_names=True))
    app = s.api_of(sc.AppsApi, "app", jwt=True).update_app(s.app_id, body).app
    assert (app.id, app.display_name, app.metadata) == (s.app_id, "Acme Help", {"region": "eu"})
    assert app.settings.use_animal_names is True


@operation("AppsApi.delete_app")
def _(s: Session):
    apps = s.api_of(sc.AppsApi, "account")
    app_id = apps.create_app(sc.AppCreateBody(display_name="Doomed")).app.id
    assert apps.delete_app(app_id) == {}
    refused(lambda: apps.get_app(app_id), 404, "app_not_found")


# --- AppKeysApi: account ---------------------------------------------------------------------

@operation("AppKeysApi.create_app_key")
def _(s: Session):
    key = s.api_of(sc.AppKeysApi, "account").create_app_key(s.app_id, sc.AppKeyCreateBody(display_name="ci")).key
    assert re.match(r"^app_[0-9a-f]{24}$", key.id) and key.display_name == "ci" and SECRET.match(key.secret)
    assert sc.AppsApi(s.basic(key.id, key.secret)).get_app(s.app_id).app.id == s.app_id


@operation("AppKeysApi.list_app_keys")
def _(s: Session):
    keys = s.api_of(sc.AppKeysApi, "account", jwt=True).list_app_keys(s.app_id).keys
    assert s.api.key("Acme Support")["id"] in [key.id for key in keys]


@operation("AppKeysApi.get_app_key")
def _(s: Session):
    seeded = s.api.key("Acme Support")
    key = s.api_of(sc.AppKeysApi, "account").get_app_key(s.app_id, seeded["id"]).key
    assert key.id == seeded["id"] and key.secret in (None, seeded["secret"])


@operation("AppKeysApi.delete_app_key")
def _(s: Session):
    keys = s.api_of(sc.AppKeysApi, "account")
    key = keys.create_app_key(s.app_id, sc.AppKeyCreateBody(display_name="temp")).key
    assert keys.delete_app_key(s.app_id, key.id) == {}
    refused(lambda: keys.get_app_key(s.app_id, key.id), 404)


# --- UsersApi: account, app, integration -----------------------------------------------------

@operation("UsersApi.create_user")
def _(s: Session):
    body = sc.UserCreateBody(external_id="zoe", signed_up_at="2024-01-02T03:04:05.000Z", to_be_retained=True,
                             profile=sc.Profile(given_name="Zoe", email="zoe@example.com", locale="en-US"),
                             metadata={"plan": "pro"})
    user = s.api_of(sc.UsersApi, "integration").create_user(s.app_id, body).user
    assert OBJECT_ID.match(user.id)
    assert (user.external_id, user.to_be_retained, user.metadata) == ("zoe", True, {"plan": "pro"})
    assert (user.profile.given_name, user.profile.email, user.profile.locale) == ("Zoe", "zoe@example.com", "en-US")
    assert user.signed_up_at.startswith("2024-01-02T03:04:05")


@operation("UsersApi.get_user")
def _(s: Session):
    users = s.api_of(sc.UsersApi, "integration", jwt=True)
    alice = users.get_user(s.app_id, "alice").user
    assert (alice.external_id, alice.profile.given_name) == ("alice", "Alice")
    assert users.get_user(s.app_id, alice.id).user.external_id == "alice"


@operation("UsersApi.update_user")
def _(s: Session):
    body = sc.UserUpdateBody(profile=sc.Profile(surname="Liddell"), metadata={"vip": True})
    user = s.api_of(sc.UsersApi, "account").update_user(s.app_id, "alice", body).user
    assert (user.external_id, user.profile.given_name, user.profile.surname) == ("alice", "Alice", "Liddell")
    assert user.metadata == {"vip": True}


@operation("UsersApi.delete_user")
def _(s: Session):
    users = s.api_of(sc.UsersApi, "app")
    zoe = s.new_user("zoe")
    assert users.delete_user(s.app_id, zoe.id) == {}
    refused(lambda: users.get_user(s.app_id, "zoe"), 404, "user_not_found")


@operation("UsersApi.delete_user_personal_information")
def _(s: Session):
    s.new_user("zoe")
    user = s.api_of(sc.UsersApi, "app", jwt=True).delete_user_personal_information(s.app_id, "zoe").user
    assert user.external_id == "zoe" and user.profile.given_name is None and user.profile.surname is None
    assert user.metadata in ({}, None)


@operation("UsersApi.sync_user")
def _(s: Session):
    # No user of the seed or of the API has a zendeskId, so the answer is the spec's 404.
    users = s.api_of(sc.UsersApi, "app")
    refused(lambda: users.sync_user(s.app_id, "123456789", sc.SyncUserBody(surviving_zendesk_id="987654321")),
            404, "user_not_found")


# --- ClientsApi: account, app, integration ---------------------------------------------------

def link_mailgun_client(s: Session, scope: str = "app") -> sc.Client:
    body = sc.ClientCreate(
        match_criteria=sc.MatchCriteria(sc.MatchCriteriaMailgun(type="mailgun", integration_id=s.mailgun.id,
                                                                address="alice@example.com")),
        confirmation=sc.Confirmation(type="immediate"),
        target=sc.Target(conversation_id=s.conversation.id))
    return s.api_of(sc.ClientsApi, scope).create_client(s.app_id, "alice", body).client


@operation("ClientsApi.create_client")
def _(s: Session):
    client = link_mailgun_client(s)
    assert OBJECT_ID.match(client.id)
    assert (client.type, client.status, client.integration_id, client.external_id) == \
        ("mailgun", "pending", s.mailgun.id, "alice@example.com")


@operation("ClientsApi.list_clients")
def _(s: Session):
    client = link_mailgun_client(s)
    listed = s.api_of(sc.ClientsApi, "account", jwt=True).list_clients(s.app_id, "alice", page=sc.Page(size=10))
    assert client.id in [c.id for c in listed.clients] and listed.meta.has_more is False


@operation("ClientsApi.remove_client")
def _(s: Session):
    client = link_mailgun_client(s)
    clients = s.api_of(sc.ClientsApi, "integration")
    assert clients.remove_client(s.app_id, "alice", client.id) == {}
    assert client.id not in [c.id for c in clients.list_clients(s.app_id, "alice").clients]


# --- DevicesApi: account, app, integration (the API cannot create devices) ---------------------

@operation("DevicesApi.list_devices")
def _(s: Session):
    assert s.api_of(sc.DevicesApi, "app").list_devices(s.app_id, "alice").devices == []


@operation("DevicesApi.get_device")
def _(s: Session):
    devices = s.api_of(sc.DevicesApi, "integration")
    refused(lambda: devices.get_device(s.app_id, "alice", "5f0c2b1e9d8a7b6c5d4e3f21"), 404, "device_not_found")


# --- ConversationsApi: account, app, integration ---------------------------------------------

@operation("ConversationsApi.create_conversation")
def _(s: Session):
    body = sc.ConversationCreateBody(type="personal", participants=[participant("alice")], display_name="Order 42",
                                     description="Where is my parcel?", metadata={"order": 42})
    conversation = s.api_of(sc.ConversationsApi, "account").create_conversation(s.app_id, body).conversation
    assert OBJECT_ID.match(conversation.id)
    assert conversation.type == sc.ConversationType.PERSONAL
    assert (conversation.display_name, conversation.description, conversation.metadata) == \
        ("Order 42", "Where is my parcel?", {"order": 42})
    assert isinstance(conversation.is_default, bool)


@operation("ConversationsApi.list_conversations")
def _(s: Session):
    wanted = s.conversation.id
    conversations = s.api_of(sc.ConversationsApi, "integration")
    listed = conversations.list_conversations(s.app_id, sc.ConversationListFilter(user_external_id="alice"))
    assert wanted in [c.id for c in listed.conversations] and isinstance(listed.meta.has_more, bool)
    by_id = conversations.list_conversations(s.app_id, sc.ConversationListFilter(user_id=s.alice.id),
                                             page=sc.Page(size=100))
    assert wanted in [c.id for c in by_id.conversations]


@operation("ConversationsApi.get_conversation")
def _(s: Session):
    conversation = s.api_of(sc.ConversationsApi, "integration", jwt=True).get_conversation(
        s.app_id, s.conversation.id).conversation
    assert (conversation.id, conversation.display_name) == (s.conversation.id, "Order 42")


@operation("ConversationsApi.update_conversation")
def _(s: Session):
    body = sc.ConversationUpdateBody(display_name="Order 43", icon_url="https://example.com/icon.png",
                                     metadata={"priority": "high"})
    conversation = s.api_of(sc.ConversationsApi, "app").update_conversation(
        s.app_id, s.conversation.id, body).conversation
    assert (conversation.display_name, conversation.icon_url, conversation.metadata) == \
        ("Order 43", "https://example.com/icon.png", {"priority": "high"})


@operation("ConversationsApi.delete_conversation")
def _(s: Session):
    group = s.new_group()  # a user's default conversation cannot be deleted (DeleteConversation)
    conversations = s.api_of(sc.ConversationsApi, "app", jwt=True)
    assert conversations.delete_conversation(s.app_id, group.id) == {}
    refused(lambda: conversations.get_conversation(s.app_id, group.id), 404, "conversation_not_found")


@operation("ConversationsApi.download_message_ref")
def _(s: Session):
    answer = s.api_of(sc.ConversationsApi, "integration").download_message_ref(
        s.app_id, s.conversation.id, sc.DownloadMessageRefBody(user_id=s.alice.id))
    assert answer == {}


@operation("ConversationsApi.post_conversion_events")
def _(s: Session):
    event = sc.MetaConversionEvent(payload=sc.MetaConversionEventPayload(
        data=[{"event_name": "Purchase", "custom_data": {"value": 12.5, "currency": "EUR"}}]))
    body = sc.ConversionEventsBody(sc.MessengerConversionEventsBody(messenger=event))
    answer = s.api_of(sc.ConversationsApi, "app").post_conversion_events(s.app_id, s.conversation.id, body)
    assert answer["conversionEvents"]["eventsReceived"] == 1


# --- MessagesApi: account, app, integration --------------------------------------------------

@operation("MessagesApi.post_message")
def _(s: Session):
    body = sc.MessagePost(author=sc.Author(type="business", display_name="Acme"),
                          content=sc.Content(sc.TextMessage(type="text", text="Hello Alice")),
                          metadata={"lang": "en"})
    [message] = s.api_of(sc.MessagesApi, "integration", jwt=True).post_message(
        s.app_id, s.conversation.id, body).messages
    assert OBJECT_ID.match(message.id) and message.received
    assert (message.author.type, message.author.display_name, message.metadata) == ("business", "Acme", {"lang": "en"})
    content = message.content.actual_instance
    assert isinstance(content, sc.TextMessage) and content.text == "Hello Alice"
    assert message.source.type and message.source.integration_id == s.bot["id"]


@operation("MessagesApi.list_messages")
def _(s: Session):
    posted = [s.post_text(s.conversation.id, text).id for text in ("one", "two", "three")]
    messages = s.api_of(sc.MessagesApi, "account")
    listed = messages.list_messages(s.app_id, s.conversation.id)
    assert [m.id for m in listed.messages] == posted
    assert [m.content.actual_instance.text for m in listed.messages] == ["one", "two", "three"]
    assert listed.meta.has_more is False
    # "The page size limit is fixed at 100 messages per page" (ListMessages): size is ignored.
    page = messages.list_messages(s.app_id, s.conversation.id, page=sc.Page(size=2))
    assert [m.id for m in page.messages] == posted


@operation("MessagesApi.delete_message")
def _(s: Session):
    messages = s.api_of(sc.MessagesApi, "app")
    assert messages.delete_message(s.app_id, s.conversation.id, s.message.id) == {}
    remaining = messages.list_messages(s.app_id, s.conversation.id).messages
    assert all(m.id != s.message.id or m.deleted is True for m in remaining)


@operation("MessagesApi.delete_all_messages")
def _(s: Session):
    s.post_text(s.conversation.id, "one")
    messages = s.api_of(sc.MessagesApi, "integration")
    assert messages.delete_all_messages(s.app_id, s.conversation.id) == {}
    assert messages.list_messages(s.app_id, s.conversation.id).messages == []


# --- ActivitiesApi: account, app, integration ------------------------------------------------

@operation("ActivitiesApi.post_activity")
def _(s: Session):
    body = sc.ActivityPost(type="typing:start", author=sc.Author(type="business"))
    assert s.api_of(sc.ActivitiesApi, "app").post_activity(s.app_id, s.conversation.id, body) == {}


# --- ParticipantsApi: account, app, integration ----------------------------------------------

@operation("ParticipantsApi.join_conversation")
def _(s: Session):
    group = s.new_group()
    participant_ = s.api_of(sc.ParticipantsApi, "app").join_conversation(
        s.app_id, group.id, sc.ParticipantJoinBody(user_external_id="alice", subscribe_sdk_client=False)).participant
    assert OBJECT_ID.match(participant_.id)
    assert (participant_.user_id, participant_.user_external_id) == (s.alice.id, "alice")
    assert participant_.unread_count == 0 and participant_.client_associations == []


@operation("ParticipantsApi.list_participants")
def _(s: Session):
    listed = s.api_of(sc.ParticipantsApi, "integration").list_participants(
        s.app_id, s.conversation.id, page=sc.Page(size=10))
    assert [(p.user_id, p.user_external_id) for p in listed.participants] == [(s.alice.id, "alice")]
    assert listed.meta.has_more is False


@operation("ParticipantsApi.leave_conversation")
def _(s: Session):
    group = s.new_group()
    participants = s.api_of(sc.ParticipantsApi, "account")
    participants.join_conversation(s.app_id, group.id,
                                   sc.ParticipantJoinBody(user_id=s.alice.id, subscribe_sdk_client=False))
    body = sc.ParticipantLeaveBody(sc.ParticipantLeaveBodyUserExternalId(user_external_id="alice"))
    assert participants.leave_conversation(s.app_id, group.id, body) == {}
    assert participants.list_participants(s.app_id, group.id).participants == []


# --- SwitchboardActionsApi: account, app, integration ----------------------------------------

def routed_conversation(s: Session) -> str:
    """A conversation created once the switchboard routes to `bot` by default."""
    s.routed
    return s.conversation.id


def control_of(s: Session, conversation_id: str) -> tuple[str | None, str | None]:
    """The names of the active and pending switchboard integrations."""
    conversation = sc.ConversationsApi(s.client()).get_conversation(s.app_id, conversation_id).conversation
    active, pending = conversation.active_switchboard_integration, conversation.pending_switchboard_integration
    return (active.name if active else None, pending.name if pending else None)


@operation("SwitchboardActionsApi.pass_control")
def _(s: Session):
    conversation_id = routed_conversation(s)
    assert control_of(s, conversation_id) == ("bot", None)
    body = sc.PassControlBody(switchboard_integration="next", metadata={"ticket": "T-1"})
    assert s.api_of(sc.SwitchboardActionsApi, "integration").pass_control(s.app_id, conversation_id, body) == {}
    assert control_of(s, conversation_id) == ("crm", None)


@operation("SwitchboardActionsApi.offer_control")
def _(s: Session):
    conversation_id = routed_conversation(s)
    body = sc.OfferControlBody(switchboard_integration="crm", metadata={"why": "billing"})
    assert s.api_of(sc.SwitchboardActionsApi, "app").offer_control(s.app_id, conversation_id, body) == {}
    assert control_of(s, conversation_id) == ("bot", "crm")


@operation("SwitchboardActionsApi.accept_control")
def _(s: Session):
    conversation_id = routed_conversation(s)
    actions = s.api_of(sc.SwitchboardActionsApi, "account")
    actions.offer_control(s.app_id, conversation_id, sc.OfferControlBody(switchboard_integration="crm"))
    assert actions.accept_control(s.app_id, conversation_id, sc.AcceptControlBody(metadata={"ok": True})) == {}
    assert control_of(s, conversation_id) == ("crm", None)


@operation("SwitchboardActionsApi.release_control")
def _(s: Session):
    conversation_id = routed_conversation(s)
    actions = s.api_of(sc.SwitchboardActionsApi, "integration", jwt=True)  # bot is in control
    assert actions.release_control(s.app_id, conversation_id, sc.ReleaseControlBody(reason="ticketClosed")) == {}
    assert control_of(s, conversation_id) == (None, None)


# --- SwitchboardsApi: account, app -----------------------------------------------------------

@operation("SwitchboardsApi.create_switchboard")
def _(s: Session):
    switchboard = s.api_of(sc.SwitchboardsApi, "app").create_switchboard(s.app_id).switchboard
    assert OBJECT_ID.match(switchboard.id) and switchboard.enabled is False
    assert switchboard.default_switchboard_integration_id is None


@operation("SwitchboardsApi.list_switchboards")
def _(s: Session):
    switchboard = s.switchboard
    listed = s.api_of(sc.SwitchboardsApi, "account", jwt=True).list_switchboards(s.app_id).switchboards
    assert [(b.id, b.enabled) for b in listed] == [(switchboard.id, False)]


@operation("SwitchboardsApi.update_switchboard")
def _(s: Session):
    bot = s.link("bot", s.bot["id"])
    body = sc.SwitchboardUpdateBody(enabled=True, default_switchboard_integration_id=bot.id)
    switchboard = s.api_of(sc.SwitchboardsApi, "account").update_switchboard(
        s.app_id, s.switchboard.id, body).switchboard
    assert (switchboard.id, switchboard.enabled, switchboard.default_switchboard_integration_id) == \
        (s.switchboard.id, True, bot.id)


@operation("SwitchboardsApi.delete_switchboard")
def _(s: Session):
    switchboards = s.api_of(sc.SwitchboardsApi, "app", jwt=True)
    assert switchboards.delete_switchboard(s.app_id, s.switchboard.id) == {}
    assert switchboards.list_switchboards(s.app_id).switchboards == []


# --- SwitchboardIntegrationsApi: account, app ------------------------------------------------

@operation("SwitchboardIntegrationsApi.create_switchboard_integration")
def _(s: Session):
    body = sc.SwitchboardIntegrationCreateBody(name="bot", integration_id=s.bot["id"], deliver_standby_events=True,
                                               message_history_count=5)
    linked = s.api_of(sc.SwitchboardIntegrationsApi, "account").create_switchboard_integration(
        s.app_id, s.switchboard.id, body).switchboard_integration
    assert OBJECT_ID.match(linked.id)
    assert (linked.name, linked.integration_id, linked.integration_type) == ("bot", s.bot["id"], "custom")
    assert (linked.deliver_standby_events, linked.message_history_count) == (True, 5)


@operation("SwitchboardIntegrationsApi.list_switchboard_integrations")
def _(s: Session):
    routed = s.routed
    listed = s.api_of(sc.SwitchboardIntegrationsApi, "app").list_switchboard_integrations(
        s.app_id, s.switchboard.id).switchboard_integrations
    assert {(li.id, li.name) for li in listed} == {(routed["bot"].id, "bot"), (routed["crm"].id, "crm")}
    bot = next(li for li in listed if li.name == "bot")
    assert bot.next_switchboard_integration_id == routed["crm"].id


@operation("SwitchboardIntegrationsApi.update_switchboard_integration")
def _(s: Session):
    linked = s.link("bot", s.bot["id"])
    body = sc.SwitchboardIntegrationUpdateBody(name="first-line", deliver_standby_events=True)
    updated = s.api_of(sc.SwitchboardIntegrationsApi, "app", jwt=True).update_switchboard_integration(
        s.app_id, s.switchboard.id, linked.id, body).switchboard_integration
    assert (updated.id, updated.name, updated.deliver_standby_events) == (linked.id, "first-line", True)


@operation("SwitchboardIntegrationsApi.delete_switchboard_integration")
def _(s: Session):
    linked = s.link("bot", s.bot["id"])
    links = s.api_of(sc.SwitchboardIntegrationsApi, "account")
    assert links.delete_switchboard_integration(s.app_id, s.switchboard.id, linked.id) == {}
    assert links.list_switchboard_integrations(s.app_id, s.switchboard.id).switchboard_integrations == []


# --- IntegrationsApi: account, app -----------------------------------------------------------

@operation("IntegrationsApi.create_integration")
def _(s: Session):
    crm = s.new_custom("crm", target="https://example.com/crm")
    assert isinstance(crm, sc.Custom) and OBJECT_ID.match(crm.id)
    assert (crm.type, crm.display_name, crm.status) == ("custom", "crm", sc.Status.ACTIVE)
    [webhook] = crm.webhooks
    assert (webhook.target, webhook.triggers, webhook.include_full_user) == \
        ("https://example.com/crm", ["conversation:message"], True)
    assert webhook.secret and webhook.version == "v2"
    mailgun = s.mailgun
    assert isinstance(mailgun, sc.Mailgun)
    assert (mailgun.type, mailgun.domain, mailgun.incoming_address) == ("mailgun", "mg.acme.test",
                                                                       "support@mg.acme.test")
    assert mailgun.api_key is None  # write-only


@operation("IntegrationsApi.list_integrations")
def _(s: Session):
    integrations = s.api_of(sc.IntegrationsApi, "account", jwt=True)
    listed = integrations.list_integrations(s.app_id)
    kinds = {i.display_name: type(i) for i in listed.integrations}
    assert kinds["bot"] is sc.Custom and kinds["site"] is sc.Web
    custom = integrations.list_integrations(s.app_id, page=sc.Page(size=10),
                                            filter=sc.IntegrationListFilter(types="custom")).integrations
    assert [i.type for i in custom] == ["custom"] * len(custom) and s.bot["id"] in [i.id for i in custom]


@operation("IntegrationsApi.get_integration")
def _(s: Session):
    bot = s.api_of(sc.IntegrationsApi, "app").get_integration(s.app_id, s.bot["id"]).integration
    assert isinstance(bot, sc.Custom) and (bot.id, bot.display_name) == (s.bot["id"], "bot")


@operation("IntegrationsApi.update_integration")
def _(s: Session):
    body = sc.IntegrationUpdate(sc.CustomUpdate(display_name="assistant"))
    bot = s.api_of(sc.IntegrationsApi, "app", jwt=True).update_integration(s.app_id, s.bot["id"], body).integration
    assert isinstance(bot, sc.Custom) and (bot.id, bot.display_name) == (s.bot["id"], "assistant")


@operation("IntegrationsApi.delete_integration")
def _(s: Session):
    integrations = s.api_of(sc.IntegrationsApi, "account")
    crm = s.new_custom("crm")
    assert integrations.delete_integration(s.app_id, crm.id) == {}
    refused(lambda: integrations.get_integration(s.app_id, crm.id), 404, "integration_not_found")


# --- CustomIntegrationApiKeysApi: account, app -----------------------------------------------

@operation("CustomIntegrationApiKeysApi.create_custom_integration_key")
def _(s: Session):
    key = s.api_of(sc.CustomIntegrationApiKeysApi, "app").create_custom_integration_key(
        s.app_id, s.bot["id"], sc.IntegrationApiKey(display_name="worker")).key
    assert re.match(r"^int_[0-9a-f]{24}$", key.id) and key.display_name == "worker" and SECRET.match(key.secret)
    assert sc.UsersApi(s.basic(key.id, key.secret)).get_user(s.app_id, "alice").user.external_id == "alice"


@operation("CustomIntegrationApiKeysApi.list_custom_integration_keys")
def _(s: Session):
    keys = s.api_of(sc.CustomIntegrationApiKeysApi, "account", jwt=True).list_custom_integration_keys(
        s.app_id, s.bot["id"]).keys
    assert s.api.key("bot")["id"] in [key.id for key in keys]


@operation("CustomIntegrationApiKeysApi.get_custom_integration_key")
def _(s: Session):
    seeded = s.api.key("bot")
    key = s.api_of(sc.CustomIntegrationApiKeysApi, "app").get_custom_integration_key(
        s.app_id, s.bot["id"], seeded["id"]).key
    assert key.id == seeded["id"] and key.secret in (None, seeded["secret"])


@operation("CustomIntegrationApiKeysApi.delete_custom_integration_key")
def _(s: Session):
    keys = s.api_of(sc.CustomIntegrationApiKeysApi, "account")
    key = keys.create_custom_integration_key(s.app_id, s.bot["id"], sc.IntegrationApiKey(display_name="temp")).key
    assert keys.delete_custom_integration_key(s.app_id, s.bot["id"], key.id) == {}
    refused(lambda: keys.get_custom_integration_key(s.app_id, s.bot["id"], key.id), 404)


# --- WebhooksApi: app, integration -----------------------------------------------------------

@operation("WebhooksApi.create_webhook")
def _(s: Session):
    body = sc.WebhookCreateBody(target="https://example.com/hook", triggers=["conversation:message", "user:update"],
                                include_full_source=True)
    webhook = s.api_of(sc.WebhooksApi, "integration").create_webhook(s.app_id, s.bot["id"], body).webhook
    assert OBJECT_ID.match(webhook.id) and webhook.secret and webhook.version == "v2"
    assert (webhook.target, webhook.triggers) == ("https://example.com/hook", ["conversation:message", "user:update"])
    assert (webhook.include_full_source, webhook.include_full_user) == (True, False)


@operation("WebhooksApi.list_webhooks")
def _(s: Session):
    webhook = s.webhook
    listed = s.api_of(sc.WebhooksApi, "integration", jwt=True).list_webhooks(s.app_id, s.bot["id"]).webhooks
    assert webhook.id in [w.id for w in listed]


@operation("WebhooksApi.get_webhook")
def _(s: Session):
    webhook = s.api_of(sc.WebhooksApi, "app").get_webhook(s.app_id, s.bot["id"], s.webhook.id).webhook
    assert (webhook.id, webhook.target) == (s.webhook.id, "https://example.com/bot-hook")


@operation("WebhooksApi.update_webhook")
def _(s: Session):
    body = sc.WebhookBody(target="https://example.com/v2-hook", triggers=["conversation:read"], include_full_user=True)
    webhook = s.api_of(sc.WebhooksApi, "app", jwt=True).update_webhook(
        s.app_id, s.bot["id"], s.webhook.id, body).webhook
    assert (webhook.id, webhook.target, webhook.triggers, webhook.include_full_user) == \
        (s.webhook.id, "https://example.com/v2-hook", ["conversation:read"], True)


@operation("WebhooksApi.delete_webhook")
def _(s: Session):
    webhooks = s.api_of(sc.WebhooksApi, "integration")
    assert webhooks.delete_webhook(s.app_id, s.bot["id"], s.webhook.id) == {}
    refused(lambda: webhooks.get_webhook(s.app_id, s.bot["id"], s.webhook.id), 404)


# --- AttachmentsApi: account, app, integration -----------------------------------------------

def upload(s: Session, scope: str = "app") -> sc.AttachmentSchema:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "receipt.txt"
        path.write_bytes(b"total: 12.50 EUR\n")
        return s.api_of(sc.AttachmentsApi, scope).upload_attachment(
            s.app_id, "public", str(path), var_for="message", conversation_id=s.conversation.id).attachment


@operation("AttachmentsApi.upload_attachment")
def _(s: Session):
    attachment = upload(s, "integration")
    assert attachment.media_url.endswith("/receipt.txt") and attachment.media_type.startswith("text/plain")
    assert requests.get(attachment.media_url, timeout=10).content == b"total: 12.50 EUR\n"


@operation("AttachmentsApi.delete_attachment")
def _(s: Session):
    attachment = upload(s)
    attachments = s.api_of(sc.AttachmentsApi, "account")
    assert attachments.delete_attachment(s.app_id, sc.AttachmentDeleteBody(media_url=attachment.media_url)) == {}
    assert requests.get(attachment.media_url, timeout=10).status_code == 404


# --- OAuthEndpointsApi: authorize/get_token/get_token_info need none, revoke_access integration --

class _NoRedirects:
    """The client's urllib3 pool, told not to follow redirects: /oauth/authorize answers a
    302 to the partner's redirect URI, which a test must not fetch."""

    def __init__(self, pool):
        self._pool = pool

    def request(self, *args, **kwargs):
        return self._pool.request(*args, redirect=False, **kwargs)


def authorize(s: Session, state: str = "st-1") -> ApiException:
    """GET /oauth/authorize through the client; its answer, a 302, reaches the caller as an
    ApiException whose `data` the client deserialized as the operation's `str`."""
    api_client = sc.ApiClient(sc.Configuration(host=s.api.url))
    api_client.rest_client.pool_manager = _NoRedirects(api_client.rest_client.pool_manager)
    client_id = s.api.seed["oauthClients"][0]["id"]
    with pytest.raises(ApiException) as info:
        sc.OAuthEndpointsApi(api_client).authorize(client_id, "code", state=state,
                                                   redirect_uri="https://partner.example.com/callback")
    return info.value


def code_of(redirect: ApiException) -> str:
    query = parse_qs(urlsplit(redirect.headers["Location"]).query)
    return query["code"][0]


def access_token(s: Session) -> str:
    client = s.api.seed["oauthClients"][0]
    body = sc.GetTokenRequest(code=code_of(authorize(s)), grant_type="authorization_code",
                              client_id=client["id"], client_secret=client["secret"])
    return sc.OAuthEndpointsApi(sc.ApiClient(sc.Configuration(host=s.api.url))).get_token(body).access_token


@operation("OAuthEndpointsApi.authorize")
def _(s: Session):
    redirect = authorize(s, state="xyz")
    assert redirect.status == 302
    location = urlsplit(redirect.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "partner.example.com", "/callback")
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"] and OBJECT_ID.match(query["code"][0])
    assert isinstance(redirect.data, str) and redirect.headers["Location"] in redirect.data


@operation("OAuthEndpointsApi.get_token")
def _(s: Session):
    client = s.api.seed["oauthClients"][0]
    body = sc.GetTokenRequest(code=code_of(authorize(s)), grant_type="authorization_code",
                              client_id=client["id"], client_secret=client["secret"])
    answer = sc.OAuthEndpointsApi(sc.ApiClient(sc.Configuration(host=s.api.url))).get_token(body)
    assert answer.token_type == "Bearer" and answer.access_token.count(".") == 2
    # the token is an integration credential of the app
    assert sc.UsersApi(s.bearer(answer.access_token)).get_user(s.app_id, "alice").user.external_id == "alice"


def bearer_header(token: str) -> dict:
    """GetTokenInfo declares `security: []`, so the client sends no configured credential
    with it: the caller passes the token as a header."""
    return {"Authorization": f"Bearer {token}"}


@operation("OAuthEndpointsApi.get_token_info")
def _(s: Session):
    oauth = sc.OAuthEndpointsApi(sc.ApiClient(sc.Configuration(host=s.api.url)))
    app = oauth.get_token_info(_headers=bearer_header(access_token(s))).app
    assert (app.id, app.display_name) == (s.app_id, "Acme Support")


@operation("OAuthEndpointsApi.revoke_access")
def _(s: Session):
    token = access_token(s)
    oauth = sc.OAuthEndpointsApi(s.bearer(token))
    assert oauth.revoke_access() == {}
    refused(lambda: oauth.get_token_info(_headers=bearer_header(token)), 401, "unauthorized")


# --- the tests -----------------------------------------------------------------------------

def test_every_client_operation_is_exercised():
    """The table covers exactly the operations of the installed client."""
    OPERATIONS.assert_covers_exactly(client_operations())


@pytest.mark.parametrize("operation_", sorted(OPERATIONS), ids=lambda pair: ".".join(pair))
def test_operation(s, operation_):
    OPERATIONS[operation_](s)


# --- refusals: one call per scope that no operation of the class allows ---------------------------

# The scopes each API class's operations allow (v2-scopes.txt); "user" is never allowed on v2.
ALLOWED = {
    "ActivitiesApi": {"account", "app", "integration"},
    "AppKeysApi": {"account"},
    "AppsApi": {"account", "app"},
    "AttachmentsApi": {"account", "app", "integration"},
    "ClientsApi": {"account", "app", "integration"},
    "ConversationsApi": {"account", "app", "integration"},
    "CustomIntegrationApiKeysApi": {"account", "app"},
    "DevicesApi": {"account", "app", "integration"},
    "IntegrationsApi": {"account", "app"},
    "MessagesApi": {"account", "app", "integration"},
    "OAuthEndpointsApi": {"integration"},  # revoke_access; the others declare no security
    "ParticipantsApi": {"account", "app", "integration"},
    "SwitchboardActionsApi": {"account", "app", "integration"},
    "SwitchboardIntegrationsApi": {"account", "app"},
    "SwitchboardsApi": {"account", "app"},
    "UsersApi": {"account", "app", "integration"},
    "WebhooksApi": {"app", "integration"},
}
SCOPES = ("account", "app", "integration", "user")

# (API class, wrong scope, call): each call names real resources, so only the scope is wrong.
WRONG_SCOPE = [
    ("ActivitiesApi", "user", lambda a, s: a.post_activity(
        s.app_id, s.conversation.id, sc.ActivityPost(type="conversation:read", author=sc.Author(type="user",
                                                                                               user_id=s.alice.id)))),
    ("AppKeysApi", "app", lambda a, s: a.list_app_keys(s.app_id)),
    ("AppKeysApi", "integration", lambda a, s: a.create_app_key(s.app_id, sc.AppKeyCreateBody(display_name="x"))),
    ("AppKeysApi", "user", lambda a, s: a.get_app_key(s.app_id, s.api.key("Acme Support")["id"])),
    ("AppsApi", "integration", lambda a, s: a.get_app(s.app_id)),
    ("AppsApi", "user", lambda a, s: a.update_app(s.app_id, sc.AppUpdateBody(display_name="x"))),
    ("AttachmentsApi", "user", lambda a, s: a.delete_attachment(
        s.app_id, sc.AttachmentDeleteBody(media_url=f"{s.api.url}/media/apps/{s.app_id}/x/y.txt"))),
    ("ClientsApi", "user", lambda a, s: a.list_clients(s.app_id, "alice")),
    ("ConversationsApi", "user", lambda a, s: a.get_conversation(s.app_id, s.conversation.id)),
    ("CustomIntegrationApiKeysApi", "integration", lambda a, s: a.list_custom_integration_keys(
        s.app_id, s.bot["id"])),
    ("CustomIntegrationApiKeysApi", "user", lambda a, s: a.create_custom_integration_key(
        s.app_id, s.bot["id"], sc.IntegrationApiKey(display_name="x"))),
    ("DevicesApi", "user", lambda a, s: a.list_devices(s.app_id, "alice")),
    ("IntegrationsApi", "integration", lambda a, s: a.list_integrations(s.app_id)),
    ("IntegrationsApi", "user", lambda a, s: a.get_integration(s.app_id, s.bot["id"])),
    ("MessagesApi", "user", lambda a, s: a.list_messages(s.app_id, s.conversation.id)),
    ("OAuthEndpointsApi", "account", lambda a, s: a.revoke_access()),
    ("OAuthEndpointsApi", "app", lambda a, s: a.revoke_access()),
    ("OAuthEndpointsApi", "user", lambda a, s: a.revoke_access()),
    ("ParticipantsApi", "user", lambda a, s: a.list_participants(s.app_id, s.conversation.id)),
    ("SwitchboardActionsApi", "user", lambda a, s: a.release_control(s.app_id, s.conversation.id,
                                                                     sc.ReleaseControlBody())),
    ("SwitchboardIntegrationsApi", "integration", lambda a, s: a.list_switchboard_integrations(
        s.app_id, s.switchboard.id)),
    ("SwitchboardIntegrationsApi", "user", lambda a, s: a.create_switchboard_integration(
        s.app_id, s.switchboard.id, sc.SwitchboardIntegrationCreateBody(name="x", integration_id=s.bot["id"]))),
    ("SwitchboardsApi", "integration", lambda a, s: a.list_switchboards(s.app_id)),
    ("SwitchboardsApi", "user", lambda a, s: a.create_switchboard(s.app_id)),
    ("UsersApi", "user", lambda a, s: a.get_user(s.app_id, "alice")),
    ("WebhooksApi", "account", lambda a, s: a.list_webhooks(s.app_id, s.bot["id"])),
    ("WebhooksApi", "user", lambda a, s: a.get_webhook(s.app_id, s.bot["id"], s.webhook.id)),
]


def test_every_wrong_scope_of_every_class_has_a_refusal():
    expected = {(cls, scope) for cls, allowed in ALLOWED.items() for scope in SCOPES if scope not in allowed}
    assert {cls for cls, _ in client_operations()} == set(ALLOWED)
    assert sorted((cls, scope) for cls, scope, _ in WRONG_SCOPE) == sorted(expected)


@pytest.mark.parametrize("api_class, scope, call", WRONG_SCOPE, ids=[f"{c}-{sc_}" for c, sc_, _ in WRONG_SCOPE])
def test_wrong_scope_is_refused(s, api_class, scope, call):
    client = s.user_token("alice") if scope == "user" else s.client(scope)
    instance = getattr(sc, api_class)(client)
    refused(lambda: call(instance, s), 403, "forbidden")


def test_app_key_may_not_list_apps(s):
    """AppsApi has an operation the app scope may not call (list_apps, account only)."""
    refused(s.api_of(sc.AppsApi, "app").list_apps, 403, "forbidden")


def test_a_scope_the_key_cannot_sign_is_unauthorized(s):
    """An `account` JWT signed with an app key is not a credential at all: 401."""
    token = s.api.token(s.api.key("Acme Support")["id"], "account")
    refused(sc.AppsApi(s.bearer(token)).list_apps, 401, "unauthorized")


def test_token_info_takes_only_an_oauth_token(s):
    """GetTokenInfo declares no scope: it reads the token itself, and a key is no OAuth token."""
    key = s.api.key("Acme Support")
    oauth = sc.OAuthEndpointsApi(sc.ApiClient(sc.Configuration(host=s.api.url)))
    for credential in (f"Bearer {s.api.token(key['id'], 'app')}", basic(key)):
        refused(lambda: oauth.get_token_info(_headers={"Authorization": credential}), 401, "unauthorized")


def test_integrations_still_deserialize_after_an_oauth_authorization(s):
    """An OAuth authorization adds an integration to the app: the client must still read the
    list (its models know integrations by their `type`)."""
    access_token(s)
    listed = s.api_of(sc.IntegrationsApi, "app").list_integrations(s.app_id).integrations
    assert s.bot["id"] in [i.id for i in listed]
