"""Helpers for the v2 conformance suite (test_v2_conformance.py).

- `client_operations()`: every (API class, method) the installed official client offers, so
  the suite can prove it calls each one;
- `Session`: one test's credentials (a fresh Configuration and ApiClient per call of
  `client`) and the resources the operations need, created through the client itself;
- `refused`: the call raises `ApiException` with the status and a v2 error body.
"""
from __future__ import annotations

import json
from functools import cached_property

import pytest
import sunshine_conversations_client as sc
from sunshine_conversations_client.exceptions import ApiException

import operation_table

# The seeded key owner of each v2 key scope (README, "The default seed").
KEY_OWNER = {"account": "Acme", "app": "Acme Support", "integration": "bot"}
APP = "Acme Support"


def client_operations() -> set[tuple[str, str]]:
    return operation_table.client_operations(sc, ("_with_http_info", "_without_preload_content"))


def refused(call, status: int, code: str | None = None) -> ApiException:
    """`call()` raises ApiException with `status` and a v2 error body
    (`{"errors": [{"code", "title"}]}`), whose code is `code` when given."""
    with pytest.raises(ApiException) as info:
        call()
    error = info.value
    assert error.status == status, f"expected {status}, got {error.status}: {error.body}"
    body = json.loads(error.body)
    assert set(body) == {"errors"} and len(body["errors"]) >= 1, error.body
    for entry in body["errors"]:
        assert isinstance(entry.get("code"), str) and isinstance(entry.get("title"), str), error.body
    if code is not None:
        assert body["errors"][0]["code"] == code, error.body
    return error


def participant(external_id: str, subscribe_sdk_client: bool = False) -> sc.ParticipantSubSchema:
    return sc.ParticipantSubSchema(sc.ParticipantWithUserExternalId(user_external_id=external_id,
                                                                    subscribe_sdk_client=subscribe_sdk_client))


class Session:
    """One test's view of the mock: credentials by scope, and the resources of the app
    Acme Support created on demand through the official client (with the app key)."""

    def __init__(self, api):
        self.api = api
        self.app_id = api.app(APP)["id"]

    # --- credentials ------------------------------------------------------------------------

    def client(self, scope: str = "app", *, jwt: bool = False) -> sc.ApiClient:
        """A fresh ApiClient with the seeded key of `scope` (account, app, integration), by
        Basic auth or by a JWT of that scope signed with it."""
        key = self.api.key(KEY_OWNER[scope])
        if jwt:
            return self.bearer(self.api.token(key["id"], scope))
        return self.basic(key["id"], key["secret"])

    def basic(self, username: str, password: str) -> sc.ApiClient:
        return sc.ApiClient(sc.Configuration(host=self.api.url, username=username, password=password))

    def bearer(self, token: str) -> sc.ApiClient:
        return sc.ApiClient(sc.Configuration(host=self.api.url, access_token=token))

    def user_token(self, external_id: str = "alice") -> sc.ApiClient:
        """A `user`-scope JWT (the SDKs' scope, signed with the app key): never valid on v2."""
        return self.bearer(self.api.token(self.api.key(APP)["id"], "user", externalId=external_id))

    def api_of(self, api_class: type, scope: str = "app", *, jwt: bool = False):
        return api_class(self.client(scope, jwt=jwt))

    # --- resources, created once per test ----------------------------------------------------

    @cached_property
    def alice(self) -> sc.User:
        return sc.UsersApi(self.client()).get_user(self.app_id, "alice").user

    def new_user(self, external_id: str) -> sc.User:
        body = sc.UserCreateBody(external_id=external_id, profile=sc.Profile(given_name="Zoe", surname="Quinn"),
                                 metadata={"tier": "gold"})
        return sc.UsersApi(self.client()).create_user(self.app_id, body).user

    @cached_property
    def conversation(self) -> sc.Conversation:
        """A personal conversation of alice."""
        body = sc.ConversationCreateBody(type="personal", display_name="Order 42",
                                         participants=[participant("alice")])
        return sc.ConversationsApi(self.client()).create_conversation(self.app_id, body).conversation

    def new_group(self) -> sc.Conversation:
        body = sc.ConversationCreateBody(type="sdkGroup", display_name="Team")
        return sc.ConversationsApi(self.client()).create_conversation(self.app_id, body).conversation

    @cached_property
    def message(self) -> sc.Message:
        """A text message of the business in `conversation`."""
        return self.post_text(self.conversation.id, "Your order has shipped")

    def post_text(self, conversation_id: str, text: str) -> sc.Message:
        body = sc.MessagePost(author=sc.Author(type="business"),
                              content=sc.Content(sc.TextMessage(type="text", text=text)))
        return sc.MessagesApi(self.client()).post_message(self.app_id, conversation_id, body).messages[0]

    @cached_property
    def bot(self) -> dict:
        """The seeded custom integration `bot` (its id, for webhooks and keys)."""
        app = self.api.app(APP)
        return next(i for i in app["integrations"] if i.get("displayName") == "bot")

    def new_custom(self, name: str = "crm", target: str = "https://example.com/hooks") -> sc.Custom:
        body = sc.Custom(type="custom", display_name=name,
                         webhooks=[sc.Webhook(target=target, triggers=["conversation:message"],
                                              include_full_user=True)])
        return sc.IntegrationsApi(self.client()).create_integration(self.app_id, body).integration

    @cached_property
    def mailgun(self) -> sc.Mailgun:
        body = sc.Mailgun(type="mailgun", display_name="mail", api_key="key-3f1d", domain="mg.acme.test",
                          incoming_address="support@mg.acme.test")
        return sc.IntegrationsApi(self.client()).create_integration(self.app_id, body).integration

    @cached_property
    def webhook(self) -> sc.Webhook:
        """A webhook of the integration `bot`, created with the app key."""
        body = sc.WebhookCreateBody(target="https://example.com/bot-hook", triggers=["conversation:message"])
        return sc.WebhooksApi(self.client()).create_webhook(self.app_id, self.bot["id"], body).webhook

    @cached_property
    def switchboard(self) -> sc.Switchboard:
        return sc.SwitchboardsApi(self.client()).create_switchboard(self.app_id).switchboard

    def link(self, name: str, integration_id: str, **extra) -> sc.SwitchboardIntegration:
        body = sc.SwitchboardIntegrationCreateBody(name=name, integration_id=integration_id, **extra)
        return (sc.SwitchboardIntegrationsApi(self.client())
                .create_switchboard_integration(self.app_id, self.switchboard.id, body).switchboard_integration)

    @cached_property
    def routed(self) -> dict:
        """An enabled switchboard whose default is `bot`, with `crm` (a second custom
        integration) next: {"bot": SwitchboardIntegration, "crm": ...}."""
        crm = self.link("crm", self.new_custom("crm").id)
        bot = self.link("bot", self.bot["id"], next_switchboard_integration_id=crm.id)
        sc.SwitchboardsApi(self.client()).update_switchboard(
            self.app_id, self.switchboard.id,
            sc.SwitchboardUpdateBody(enabled=True, default_switchboard_integration_id=bot.id))
        return {"bot": bot, "crm": crm}
