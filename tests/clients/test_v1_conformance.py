"""Proof with the official v1.1 client (`smooch`): every operation.

Each operation of each `*Api` class is called once with a credential allowed to call it
(Basic or JWT; account, service account, app, integration key, or an appUser JWT), on
resources created first through the client.  Every answer goes through `StrictApiClient`
(v1_support.py): its status must be one the v1.1 description documents for the operation,
and its body must match the client's own model (declared JSON types, nesting, required
fields present and not null, no misspelt field name) before the client deserializes it.
The test then reads the key fields back from the model objects.
`test_every_client_operation_is_exercised` keeps the table complete: a method the client
adds fails the suite until it has a case.

Then, for each API class, one call per credential kind that none of the class's operations
allows is refused with 403 and the v1 body; where an appUser JWT is allowed (its own user
only), a JWT for another user is the wrong one.  The client always puts the app in the
path, so the app-less v1 forms are not exercised here.
"""
from __future__ import annotations

import ast
import inspect
import re

import jwt
import pytest
import requests
import smooch

from operation_table import OperationTable
import v1_support
from v1_support import PNG, Session, client_operations, configuration, forbidden, refused  # noqa: F401

if v1_support.DOCUMENTED is None:
    pytest.skip(f"{v1_support.SWAGGER} (the v1.1 description) is not beside this checkout", allow_module_level=True)

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{86}$")
APP_TOKEN = re.compile(r"^[0-9a-z]{25}$")
# The status values the client's enums declare (models/enums.py).
DEPLOYMENT_STATUSES = ("deleting", "error", "integrated", "pending", "registered", "starting", "unregistered")
CLIENT_STATUSES = ("active", "blocked", "inactive", "pending")
INTEGRATION_STATUSES = ("active", "inactive", "error")


@pytest.fixture
def s(api, configuration, tmp_path) -> Session:  # noqa: F811 (the fixture from v1_support)
    return Session(api, tmp_path)


def decode(token: str, secret: str) -> tuple[dict, dict]:
    """(header, payload) of a JWT, after checking its HS256 signature with `secret`."""
    return jwt.get_unverified_header(token), jwt.decode(token, secret, algorithms=["HS256"])


def fetched(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


# --- the table: one case per client operation ----------------------------------------------

OPERATIONS = OperationTable()
operation = OPERATIONS.case  # @operation("ApiClass.method") registers the case of that operation


# --- AppApi: account (user account keys, and service account keys within their grant) ------------

@operation("AppApi.create_app")
def _(s: Session):
    body = smooch.AppCreate(name="Acme Billing", metadata={"team": "billing"},
                            settings=smooch.AppSettings(echo_postback=True, conversation_retention_seconds=3600))
    app = s.api_of(smooch.AppApi, "account").create_app(body).app
    assert OBJECT_ID.match(app.id) and APP_TOKEN.match(app.app_token)
    assert (app.name, app.metadata) == ("Acme Billing", {"team": "billing"})
    settings = app.settings
    assert (settings.echo_postback, settings.conversation_retention_seconds) == (True, 3600)
    assert (settings.mask_credit_card_numbers, settings.use_animal_names,
            settings.ignore_auto_conversation_start) == (True, False, False)


@operation("AppApi.list_apps")
def _(s: Session):
    apps = s.api_of(smooch.AppApi, "account", jwt=True)
    first = apps.list_apps(limit=1)
    assert len(first.apps) == 1 and (first.has_more, first.offset) == (True, 0)
    second = apps.list_apps(limit=1, offset=1)
    assert (second.has_more, second.offset) == (False, 1)
    assert [app.name for app in first.apps + second.apps] == ["Acme Support", "Acme Sales"]
    granted = apps.list_apps(service_account_id=s.api.service_account("provisioner")["id"]).apps
    assert [app.id for app in granted] == [s.app_id]


@operation("AppApi.get_app")
def _(s: Session):
    app = s.api_of(smooch.AppApi, "serviceAccount").get_app(s.app_id).app
    assert (app.id, app.name) == (s.app_id, "Acme Support") and APP_TOKEN.match(app.app_token)
    assert isinstance(app.settings.conversation_retention_seconds, int)


@operation("AppApi.update_app")
def _(s: Session):
    apps = s.api_of(smooch.AppApi, "account", jwt=True)
    body = smooch.AppUpdate(name="Acme Help", metadata={"region": "eu"},
                            settings=smooch.AppSettings(use_animal_names=True))
    app = apps.update_app(s.app_id, body).app
    assert (app.id, app.name, app.metadata, app.settings.use_animal_names) == (s.app_id, "Acme Help",
                                                                                {"region": "eu"}, True)
    again = apps.get_app(s.app_id).app
    assert (again.name, again.settings.use_animal_names, again.app_token) == ("Acme Help", True, app.app_token)


@operation("AppApi.delete_app")
def _(s: Session):
    apps = s.api_of(smooch.AppApi, "account")
    app_id = apps.create_app(smooch.AppCreate(name="Doomed")).app.id
    assert apps.delete_app(app_id) is None
    refused(lambda: apps.get_app(app_id), 404, "not_found", "App not found")


@operation("AppApi.get_sdk_ids")
def _(s: Session):
    apps = s.api_of(smooch.AppApi, "account")
    ids = apps.get_sdk_ids(s.app_id)
    assert ids.web_integration_id == s.site_id
    assert OBJECT_ID.match(ids.android_integration_id) and OBJECT_ID.match(ids.ios_integration_id)
    again = apps.get_sdk_ids(s.app_id)
    assert (again.android_integration_id, again.ios_integration_id) == (ids.android_integration_id,
                                                                        ids.ios_integration_id)


@operation("AppApi.create_secret_key")
def _(s: Session):
    key = s.api_of(smooch.AppApi, "account").create_secret_key(s.app_id, smooch.SecretKeyCreate(name="ci")).key
    assert re.match(r"^app_[0-9a-f]{24}$", key.id) and key.name == "ci" and SECRET.match(key.secret)
    alice = s.with_key(smooch.AppUserApi, key.id, key.secret).get_app_user(s.app_id, "alice").app_user
    assert alice.user_id == "alice"


@operation("AppApi.list_secret_keys")
def _(s: Session):
    seeded = s.api.key("Acme Support")
    keys = s.api_of(smooch.AppApi, "account", jwt=True).list_secret_keys(s.app_id).keys
    assert {key.id: key.secret for key in keys}[seeded["id"]] == seeded["secret"]
    assert all(isinstance(key.name, str) for key in keys)


@operation("AppApi.get_secret_key")
def _(s: Session):
    seeded = s.api.key("Acme Support")
    key = s.api_of(smooch.AppApi, "serviceAccount", jwt=True).get_secret_key(s.app_id, seeded["id"]).key
    assert (key.id, key.secret) == (seeded["id"], seeded["secret"]) and isinstance(key.name, str)


@operation("AppApi.delete_secret_key")
def _(s: Session):
    apps = s.api_of(smooch.AppApi, "account")
    key = apps.create_secret_key(s.app_id, smooch.SecretKeyCreate(name="temp")).key
    assert apps.delete_secret_key(s.app_id, key.id) is None
    refused(lambda: apps.get_secret_key(s.app_id, key.id), 404, "not_found", "Key not found")
    refused(lambda: s.with_key(smooch.AppUserApi, key.id, key.secret).get_app_user(s.app_id, "alice"),
            401, "unauthorized")


@operation("AppApi.get_app_jwt")
def _(s: Session):
    seeded = s.api.key("Acme Support")
    token = s.api_of(smooch.AppApi, "account").get_app_jwt(s.app_id, seeded["id"]).jwt
    header, payload = decode(token, seeded["secret"])
    assert header["kid"] == seeded["id"] and payload == {"scope": "app"}
    alice = s.with_token(smooch.AppUserApi, token).get_app_user(s.app_id, "alice").app_user
    assert alice.user_id == "alice"


# --- ServiceAccountApi: user account keys (act_) only ------------------------------------------

@operation("ServiceAccountApi.create_service_account")
def _(s: Session):
    accounts = s.api_of(smooch.ServiceAccountApi, "account")
    created = accounts.create_service_account(smooch.ServiceAccountCreate(name="deployer")).service_account
    assert OBJECT_ID.match(created.id) and created.name == "deployer"
    assert accounts.get_service_account(created.id).service_account.name == "deployer"


@operation("ServiceAccountApi.list_service_accounts")
def _(s: Session):
    created = s.service_account
    accounts = s.api_of(smooch.ServiceAccountApi, "account", jwt=True)
    listed = accounts.list_service_accounts()
    assert [sa.name for sa in listed.service_accounts] == ["provisioner", "deployer"]
    assert (listed.has_more, listed.offset) == (False, 0)
    page = accounts.list_service_accounts(limit=1, offset=1)
    assert [sa.id for sa in page.service_accounts] == [created.id] and (page.has_more, page.offset) == (False, 1)
    assert accounts.list_service_accounts(limit=1).has_more is True


@operation("ServiceAccountApi.get_service_account")
def _(s: Session):
    seeded = s.api.service_account("provisioner")
    found = s.api_of(smooch.ServiceAccountApi, "account").get_service_account(seeded["id"]).service_account
    assert (found.id, found.name) == (seeded["id"], "provisioner")


@operation("ServiceAccountApi.update_service_account")
def _(s: Session):
    accounts = s.api_of(smooch.ServiceAccountApi, "account", jwt=True)
    updated = accounts.update_service_account(s.service_account.id,
                                              smooch.ServiceAccountUpdate(name="deployer-2")).service_account
    assert (updated.id, updated.name) == (s.service_account.id, "deployer-2")
    assert accounts.get_service_account(s.service_account.id).service_account.name == "deployer-2"


@operation("ServiceAccountApi.delete_service_account")
def _(s: Session):
    accounts = s.api_of(smooch.ServiceAccountApi, "account")
    assert accounts.delete_service_account(s.service_account.id) is None
    refused(lambda: accounts.get_service_account(s.service_account.id), 404, "not_found",
            "Service account not found")


@operation("ServiceAccountApi.create_secret_key")
def _(s: Session):
    key = s.service_account_key
    assert re.match(r"^svc_[0-9a-f]{24}$", key.id) and key.name == "deploy" and SECRET.match(key.secret)
    # a new service account is granted no app
    assert s.with_key(smooch.AppApi, key.id, key.secret).list_apps().apps == []


@operation("ServiceAccountApi.list_secret_keys")
def _(s: Session):
    seeded = s.api.key("provisioner")
    sa_id = s.api.service_account("provisioner")["id"]
    keys = s.api_of(smooch.ServiceAccountApi, "account", jwt=True).list_secret_keys(sa_id).keys
    assert {key.id: key.secret for key in keys} == {seeded["id"]: seeded["secret"]}


@operation("ServiceAccountApi.get_secret_key")
def _(s: Session):
    key = s.api_of(smooch.ServiceAccountApi, "account").get_secret_key(
        s.service_account.id, s.service_account_key.id).key
    assert (key.id, key.name, key.secret) == (s.service_account_key.id, "deploy", s.service_account_key.secret)


@operation("ServiceAccountApi.delete_secret_key")
def _(s: Session):
    accounts = s.api_of(smooch.ServiceAccountApi, "account")
    key = s.service_account_key
    assert accounts.delete_secret_key(s.service_account.id, key.id) is None
    refused(lambda: accounts.get_secret_key(s.service_account.id, key.id), 404, "not_found", "Key not found")
    refused(lambda: s.with_key(smooch.AppApi, key.id, key.secret).list_apps(), 401, "unauthorized")


@operation("ServiceAccountApi.get_jwt")
def _(s: Session):
    key = s.service_account_key
    token = s.api_of(smooch.ServiceAccountApi, "account", jwt=True).get_jwt(s.service_account.id, key.id).jwt
    header, payload = decode(token, key.secret)
    assert header["kid"] == key.id and payload == {"scope": "account"}
    apps = s.with_token(smooch.AppApi, token)
    created = apps.create_app(smooch.AppCreate(name="Deployed")).app
    assert [app.id for app in apps.list_apps().apps] == [created.id]


# --- AppUserApi: account, app, appUser (its own user), integration ---------------------------------

def link_twilio(s: Session, kind: str = "app", phone: str = "+15145550123", confirmation: str = "immediate"):
    body = smooch.AppUserLink(type="twilio", integration_id=s.twilio.id, phone_number=phone,
                              confirmation=smooch.Confirmation(type=confirmation))
    return s.api_of(smooch.AppUserApi, kind).link_app_user(s.app_id, "alice", body).app_user


@operation("AppUserApi.pre_create_app_user")
def _(s: Session):
    body = smooch.AppUserPreCreate(user_id="erin", given_name="Erin", surname="Evans", email="erin@example.com",
                                   signed_up_at="2024-01-02T03:04:05.000Z", properties={"plan": "pro"})
    erin = s.api_of(smooch.AppUserApi, "integration").pre_create_app_user(s.app_id, body).app_user
    assert OBJECT_ID.match(erin.id)
    assert (erin.user_id, erin.given_name, erin.surname, erin.email) == ("erin", "Erin", "Evans", "erin@example.com")
    assert erin.signed_up_at.startswith("2024-01-02T03:04:05") and erin.properties == {"plan": "pro"}
    assert erin.conversation_started is False and (erin.clients, erin.pending_clients) == ([], [])


@operation("AppUserApi.get_app_user")
def _(s: Session):
    seeded = s.api.user("Acme Support", "alice")
    users = s.api_of(smooch.AppUserApi, "appUser", user="alice")
    alice = users.get_app_user(s.app_id, "alice").app_user
    assert (alice.id, alice.user_id, alice.given_name, alice.email) == (seeded["id"], "alice", "Alice",
                                                                        "alice@example.com")
    assert alice.conversation_started is False and alice.properties == {}
    assert users.get_app_user(s.app_id, seeded["id"]).app_user.user_id == "alice"


@operation("AppUserApi.update_app_user")
def _(s: Session):
    body = smooch.AppUserUpdate(surname="Liddell", properties={"vip": True})
    alice = s.api_of(smooch.AppUserApi, "app", jwt=True).update_app_user(s.app_id, "alice", body).app_user
    assert (alice.user_id, alice.given_name, alice.surname, alice.properties) == ("alice", "Alice", "Liddell",
                                                                                  {"vip": True})


@operation("AppUserApi.delete_app_user")
def _(s: Session):
    zoe = s.new_user("zoe")
    users = s.api_of(smooch.AppUserApi, "account")
    assert users.delete_app_user(s.app_id, zoe.id) is None
    refused(lambda: users.get_app_user(s.app_id, "zoe"), 404, "not_found", "App user not found")


@operation("AppUserApi.delete_app_user_profile")
def _(s: Session):
    s.new_user("zoe", given_name="Zoe", surname="Quinn", email="zoe@example.com")
    zoe = s.api_of(smooch.AppUserApi, "appUser", user="zoe").delete_app_user_profile(s.app_id, "zoe").app_user
    assert zoe.user_id == "zoe" and (zoe.given_name, zoe.surname, zoe.email) == (None, None, None)
    assert isinstance(zoe.properties, dict) and zoe.conversation_started is False


@operation("AppUserApi.get_app_user_auth_code")
def _(s: Session):
    users = s.api_of(smooch.AppUserApi, "app")
    first = users.get_app_user_auth_code(s.app_id, "alice").auth_code
    second = users.get_app_user_auth_code(s.app_id, "alice").auth_code
    assert first.startswith("ac_") and second.startswith("ac_") and first != second


@operation("AppUserApi.get_app_user_business_system_ids")
def _(s: Session):
    answer = s.api_of(smooch.AppUserApi, "integration", jwt=True).get_app_user_business_system_ids(s.app_id, "alice")
    assert answer.business_systems == []


@operation("AppUserApi.get_app_user_entity_ids")
def _(s: Session):
    users = s.api_of(smooch.AppUserApi, "account")
    assert users.get_app_user_entity_ids(s.app_id, "alice").channels == []
    link_twilio(s)
    [channel] = users.get_app_user_entity_ids(s.app_id, "alice").channels
    assert (channel.type, channel.integration_id, channel.phone_number) == ("twilio", s.twilio.id, "+15145550123")


@operation("AppUserApi.link_app_user")
def _(s: Session):
    alice = link_twilio(s)
    [client] = [c for c in alice.clients if c.platform == "twilio"]
    assert OBJECT_ID.match(client.id) and client.integration_id == s.twilio.id
    assert (client.status, client.active, client.external_id) == ("active", True, "+15145550123")
    assert alice.pending_clients == []
    # a `prompt` link waits for the user: it is listed as pending
    bob_link = smooch.AppUserLink(type="twilio", phone_number="+15145550124",
                                  confirmation=smooch.Confirmation(type="prompt"))
    bob = s.api_of(smooch.AppUserApi, "appUser", user="bob").link_app_user(s.app_id, "bob", bob_link).app_user
    [pending] = bob.pending_clients
    assert (pending.platform, pending.status, pending.active) == ("twilio", "pending", False)
    assert pending.status in CLIENT_STATUSES and all(c.platform != "twilio" for c in bob.clients)


@operation("AppUserApi.unlink_app_user")
def _(s: Session):
    link_twilio(s)
    users = s.api_of(smooch.AppUserApi, "integration")
    assert users.unlink_app_user(s.app_id, "alice", "twilio") is None
    assert users.get_app_user_entity_ids(s.app_id, "alice").channels == []
    assert all(c.platform != "twilio" for c in users.get_app_user(s.app_id, "alice").app_user.clients)


@operation("AppUserApi.get_link_requests")
def _(s: Session):
    answer = s.api_of(smooch.AppUserApi, "app").get_link_requests(s.app_id, "alice", [s.telegram.id])
    [link] = answer.link_requests
    assert (link.integration_id, link.type) == (s.telegram.id, "telegram")
    assert link.code.startswith("lr_") and link.url.startswith("https://telegram.me/") and link.code in link.url


@operation("AppUserApi.merge_users")
def _(s: Session):
    surviving = s.new_user("sam", given_name="Sam")
    discarded = s.new_user("dan", email="dan@example.com", properties={"plan": "pro"})
    users = s.api_of(smooch.AppUserApi, "account")
    body = smooch.AppUserMerge(surviving=smooch.MergedUser(id=surviving.id),
                               discarded=smooch.MergedUser(id=discarded.id))
    assert users.merge_users(s.app_id, body) is None
    merged = users.get_app_user(s.app_id, surviving.id).app_user
    assert (merged.user_id, merged.given_name, merged.email, merged.properties) == (
        "sam", "Sam", "dan@example.com", {"plan": "pro"})
    refused(lambda: users.get_app_user(s.app_id, discarded.id), 404, "not_found", "App user not found")


@operation("AppUserApi.post_image_message")
def _(s: Session):
    answer = s.api_of(smooch.AppUserApi, "appUser", user="alice").post_image_message(
        s.app_id, "alice", s.file("photo.png", PNG), "appUser")
    message = answer.message
    assert OBJECT_ID.match(message.id) and (message.role, message.type) == ("appUser", "image")
    assert message.author_id == s.alice.id and message.media_url.endswith("/photo.png")
    assert message.media_type == "image/png" and fetched(message.media_url).content == PNG
    assert isinstance(message.received, float)
    assert OBJECT_ID.match(answer.conversation.id) and isinstance(answer.conversation.unread_count, int)


# --- ConversationApi: account, app, appUser (its own user), integration ------------------------------

@operation("ConversationApi.post_message")
def _(s: Session):
    body = smooch.MessagePost(role="appMaker", type="text", text="Hello Alice", name="Acme",
                              email="support@acme.test", metadata={"lang": "en"},
                              actions=[smooch.Action(type="link", text="Track", uri="https://acme.test/track")])
    answer = s.api_of(smooch.ConversationApi, "integration", jwt=True).post_message(s.app_id, "alice", body)
    message = answer.message
    assert OBJECT_ID.match(message.id) and (message.role, message.type, message.text) == ("appMaker", "text",
                                                                                          "Hello Alice")
    assert (message.name, message.email, message.metadata) == ("Acme", "support@acme.test", {"lang": "en"})
    assert message.avatar_url.startswith("https://") and isinstance(message.author_id, str) and message.author_id
    assert isinstance(message.received, float) and message.received > 1e9 and message.source.type == "api"
    [action] = message.actions
    assert (action.type, action.text, action.uri) == ("link", "Track", "https://acme.test/track")
    assert OBJECT_ID.match(answer.conversation.id) and answer.conversation.unread_count == 1


@operation("ConversationApi.get_messages")
def _(s: Session):
    s.post_text("one")
    mine = smooch.MessagePost(role="appUser", type="text", text="two")
    s.api_of(smooch.ConversationApi, "appUser", user="alice").post_message(s.app_id, "alice", mine)
    s.post_text("three")
    answer = s.api_of(smooch.ConversationApi, "app").get_messages(s.app_id, "alice")
    assert [(m.role, m.text) for m in answer.messages] == [("appMaker", "one"), ("appUser", "two"),
                                                           ("appMaker", "three")]
    assert answer.messages[1].author_id == s.alice.id and answer.next is None
    assert OBJECT_ID.match(answer.conversation.id) and answer.conversation.unread_count == 1
    assert s.api_of(smooch.AppUserApi).get_app_user(s.app_id, "alice").app_user.conversation_started is True


@operation("ConversationApi.delete_message")
def _(s: Session):
    conversations = s.api_of(smooch.ConversationApi, "account")
    kept = s.post_text("kept").message
    assert conversations.delete_message(s.app_id, "alice", s.message.id) is None
    assert [m.id for m in conversations.get_messages(s.app_id, "alice").messages] == [kept.id]


@operation("ConversationApi.delete_messages")
def _(s: Session):
    s.post_text("one")
    s.post_text("two")
    conversations = s.api_of(smooch.ConversationApi, "appUser", user="alice")
    assert conversations.delete_messages(s.app_id, "alice") is None
    assert conversations.get_messages(s.app_id, "alice").messages == []


@operation("ConversationApi.reset_unread_count")
def _(s: Session):
    s.post_text("one")
    s.post_text("two")
    conversations = s.api_of(smooch.ConversationApi, "appUser", user="alice", jwt=True)
    assert conversations.get_messages(s.app_id, "alice").conversation.unread_count == 2
    assert conversations.reset_unread_count(s.app_id, "alice") is None
    assert conversations.get_messages(s.app_id, "alice").conversation.unread_count == 0


@operation("ConversationApi.conversation_activity")
def _(s: Session):
    conversation_id = s.post_text("one").conversation.id
    conversations = s.api_of(smooch.ConversationApi, "app")
    typing = smooch.ConversationActivity(role="appMaker", type="typing:start", name="Acme")
    answer = conversations.conversation_activity(s.app_id, "alice", typing)
    assert (answer.conversation.id, answer.conversation.unread_count) == (conversation_id, 1)
    read = smooch.ConversationActivity(role="appUser", type="conversation:read")
    answer = conversations.conversation_activity(s.app_id, "alice", read)
    assert (answer.conversation.id, answer.conversation.unread_count) == (conversation_id, 0)


# --- AttachmentsApi: account, app, integration --------------------------------------------------

def upload(s: Session, kind: str = "app", **query) -> smooch.AttachmentResponse:
    path = s.file("receipt.txt", b"total: 12.50 EUR\n")
    return s.api_of(smooch.AttachmentsApi, kind).upload_attachment(s.app_id, path, "public", **query)


@operation("AttachmentsApi.upload_attachment")
def _(s: Session):
    attachment = upload(s, "integration", _for="message", app_user_id=s.alice.id)
    assert attachment.media_url.endswith("/receipt.txt") and attachment.media_type.startswith("text/plain")
    assert fetched(attachment.media_url).content == b"total: 12.50 EUR\n"


@operation("AttachmentsApi.remove_attachment")
def _(s: Session):
    attachment = upload(s)
    attachments = s.api_of(smooch.AttachmentsApi, "account")
    assert attachments.remove_attachment(s.app_id, smooch.AttachmentRemove(media_url=attachment.media_url)) is None
    assert fetched(attachment.media_url).status_code == 404


# --- DeploymentApi: account (user account and service account keys) ----------------------------------

@operation("DeploymentApi.create_deployment")
def _(s: Session):
    body = smooch.DeploymentCreate(hosting="self", base_url="https://wa.acme.test", username="admin",
                                   password="wa-password", callback_url="https://acme.test/wa-callback")
    deployment = s.api_of(smooch.DeploymentApi, "account").create_deployment(body).deployment
    assert OBJECT_ID.match(deployment.id) and deployment.status in DEPLOYMENT_STATUSES
    assert (deployment.hosting, deployment.base_url, deployment.username) == ("self", "https://wa.acme.test", "admin")
    assert deployment.callback_url == "https://acme.test/wa-callback" and deployment.callback_secret
    assert deployment.phone_number is None and deployment.integration_id is None


@operation("DeploymentApi.list_deployments")
def _(s: Session):
    created = [s.new_deployment().id, s.new_deployment().id]
    listed = s.api_of(smooch.DeploymentApi, "account", jwt=True).list_deployments().deployments
    assert [d.id for d in listed] == created
    assert all(d.hosting == "smooch" and d.status in DEPLOYMENT_STATUSES for d in listed)


@operation("DeploymentApi.get_deployment")
def _(s: Session):
    created = s.new_deployment()
    deployment = s.api_of(smooch.DeploymentApi, "serviceAccount").get_deployment(created.id).deployment
    assert (deployment.id, deployment.hosting, deployment.status) == (created.id, "smooch", created.status)


@operation("DeploymentApi.delete_deployment")
def _(s: Session):
    deployments = s.api_of(smooch.DeploymentApi, "account")
    created = s.new_deployment()
    assert deployments.delete_deployment(created.id) is None
    refused(lambda: deployments.get_deployment(created.id), 404, "not_found", "Deployment not found")


@operation("DeploymentApi.activate_phone_number")
def _(s: Session):
    created = s.new_deployment()
    body = smooch.DeploymentActivatePhoneNumber(phone_number="+15145550100", verified_name_certificate="Q2VydA==",
                                                method="sms")
    deployment = s.api_of(smooch.DeploymentApi, "account", jwt=True).activate_phone_number(
        created.id, body).deployment
    assert deployment.id == created.id and deployment.status in DEPLOYMENT_STATUSES
    assert deployment.status != created.status


@operation("DeploymentApi.confirm_code")
def _(s: Session):
    deployment = s.registered_deployment("+15145550100")
    assert (deployment.status, deployment.phone_number) == ("registered", "+15145550100")
    integration = s.create_integration(type="whatsapp", deployment_id=deployment.id)
    assert (integration.type, integration.phone_number, integration.deployment_id) == (
        "whatsapp", "+15145550100", deployment.id)


# --- IntegrationApi: account, app ----------------------------------------------------------------

@operation("IntegrationApi.create_integration")
def _(s: Session):
    body = smooch.IntegrationCreate(type="twilio", display_name="sms", account_sid="AC1f0c2b1e9d8a7b6c5d4e3f21",
                                    auth_token="twilio-token", phone_number_sid="PN5f0c2b1e9d8a7b6c5d4e3f21")
    integration = s.api_of(smooch.IntegrationApi, "account").create_integration(s.app_id, body).integration
    assert OBJECT_ID.match(integration.id) and (integration.type, integration.display_name) == ("twilio", "sms")
    assert (integration.account_sid, integration.phone_number_sid) == ("AC1f0c2b1e9d8a7b6c5d4e3f21",
                                                                       "PN5f0c2b1e9d8a7b6c5d4e3f21")
    assert integration.auth_token is None and integration.status in INTEGRATION_STATUSES


@operation("IntegrationApi.list_integrations")
def _(s: Session):
    twilio = s.twilio
    integrations = s.api_of(smooch.IntegrationApi, "app", jwt=True)
    listed = integrations.list_integrations(s.app_id)
    assert {s.bot_id, s.site_id, twilio.id} <= {i.id for i in listed.integrations}
    assert (listed.has_more, listed.offset) == (False, 0)
    assert [i.id for i in integrations.list_integrations(s.app_id, types="twilio").integrations] == [twilio.id]
    page = integrations.list_integrations(s.app_id, limit=1)
    assert len(page.integrations) == 1 and page.has_more is True


@operation("IntegrationApi.get_integration")
def _(s: Session):
    site = s.api_of(smooch.IntegrationApi, "app").get_integration(s.app_id, s.site_id).integration
    assert (site.id, site.type, site.display_name) == (s.site_id, "web", "site")
    assert (site.brand_color, site.display_style, site.fixed_intro_pane) == ("65758e", "button", False)


@operation("IntegrationApi.update_integration")
def _(s: Session):
    body = smooch.IntegrationUpdate(display_name="website", brand_color="112233", business_name="Acme",
                                    origin_whitelist=["https://acme.test"])
    site = s.api_of(smooch.IntegrationApi, "account", jwt=True).update_integration(
        s.app_id, s.site_id, body).integration
    assert (site.id, site.display_name, site.brand_color, site.business_name, site.origin_whitelist) == (
        s.site_id, "website", "112233", "Acme", ["https://acme.test"])


@operation("IntegrationApi.delete_integration")
def _(s: Session):
    integrations = s.api_of(smooch.IntegrationApi, "app")
    assert integrations.delete_integration(s.app_id, s.twilio.id) is None
    refused(lambda: integrations.get_integration(s.app_id, s.twilio.id), 404, "not_found", "Integration not found")


MENU = smooch.Menu(items=[
    smooch.MenuItem(type="link", text="Our site", uri="https://acme.test"),
    smooch.MenuItem(type="submenu", text="Help", items=[
        smooch.SubMenuItem(type="postback", text="Orders", payload="ORDERS")]),
])


def assert_menu(menu: smooch.Menu) -> None:
    link, submenu = menu.items
    assert (link.type, link.text, link.uri) == ("link", "Our site", "https://acme.test")
    [child] = submenu.items
    assert (submenu.type, submenu.text, child.type, child.text, child.payload) == (
        "submenu", "Help", "postback", "Orders", "ORDERS")


@operation("IntegrationApi.create_integration_menu")
def _(s: Session):
    menu = s.api_of(smooch.IntegrationApi, "account").create_integration_menu(s.app_id, s.telegram.id, MENU).menu
    assert_menu(menu)


@operation("IntegrationApi.get_integration_menu")
def _(s: Session):
    integrations = s.api_of(smooch.IntegrationApi, "app")
    assert integrations.get_integration_menu(s.app_id, s.telegram.id).menu.items == []
    integrations.create_integration_menu(s.app_id, s.telegram.id, MENU)
    assert_menu(integrations.get_integration_menu(s.app_id, s.telegram.id).menu)


@operation("IntegrationApi.update_integration_menu")
def _(s: Session):
    integrations = s.api_of(smooch.IntegrationApi, "app", jwt=True)
    integrations.create_integration_menu(s.app_id, s.telegram.id, MENU)
    body = smooch.Menu(items=[smooch.MenuItem(type="postback", text="Start over", payload="RESTART")])
    [item] = integrations.update_integration_menu(s.app_id, s.telegram.id, body).menu.items
    assert (item.type, item.text, item.payload) == ("postback", "Start over", "RESTART")


@operation("IntegrationApi.delete_integration_menu")
def _(s: Session):
    integrations = s.api_of(smooch.IntegrationApi, "account")
    integrations.create_integration_menu(s.app_id, s.telegram.id, MENU)
    assert integrations.delete_integration_menu(s.app_id, s.telegram.id) is None
    assert integrations.get_integration_menu(s.app_id, s.telegram.id).menu.items == []


PROFILE = smooch.IntegrationProfileUpdate(about="Parcels, fast", email="wa@acme.test", vertical="Retail",
                                          websites=["https://acme.test"])


@operation("IntegrationApi.get_integration_profile")
def _(s: Session):
    integrations = s.api_of(smooch.IntegrationApi, "app")
    assert integrations.get_integration_profile(s.app_id, s.whatsapp.id).profile == {}
    integrations.update_integration_profile(s.app_id, s.whatsapp.id, PROFILE)
    profile = integrations.get_integration_profile(s.app_id, s.whatsapp.id).profile
    assert profile == {"about": "Parcels, fast", "email": "wa@acme.test", "vertical": "Retail",
                       "websites": ["https://acme.test"]}


@operation("IntegrationApi.update_integration_profile")
def _(s: Session):
    integrations = s.api_of(smooch.IntegrationApi, "account", jwt=True)
    assert integrations.update_integration_profile(s.app_id, s.whatsapp.id, PROFILE) is None
    assert integrations.get_integration_profile(s.app_id, s.whatsapp.id).profile["about"] == "Parcels, fast"


@operation("IntegrationApi.upload_integration_profile_photo")
def _(s: Session):
    integrations = s.api_of(smooch.IntegrationApi, "app")
    answer = integrations.upload_integration_profile_photo(s.app_id, s.whatsapp.id, s.file("logo.png", PNG))
    assert answer.photo_url.endswith("/logo.png") and fetched(answer.photo_url).content == PNG
    assert integrations.get_integration_profile(s.app_id, s.whatsapp.id).profile["photoUrl"] == answer.photo_url


# --- MenuApi: account, app --------------------------------------------------------------------

@operation("MenuApi.get_menu")
def _(s: Session):
    menus = s.api_of(smooch.MenuApi, "account")
    assert menus.get_menu(s.app_id).menu.items == []
    s.api_of(smooch.MenuApi).update_menu(s.app_id, MENU)
    assert_menu(menus.get_menu(s.app_id).menu)


@operation("MenuApi.update_menu")
def _(s: Session):
    assert_menu(s.api_of(smooch.MenuApi, "app", jwt=True).update_menu(s.app_id, MENU).menu)


@operation("MenuApi.delete_menu")
def _(s: Session):
    menus = s.api_of(smooch.MenuApi, "app")
    menus.update_menu(s.app_id, MENU)
    assert menus.delete_menu(s.app_id).menu.items == []
    assert menus.get_menu(s.app_id).menu.items == []


# --- NotificationApi: account, app, integration -----------------------------------------------------

@operation("NotificationApi.post_notification")
def _(s: Session):
    body = smooch.NotificationPost(
        destination=smooch.NotificationPostDestination(integration_id=s.twilio.id, destination_id="+15145550199"),
        author=smooch.Author(role="appMaker", name="Acme"), message={"type": "text", "text": "Your code is 1234"})
    notification = s.api_of(smooch.NotificationApi, "integration", jwt=True).post_notification(
        s.app_id, body).notification
    assert isinstance(notification.id, str) and notification.id


# --- TemplateApi: account, app --------------------------------------------------------------------

@operation("TemplateApi.create_template")
def _(s: Session):
    message = smooch.Message(type="text", text="Welcome!",
                             actions=[smooch.Action(type="reply", text="Hi", payload="HI")])
    template = s.api_of(smooch.TemplateApi, "account").create_template(
        s.app_id, smooch.TemplateCreate(name="welcome", message=message)).template
    assert OBJECT_ID.match(template.id) and template.name == "welcome"
    assert (template.message.type, template.message.text) == ("text", "Welcome!")
    [action] = template.message.actions
    assert (action.type, action.text, action.payload) == ("reply", "Hi", "HI")


@operation("TemplateApi.list_templates")
def _(s: Session):
    template = s.template
    listed = s.api_of(smooch.TemplateApi, "app", jwt=True).list_templates(s.app_id)
    assert [(t.id, t.name) for t in listed.templates] == [(template.id, "shipped")]
    assert (listed.has_more, listed.offset) == (False, 0)


@operation("TemplateApi.get_template")
def _(s: Session):
    template = s.api_of(smooch.TemplateApi, "app").get_template(s.app_id, s.template.id).template
    assert (template.id, template.name, template.message.text) == (s.template.id, "shipped", "Your order shipped")


@operation("TemplateApi.update_template")
def _(s: Session):
    body = smooch.TemplateUpdate(name="delivered", message=smooch.Message(type="text", text="Delivered"))
    template = s.api_of(smooch.TemplateApi, "account", jwt=True).update_template(
        s.app_id, s.template.id, body).template
    assert (template.id, template.name, template.message.text) == (s.template.id, "delivered", "Delivered")


@operation("TemplateApi.delete_template")
def _(s: Session):
    templates = s.api_of(smooch.TemplateApi, "app")
    assert templates.delete_template(s.app_id, s.template.id) is None
    refused(lambda: templates.get_template(s.app_id, s.template.id), 404, "not_found", "Template not found")


# --- WebhookApi: account, app, integration (its own webhooks) ----------------------------------------

@operation("WebhookApi.create_webhook")
def _(s: Session):
    body = smooch.WebhookCreate(target="https://example.com/hook", triggers=["message:appUser", "conversation:start"],
                                include_client=True)
    webhook = s.api_of(smooch.WebhookApi, "integration").create_webhook(s.app_id, body).webhook
    assert OBJECT_ID.match(webhook.id) and webhook.secret and webhook.version == "v1.1"
    assert (webhook.target, webhook.triggers) == ("https://example.com/hook", ["message:appUser", "conversation:start"])
    assert (webhook.include_client, webhook.include_full_app_user) == (True, False)


@operation("WebhookApi.list_webhooks")
def _(s: Session):
    webhook = s.webhook
    listed = s.api_of(smooch.WebhookApi, "app", jwt=True).list_webhooks(s.app_id).webhooks
    assert [(w.id, w.target, w.triggers) for w in listed] == [(webhook.id, "https://example.com/v1-hook",
                                                               ["message:appUser"])]


@operation("WebhookApi.get_webhook")
def _(s: Session):
    webhook = s.api_of(smooch.WebhookApi, "account").get_webhook(s.app_id, s.webhook.id).webhook
    assert (webhook.id, webhook.target, webhook.secret) == (s.webhook.id, "https://example.com/v1-hook",
                                                            s.webhook.secret)


@operation("WebhookApi.update_webhook")
def _(s: Session):
    body = smooch.WebhookUpdate(target="https://example.com/v1-hook-2", triggers=["message:appMaker"],
                                include_full_app_user=True)
    webhook = s.api_of(smooch.WebhookApi, "app").update_webhook(s.app_id, s.webhook.id, body).webhook
    assert (webhook.id, webhook.target, webhook.triggers, webhook.include_full_app_user) == (
        s.webhook.id, "https://example.com/v1-hook-2", ["message:appMaker"], True)


@operation("WebhookApi.delete_webhook")
def _(s: Session):
    webhooks = s.api_of(smooch.WebhookApi, "integration", jwt=True)
    webhook = webhooks.create_webhook(s.app_id, smooch.WebhookCreate(target="https://example.com/bot")).webhook
    assert webhooks.delete_webhook(s.app_id, webhook.id) is None
    refused(lambda: webhooks.get_webhook(s.app_id, webhook.id), 404, "not_found", "Webhook not found")


# --- the tests -----------------------------------------------------------------------------

def test_every_client_operation_is_exercised():
    """The table covers exactly the operations of the installed client."""
    OPERATIONS.assert_covers_exactly(client_operations())


@pytest.mark.parametrize("operation_", sorted(OPERATIONS), ids=lambda pair: ".".join(pair))
def test_operation(s, operation_):
    OPERATIONS[operation_](s)


# --- refusals: one call per credential kind that no operation of the class allows --------------------

# The credential kinds each API class's operations allow (docs/fidelity.md §3.3 and §8.5).
# "appUser" is allowed for its own user only: for those classes, the wrong kind is an appUser
# JWT of another user ("appUser:other").
ALLOWED = {
    "AppApi": {"account", "serviceAccount"},
    "AppUserApi": {"account", "serviceAccount", "app", "appUser", "integration"},
    "AttachmentsApi": {"account", "serviceAccount", "app", "integration"},
    "ConversationApi": {"account", "serviceAccount", "app", "appUser", "integration"},
    "DeploymentApi": {"account", "serviceAccount"},
    "IntegrationApi": {"account", "serviceAccount", "app"},
    "MenuApi": {"account", "serviceAccount", "app"},
    "NotificationApi": {"account", "serviceAccount", "app", "integration"},
    "ServiceAccountApi": {"account"},  # user account keys only
    "TemplateApi": {"account", "serviceAccount", "app"},
    "WebhookApi": {"account", "serviceAccount", "app", "integration"},
}
KINDS = ("account", "serviceAccount", "app", "integration", "appUser")

# (API class, wrong credential kind, call): each call names real resources, so only the
# credential is wrong.
WRONG_KIND = [
    ("AppApi", "app", lambda a, s: a.get_app(s.app_id)),
    ("AppApi", "integration", lambda a, s: a.list_secret_keys(s.app_id)),
    ("AppApi", "appUser", lambda a, s: a.get_sdk_ids(s.app_id)),
    ("AppUserApi", "appUser:other", lambda a, s: a.get_app_user(s.app_id, "bob")),
    ("AttachmentsApi", "appUser", lambda a, s: a.upload_attachment(
        s.app_id, s.file("receipt.txt", b"x"), "public")),
    ("ConversationApi", "appUser:other", lambda a, s: a.get_messages(s.app_id, "bob")),
    ("DeploymentApi", "app", lambda a, s: a.list_deployments()),
    ("DeploymentApi", "integration", lambda a, s: a.create_deployment(smooch.DeploymentCreate(hosting="smooch"))),
    ("DeploymentApi", "appUser", lambda a, s: a.list_deployments()),
    ("IntegrationApi", "integration", lambda a, s: a.list_integrations(s.app_id)),
    ("IntegrationApi", "appUser", lambda a, s: a.get_integration(s.app_id, s.site_id)),
    ("MenuApi", "integration", lambda a, s: a.get_menu(s.app_id)),
    ("MenuApi", "appUser", lambda a, s: a.update_menu(s.app_id, MENU)),
    ("NotificationApi", "appUser", lambda a, s: a.post_notification(s.app_id, smooch.NotificationPost(
        destination=smooch.NotificationPostDestination(integration_id=s.twilio.id, destination_id="+15145550199"),
        author=smooch.Author(role="appMaker"), message={"type": "text", "text": "x"}))),
    ("ServiceAccountApi", "serviceAccount", lambda a, s: a.list_service_accounts()),
    ("ServiceAccountApi", "app", lambda a, s: a.create_service_account(smooch.ServiceAccountCreate(name="x"))),
    ("ServiceAccountApi", "integration", lambda a, s: a.get_service_account(
        s.api.service_account("provisioner")["id"])),
    ("ServiceAccountApi", "appUser", lambda a, s: a.list_service_accounts()),
    ("TemplateApi", "integration", lambda a, s: a.list_templates(s.app_id)),
    ("TemplateApi", "appUser", lambda a, s: a.get_template(s.app_id, s.template.id)),
    ("WebhookApi", "appUser", lambda a, s: a.list_webhooks(s.app_id)),
]


def test_every_wrong_kind_of_every_class_has_a_refusal():
    expected = {(cls, kind) for cls, allowed in ALLOWED.items() for kind in KINDS if kind not in allowed}
    expected |= {(cls, "appUser:other") for cls, allowed in ALLOWED.items() if "appUser" in allowed}
    assert {cls for cls, _ in client_operations()} == set(ALLOWED)
    assert sorted((cls, kind) for cls, kind, _ in WRONG_KIND) == sorted(expected)


@pytest.mark.parametrize("api_class, kind, call", WRONG_KIND, ids=[f"{c}-{k}" for c, k, _ in WRONG_KIND])
def test_wrong_credential_is_refused(s, api_class, kind, call):
    if kind == "appUser:other":
        instance = s.api_of(getattr(smooch, api_class), "appUser", user="alice")
    else:
        instance = s.api_of(getattr(smooch, api_class), kind)
    forbidden(lambda: call(instance, s))


# --- refusals of single operations inside an allowed class ------------------------------------------

def test_integration_key_may_not_merge_users(s):
    """merge_users takes account and app credentials only."""
    body = smooch.AppUserMerge(surviving=smooch.MergedUser(id=s.alice.id),
                               discarded=smooch.MergedUser(id=s.new_user("dan").id))
    forbidden(lambda: s.api_of(smooch.AppUserApi, "integration").merge_users(s.app_id, body))


def test_app_user_jwt_may_not_pre_create_users(s):
    forbidden(lambda: s.api_of(smooch.AppUserApi, "appUser").pre_create_app_user(
        s.app_id, smooch.AppUserPreCreate(user_id="erin")))


def test_app_user_jwt_may_not_speak_as_the_app_maker(s):
    body = smooch.MessagePost(role="appMaker", type="text", text="I am the business")
    forbidden(lambda: s.api_of(smooch.ConversationApi, "appUser").post_message(s.app_id, "alice", body))


def test_integration_key_sees_only_its_own_webhooks(s):
    """An app-level webhook is not the integration's: 404, and not in its list."""
    webhooks = s.api_of(smooch.WebhookApi, "integration")
    refused(lambda: webhooks.get_webhook(s.app_id, s.webhook.id), 404, "not_found", "Webhook not found")
    assert webhooks.list_webhooks(s.app_id).webhooks == []


def test_an_app_credential_may_not_name_another_app(s):
    """v1: an app-bound credential naming another app in the path is a 400 (fidelity row 7)."""
    other = s.api.app("Acme Sales")["id"]
    refused(lambda: s.api_of(smooch.AppUserApi, "app").get_app_user(other, "carol"), 400, "bad_request",
            "AppId in path does not match supplied credentials")


# --- the channel types the client's IntegrationCreate carries fields for ------------------------------

# Each type of the client's IntegrationType enum with the fields its docs say it requires
# (smooch 5.34 docs/IntegrationCreate.md: "Required for *apn* integrations" ...).  `api` has
# no creation fields, and `whatsapp` needs a deployment (the DeploymentApi.confirm_code case).
CHANNELS = {
    "android": dict(server_key="fcm-server-key", sender_id="1234567890"),
    "apn": dict(certificate="Y2VydGlmaWNhdGU=", password="apn-password", auto_update_badge=True),
    "fcm": dict(server_key="fcm-server-key", sender_id="1234567890"),
    "ios": dict(certificate="Y2VydGlmaWNhdGU=", password="apn-password", production=False),
    "line": dict(channel_access_token="line-token", channel_secret="line-secret"),
    "mailgun": dict(api_key="key-3f1d", domain="mg.acme.test", incoming_address="support@mg.acme.test"),
    "messagebird": dict(access_key="mb-key", signing_key="mb-signing", originator="Acme"),
    "messenger": dict(page_access_token="page-token", app_id="1234", app_secret="fb-secret"),
    "telegram": dict(token="123456:telegram-token"),
    "twilio": dict(account_sid="AC1f0c2b1e9d8a7b6c5d4e3f21", auth_token="twilio-token",
                   phone_number_sid="PN5f0c2b1e9d8a7b6c5d4e3f21"),
    "twitter": dict(tier="enterprise", consumer_key="ck", consumer_secret="cs", access_token_key="ak",
                    access_token_secret="as"),
    "viber": dict(token="viber-token"),
    "web": dict(brand_color="ff0000", origin_whitelist=["https://acme.test"]),
    "wechat": dict(app_id="wx1234", app_secret="wechat-secret", encoding_aes_key="k" * 43),
}


def test_channels_cover_the_client_enum():
    """Every type of the client's IntegrationType enum has a case (or a reason above not to)."""
    enum = re.search(r"allowed_values = (\[.*?\])\n\s+if integration_type not in",
                     inspect.getsource(smooch.Enums)).group(1)
    assert set(CHANNELS) | {"api", "whatsapp"} == set(ast.literal_eval(enum))


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_every_channel_type_of_the_client_can_be_created(s, channel):
    integrations = s.api_of(smooch.IntegrationApi, "app")
    created = integrations.create_integration(s.app_id, smooch.IntegrationCreate(
        type=channel, display_name=channel, **CHANNELS[channel])).integration
    assert OBJECT_ID.match(created.id) and (created.type, created.display_name) == (channel, channel)
    assert created.status in INTEGRATION_STATUSES
    assert integrations.get_integration(s.app_id, created.id).integration.type == channel


def test_the_strict_client_catches_what_the_client_would_swallow():
    """The conformance check itself: misspelt, mistyped, null-required and null-in-array."""
    from v1_support import conformance_problems
    assert conformance_problems({"app": {"_id": "a", "appToken": "t", "name": "n"}}, "AppResponse") == []
    problems = conformance_problems({"app": {"id": "a", "appToken": None, "name": "n",
                                             "settings": {"echoPostback": "false"}}}, "AppResponse")
    assert problems == ["body.app._id: required by App, missing", "body.app.appToken: required by App, null",
                        "body.app.settings.echoPostback: expected bool, got str 'false'",
                        "body.app.id: App calls this field '_id'"]
    assert conformance_problems({"apps": [None], "hasMore": 1}, "ListAppsResponse") == [
        "body.apps[0]: null inside an array", "body.hasMore: expected bool, got int 1"]
