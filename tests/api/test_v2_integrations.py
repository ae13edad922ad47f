"""v2 integrations, custom-integration API keys and webhooks: over HTTP, then with the
official v2 client."""
from __future__ import annotations

import json
import re

import pytest
import sunshine_conversations_client as sc
from sunshine_conversations_client.exceptions import BadRequestException

from conftest import basic

HEX24 = re.compile(r"^[0-9a-f]{24}$")
HOOK = {"target": "https://example.com/hook", "triggers": ["conversation:message", "conversation:read"]}


def acme_support(api) -> tuple[str, str]:
    """(the app's path, its app key's Basic header)."""
    return f"/v2/apps/{api.app('Acme Support')['id']}", basic(api.key("Acme Support"))


def errors(response) -> tuple[int, str, str]:
    [error] = response.json()["errors"]
    return response.status_code, error["code"], error["title"]


def create(api, body: dict, *, auth=None) -> dict:
    path, app_auth = acme_support(api)
    response = api.post(f"{path}/integrations", auth=auth or app_auth, json=body)
    assert response.status_code == 201, response.text
    return response.json()["integration"]


def custom(api, name: str = "helper", **hook) -> dict:
    return create(api, {"type": "custom", "displayName": name, "webhooks": [{**HOOK, **hook}]})


# --- integrations -------------------------------------------------------------------------

SEEDED_WEBHOOK = {"id": "e2a8151ec6bd0c3215a0bfcf", "version": "v2", "target": "http://127.0.0.1:9/smooch-webhooks",
                    "triggers": ["conversation:message"], "secret": "742aa7ce2322fba6c9a77c4fb178139e",
                    "includeFullUser": False, "includeFullSource": False}


def test_seeded_integrations_list_and_render(api):
    path, auth = acme_support(api)
    response = api.get(f"{path}/integrations", auth=auth)
    assert response.status_code == 200
    bot, site = response.json()["integrations"]
    assert bot == {"id": "e4d193f3a0b6e39fb5dac231", "type": "custom", "status": "active",
                   "displayName": "bot", "webhooks": [SEEDED_WEBHOOK]}
    assert site == {"id": "b045109606a2a042e04d66a0", "type": "web", "status": "active", "displayName": "site",
                    "brandColor": "65758e", "fixedIntroPane": False, "conversationColor": "0099ff",
                    "actionColor": "0099ff", "displayStyle": "button", "buttonWidth": "58",
                    "buttonHeight": "58", "attachmentsEnabled": True}
    assert response.json()["meta"] == {"hasMore": False}
    assert api.get(f"{path}/integrations/{site['id']}", auth=auth).json() == {"integration": site}


def test_custom_integration_lifecycle(api):
    path, auth = acme_support(api)
    integration = custom(api, includeFullUser=True)
    assert HEX24.match(integration["id"]) and integration["status"] == "active"
    [webhook] = integration["webhooks"]
    assert webhook["target"] == HOOK["target"] and webhook["triggers"] == HOOK["triggers"]
    assert webhook["version"] == "v2" and webhook["includeFullUser"] is True and webhook["includeFullSource"] is False
    assert re.fullmatch(r"[0-9a-f]{32}", webhook["secret"])
    url = f"{path}/integrations/{integration['id']}"
    assert api.get(url, auth=auth).json() == {"integration": integration}

    renamed = api.request("PATCH", url, auth=auth, json={"displayName": "renamed"})
    assert renamed.status_code == 200 and renamed.json()["integration"]["displayName"] == "renamed"
    unset = api.request("PATCH", url, auth=auth, json={"displayName": None}).json()["integration"]
    assert "displayName" not in unset

    deleted = api.request("DELETE", url, auth=auth)
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert errors(api.get(url, auth=auth)) == (404, "integration_not_found", "Integration not found")
    assert errors(api.request("DELETE", url, auth=auth)) == (404, "integration_not_found", "Integration not found")


def test_every_type_renders_its_fields_but_not_its_secrets(api):
    cases = {
        "android": ({"projectId": "p", "clientEmail": "c@x.io", "privateKey": "k", "senderId": "s",
                     "canUserCreateMoreConversations": True},
                    {"senderId": "s", "canUserCreateMoreConversations": True, "attachmentsEnabled": True}),
        "apple": ({"businessId": "b", "apiSecret": "secret", "mspId": "m"}, {"businessId": "b", "mspId": "m"}),
        "instagram": ({"pageAccessToken": "t", "appId": "fb", "appSecret": "s"},
                      {"appId": "fb", "storyRepliesEnabled": True, "storyMentionsEnabled": True}),
        "ios": ({"certificate": "Y2VydA==", "password": "pw", "production": False},
                {"production": False, "attachmentsEnabled": True}),
        "line": ({"channelId": "1286564967", "channelSecret": "cs"}, {"channelId": "1286564967", "channelSecret": "cs"}),
        "mailgun": ({"apiKey": "key-1", "domain": "mg.example.com", "incomingAddress": "in@mg.example.com"},
                    {"domain": "mg.example.com", "incomingAddress": "in@mg.example.com"}),
        "messenger": ({"pageAccessToken": "t", "appId": "fb", "appSecret": "s", "pageId": 123212323432123},
                      {"pageAccessToken": "t", "appId": "fb", "pageId": 123212323432123}),
        "telegram": ({"token": "192033615:AAE"}, {}),
        "twilio": ({"accountSid": "AC1", "authToken": "tok", "phoneNumberSid": "PN1"},
                   {"accountSid": "AC1", "phoneNumberSid": "PN1"}),
        "twitter": ({"tier": "enterprise", "consumerKey": "ck", "consumerSecret": "cs", "accessTokenKey": "ak",
                     "accessTokenSecret": "as"}, {"tier": "enterprise"}),
        "unity": ({}, {"attachmentsEnabled": True}),
        "viber": ({"token": "445da6az1s345z78"}, {}),
        "whatsapp": ({"accountId": "wa"}, {"hsmFallbackLanguage": "en_US", "accountId": "wa"}),
    }
    for kind, (sent, shown) in cases.items():
        integration = create(api, {"type": kind, "displayName": kind, **sent})
        rendered = {k: v for k, v in integration.items() if k not in ("id", "type", "status", "displayName")}
        assert rendered == shown, kind
    messagebird = create(api, {"type": "messagebird", "accessKey": "a", "signingKey": "s", "originator": "1226"})
    assert messagebird["originator"] == "1226" and re.fullmatch(r"[0-9a-f]{32}", messagebird["webhookSecret"])
    assert "accessKey" not in messagebird and "signingKey" not in messagebird


@pytest.mark.parametrize("body, title", [
    ({}, "should have required property 'type'"),
    ({"type": "carrier-pigeon"}, "Invalid integration type"),
    ({"type": 7}, "Invalid integration type"),
    ({"type": "custom"}, "should have required property 'webhooks'"),
    ({"type": "custom", "webhooks": []}, "webhooks should NOT have fewer than 1 items"),
    ({"type": "custom", "webhooks": [HOOK, HOOK]}, "webhooks should NOT have more than 1 items"),
    ({"type": "custom", "webhooks": [{"target": "https://example.com"}]}, "should have required property 'triggers'"),
    ({"type": "apple", "businessId": "b", "mspId": "m"}, "should have required property 'apiSecret'"),
    ({"type": "telegram", "token": ""}, "token should NOT be shorter than 1 characters"),
    ({"type": "telegram", "token": None}, "should have required property 'token'"),
    ({"type": "twilio", "accountSid": "AC", "authToken": "t"}, "One of messagingServiceSid or phoneNumberSid must be provided"),
    ({"type": "twitter", "tier": "premium", "consumerKey": "a", "consumerSecret": "b", "accessTokenKey": "c",
      "accessTokenSecret": "d"}, "tier should be equal to one of the allowed values: enterprise"),
    ({"type": "web", "brandColor": "blue"}, "brandColor must be a 3 or 6-character hexadecimal color"),
    ({"type": "web", "displayStyle": "popup"}, "displayStyle should be equal to one of the allowed values: button, tab"),
    ({"type": "web", "fixedIntroPane": "yes"}, "fixedIntroPane should be boolean"),
    ({"type": "web", "originWhitelist": [1]}, "originWhitelist should be an array of strings"),
    ({"type": "web", "colour": "fff"}, "should NOT have additional property 'colour'"),
    ({"type": "web", "displayName": ""}, "displayName should be between 1 and 100 characters"),
    ({"type": "web", "displayName": "x" * 101}, "displayName should be between 1 and 100 characters"),
    ({"type": "web", "webhooks": [HOOK]}, "should NOT have additional property 'webhooks'"),
    ({"type": "messenger", "appId": "a", "appSecret": "s", "pageAccessToken": "t", "pageId": "123"},
     "pageId should be number"),
])
def test_create_integration_validation(api, body, title):
    path, auth = acme_support(api)
    response = api.post(f"{path}/integrations", auth=auth, json=body)
    assert errors(response) == (400, "bad_request", title)


def test_update_integration_takes_only_the_types_update_fields(api):
    path, auth = acme_support(api)
    web = create(api, {"type": "web", "displayName": "site 2"})
    url = f"{path}/integrations/{web['id']}"
    patched = api.request("PATCH", url, auth=auth, json={"brandColor": "ff0000", "originWhitelist": ["https://a.io"]})
    assert patched.status_code == 200
    integration = patched.json()["integration"]
    assert integration["brandColor"] == "ff0000" and integration["originWhitelist"] == ["https://a.io"]
    cleared = api.request("PATCH", url, auth=auth, json={"originWhitelist": None}).json()["integration"]
    assert "originWhitelist" not in cleared and cleared["brandColor"] == "ff0000"

    apple = create(api, {"type": "apple", "businessId": "b", "apiSecret": "s", "mspId": "m"})
    refused = api.request("PATCH", f"{path}/integrations/{apple['id']}", auth=auth, json={"businessId": "other"})
    assert errors(refused) == (400, "bad_request", "should NOT have additional property 'businessId'")
    retyped = api.request("PATCH", url, auth=auth, json={"type": "ios"})
    assert errors(retyped) == (400, "bad_request", "The type of an integration cannot be changed")
    assert api.request("PATCH", url, auth=auth, json={"type": "web"}).status_code == 200
    bot = f"{path}/integrations/e4d193f3a0b6e39fb5dac231"
    refused = api.request("PATCH", bot, auth=auth, json={"webhooks": [HOOK]})
    assert errors(refused) == (400, "bad_request", "should NOT have additional property 'webhooks'")
    missing = api.request("PATCH", f"{path}/integrations/{'0' * 24}", auth=auth, json={"displayName": "x"})
    assert errors(missing) == (404, "integration_not_found", "Integration not found")


def test_list_integrations_filters_by_type_and_pages(api):
    path, auth = acme_support(api)
    ios = create(api, {"type": "ios"})
    android = create(api, {"type": "android"})
    listed = api.get(f"{path}/integrations", auth=auth, params={"filter[types]": "ios,android"}).json()
    assert [i["id"] for i in listed["integrations"]] == [ios["id"], android["id"]]
    encoded = api.get(f"{path}/integrations", auth=auth, params={"filter": json.dumps({"types": "web"})}).json()
    assert [i["displayName"] for i in encoded["integrations"]] == ["site"]

    first = api.get(f"{path}/integrations", auth=auth, params={"page[size]": 2}).json()
    assert [i["id"] for i in first["integrations"]] == ["e4d193f3a0b6e39fb5dac231", "b045109606a2a042e04d66a0"]
    assert first["meta"] == {"hasMore": True, "afterCursor": "b045109606a2a042e04d66a0"}
    rest = api.get(f"{path}/integrations", auth=auth,
                   params={"page[after]": first["meta"]["afterCursor"]}).json()
    assert [i["id"] for i in rest["integrations"]] == [ios["id"], android["id"]]


def test_integrations_are_per_app_and_need_account_or_app_scope(api):
    path, auth = acme_support(api)
    sales = f"/v2/apps/{api.app('Acme Sales')['id']}"
    acme = basic(api.key("Acme"))
    assert api.get(f"{sales}/integrations", auth=acme).json()["integrations"] == []
    other_app = api.get(f"{sales}/integrations/e4d193f3a0b6e39fb5dac231", auth=acme)
    assert errors(other_app) == (404, "integration_not_found", "Integration not found")
    assert api.get(f"{path}/integrations", auth=acme).status_code == 200
    bot = basic(api.key("bot"))
    assert errors(api.get(f"{path}/integrations", auth=bot)) == (403, "forbidden", "Forbidden")
    assert errors(api.post(f"{path}/integrations", auth=bot, json={"type": "web"})) == (403, "forbidden", "Forbidden")


def test_deleting_an_integration_deletes_its_keys_and_webhooks(api):
    path, auth = acme_support(api)
    integration = custom(api)
    key = api.post(f"{path}/integrations/{integration['id']}/keys", auth=auth,
                   json={"displayName": "k"}).json()["key"]
    assert api.get(f"{path}/users/alice", auth=basic(key)).status_code == 200
    api.request("DELETE", f"{path}/integrations/{integration['id']}", auth=auth)
    assert api.get(f"{path}/users/alice", auth=basic(key)).status_code == 401


def test_seeded_web_integration_can_be_deleted(api):
    path, auth = acme_support(api)
    deleted = api.request("DELETE", f"{path}/integrations/b045109606a2a042e04d66a0", auth=auth)
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert [i["displayName"] for i in api.get(f"{path}/integrations", auth=auth).json()["integrations"]] == ["bot"]


# --- custom integration API keys ----------------------------------------------------------

def test_integration_keys_are_real_credentials_at_once(api):
    path, auth = acme_support(api)
    integration = custom(api)
    keys = f"{path}/integrations/{integration['id']}/keys"
    created = api.post(keys, auth=auth, json={"displayName": "ci"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert re.fullmatch(r"int_[0-9a-f]{24}", key["id"]) and key["displayName"] == "ci" and len(key["secret"]) == 86

    # Basic and JWT (integration scope) both work, for the users of its app only
    assert api.get(f"{path}/users/alice", auth=basic(key)).status_code == 200
    assert api.get(f"{path}/users/alice", auth=api.bearer(key["id"], "integration")).status_code == 200
    sales = f"/v2/apps/{api.app('Acme Sales')['id']}"
    assert errors(api.get(f"{sales}/users/carol", auth=basic(key))) == (403, "forbidden", "Forbidden")
    # it acts as its integration: integrations/me is that integration
    me = api.get(f"{path}/integrations/me/webhooks", auth=basic(key)).json()["webhooks"]
    assert [w["id"] for w in me] == [integration["webhooks"][0]["id"]]

    assert api.get(keys, auth=auth).json() == {"keys": [key]}
    assert api.get(f"{keys}/{key['id']}", auth=auth).json() == {"key": key}
    assert (api.request("DELETE", f"{keys}/{key['id']}", auth=auth).json()) == {}
    assert api.get(f"{path}/users/alice", auth=basic(key)).status_code == 401
    assert errors(api.get(f"{keys}/{key['id']}", auth=auth)) == (404, "not_found", "Key not found")
    assert api.get(keys, auth=auth).json() == {"keys": []}


def test_seeded_bot_keys_are_listed(api):
    path, auth = acme_support(api)
    seeded = api.key("bot")
    listed = api.get(f"{path}/integrations/e4d193f3a0b6e39fb5dac231/keys", auth=basic(api.key("Acme"))).json()
    assert listed == {"keys": [{"id": seeded["id"], "displayName": "bot", "secret": seeded["secret"]}]}


def test_keys_only_for_custom_integrations(api):
    path, auth = acme_support(api)
    site = f"{path}/integrations/b045109606a2a042e04d66a0/keys"
    expected = (400, "bad_request", "API keys are available only for custom integrations")
    assert errors(api.post(site, auth=auth, json={"displayName": "k"})) == expected
    assert errors(api.get(site, auth=auth)) == expected
    assert errors(api.get(f"{path}/integrations/{'0' * 24}/keys", auth=auth))[:2] == (404, "integration_not_found")


def test_integration_key_validation_and_limit(api):
    path, auth = acme_support(api)
    keys = f"{path}/integrations/{custom(api)['id']}/keys"
    assert errors(api.post(keys, auth=auth, json={})) == (400, "bad_request", "should have required property 'displayName'")
    assert errors(api.post(keys, auth=auth, json={"displayName": 3})) == (400, "bad_request", "displayName should be string")
    for n in range(10):
        assert api.post(keys, auth=auth, json={"displayName": f"k{n}"}).status_code == 201
    assert errors(api.post(keys, auth=auth, json={"displayName": "k10"})) == (
        400, "bad_request", "An integration can have a maximum of 10 keys")
    app_key_path = f"{keys}/{api.key('Acme Support')['id']}"
    assert errors(api.get(app_key_path, auth=auth)) == (404, "not_found", "Key not found")


# --- webhooks ------------------------------------------------------------------------------

def test_webhook_lifecycle_with_an_app_key(api):
    path, auth = acme_support(api)
    hooks = f"{path}/integrations/e4d193f3a0b6e39fb5dac231/webhooks"
    created = api.post(hooks, auth=auth, json={"target": "http://127.0.0.1:9/hook", "triggers": ["user:remove"],
                                                "includeFullSource": True})
    assert created.status_code == 201
    webhook = created.json()["webhook"]
    assert list(webhook) == ["id", "version", "target", "triggers", "secret", "includeFullUser", "includeFullSource"]
    assert webhook["version"] == "v2" and webhook["includeFullUser"] is False and webhook["includeFullSource"] is True

    url = f"{hooks}/{webhook['id']}"
    assert api.get(url, auth=auth).json() == {"webhook": webhook}
    assert api.get(hooks, auth=auth).json() == {"webhooks": [SEEDED_WEBHOOK, webhook]}
    patched = api.request("PATCH", url, auth=auth, json={"triggers": ["conversation:message"], "includeFullUser": True})
    assert patched.status_code == 200
    assert patched.json()["webhook"] == {**webhook, "triggers": ["conversation:message"], "includeFullUser": True}
    assert api.request("DELETE", url, auth=auth).json() == {}
    assert errors(api.get(url, auth=auth)) == (404, "not_found", "Resource not found")
    assert errors(api.request("PATCH", url, auth=auth, json={})) == (404, "not_found", "Resource not found")
    # the custom integration shows its webhooks
    assert api.get(f"{path}/integrations/e4d193f3a0b6e39fb5dac231", auth=auth).json()["integration"]["webhooks"] == [
        SEEDED_WEBHOOK]


def test_integration_credentials_see_only_their_own_webhooks(api):
    path, auth = acme_support(api)
    bot = basic(api.key("bot"))
    other = custom(api, "other")
    mine = api.post(f"{path}/integrations/me/webhooks", auth=bot, json=HOOK)
    assert mine.status_code == 201
    by_id = api.get(f"{path}/integrations/e4d193f3a0b6e39fb5dac231/webhooks", auth=bot).json()["webhooks"]
    assert by_id == [SEEDED_WEBHOOK, mine.json()["webhook"]]
    jwt = api.bearer(api.key("bot")["id"], "integration")
    assert api.get(f"{path}/integrations/me/webhooks/{mine.json()['webhook']['id']}", auth=jwt).status_code == 200

    forbidden = (403, "forbidden", "Forbidden")
    theirs = f"{path}/integrations/{other['id']}/webhooks"
    assert errors(api.get(theirs, auth=bot)) == forbidden
    assert errors(api.post(theirs, auth=bot, json=HOOK)) == forbidden
    assert errors(api.get(f"{theirs}/{other['webhooks'][0]['id']}", auth=bot)) == forbidden
    assert errors(api.request("DELETE", f"{theirs}/{other['webhooks'][0]['id']}", auth=bot)) == forbidden
    assert errors(api.get(f"{path}/integrations/{'0' * 24}/webhooks", auth=bot)) == forbidden
    # the webhook of another integration is not found under one's own
    assert errors(api.get(f"{path}/integrations/me/webhooks/{other['webhooks'][0]['id']}", auth=bot)) == (
        404, "not_found", "Resource not found")


def test_webhook_route_errors(api):
    path, auth = acme_support(api)
    assert errors(api.get(f"{path}/integrations/{'0' * 24}/webhooks", auth=auth)) == (
        404, "integration_not_found", "Integration not found")
    assert errors(api.get(f"{path}/integrations/me/webhooks", auth=auth)) == (
        404, "integration_not_found", "Integration not found")
    site = f"{path}/integrations/b045109606a2a042e04d66a0/webhooks"
    assert errors(api.post(site, auth=auth, json=HOOK)) == (400, "bad_request", "Bad request")
    # webhooks accept app and integration scope only: not account
    hooks = f"{path}/integrations/e4d193f3a0b6e39fb5dac231/webhooks"
    assert errors(api.get(hooks, auth=basic(api.key("Acme")))) == (403, "forbidden", "Forbidden")
    # an integration of another app is not found
    sales = f"/v2/apps/{api.app('Acme Sales')['id']}"
    assert errors(api.get(f"{sales}/integrations/e4d193f3a0b6e39fb5dac231/webhooks",
                          auth=basic(api.key("Acme Sales")))) == (404, "integration_not_found", "Integration not found")


@pytest.mark.parametrize("body, title", [
    ({"triggers": ["user:remove"]}, "should have required property 'target'"),
    ({"target": "https://example.com"}, "should have required property 'triggers'"),
    ({"target": "ftp://example.com", "triggers": ["user:remove"]}, 'target should match format "uri" (an http or https URL)'),
    ({"target": 5, "triggers": ["user:remove"]}, "target should be string"),
    ({"target": "https://example.com", "triggers": []}, "triggers should NOT have fewer than 1 items"),
    ({"target": "https://example.com", "triggers": "user:remove"}, "triggers should be array of strings"),
    ({"target": "https://example.com", "triggers": ["*"]}, "Invalid trigger '*'"),
    ({"target": "https://example.com", "triggers": ["Conversation:Message"]}, "Invalid trigger 'Conversation:Message'"),
    ({"target": "https://example.com", "triggers": ["user:remove"], "includeFullUser": "true"},
     "includeFullUser should be boolean"),
    ({"target": "https://example.com", "triggers": ["user:remove"], "events": []},
     "should NOT have additional property 'events'"),
])
def test_create_webhook_validation(api, body, title):
    path, auth = acme_support(api)
    response = api.post(f"{path}/integrations/e4d193f3a0b6e39fb5dac231/webhooks", auth=auth, json=body)
    assert errors(response) == (400, "bad_request", title)


def test_every_documented_trigger_is_accepted(api):
    from mocksmooch.domain.integrations import WEBHOOK_TRIGGERS
    path, auth = acme_support(api)
    response = api.post(f"{path}/integrations/me/webhooks", auth=basic(api.key("bot")),
                        json={"target": "https://example.com", "triggers": list(WEBHOOK_TRIGGERS)})
    assert response.status_code == 201 and response.json()["webhook"]["triggers"] == list(WEBHOOK_TRIGGERS)
    assert len(WEBHOOK_TRIGGERS) == 26


def test_an_app_is_limited_to_ten_webhooks(api):
    path, auth = acme_support(api)
    hooks = f"{path}/integrations/e4d193f3a0b6e39fb5dac231/webhooks"
    for _ in range(8):  # the seeded bot has the first
        assert api.post(hooks, auth=auth, json=HOOK).status_code == 201
    custom(api)  # the tenth, created with its custom integration
    limit = (400, "bad_request", "An app is limited to 10 webhooks")
    assert errors(api.post(hooks, auth=auth, json=HOOK)) == limit
    path_ = f"{path}/integrations"
    assert errors(api.post(path_, auth=auth, json={"type": "custom", "webhooks": [HOOK]})) == limit
    assert len(api.get(path_, auth=auth).json()["integrations"]) == 3  # nothing half-created


# --- the official v2 client -----------------------------------------------------------------

def official(api, owner: str) -> sc.ApiClient:
    key = api.key(owner)
    return sc.ApiClient(sc.Configuration(host=api.url, username=key["id"], password=key["secret"]))


def test_official_client_integrations_keys_and_webhooks(api):
    app_id = api.app("Acme Support")["id"]
    client = official(api, "Acme Support")
    integrations = sc.IntegrationsApi(client)
    made = integrations.create_integration(app_id, sc.Custom(
        display_name="client-made", webhooks=[sc.Webhook(target="https://example.com/x", triggers=["conversation:message"])]))
    assert isinstance(made.integration, sc.Custom) and made.integration.display_name == "client-made"
    integration_id = made.integration.id
    web = integrations.create_integration(app_id, sc.Web(display_name="client-web", brand_color="123456")).integration
    assert isinstance(web, sc.Web) and web.brand_color == "123456" and web.attachments_enabled is True

    # (not type custom: the client wants exactly one webhook on each, and the seeded bot has none)
    listed = integrations.list_integrations(app_id, filter=sc.IntegrationListFilter(types="web"))
    assert [i.display_name for i in listed.integrations] == ["site", "client-web"]
    got = integrations.get_integration(app_id, integration_id).integration
    assert isinstance(got, sc.Custom) and got.webhooks[0].target == "https://example.com/x"
    updated = integrations.update_integration(app_id, web.id, sc.IntegrationUpdate(sc.WebUpdate(display_name="renamed")))
    assert updated.integration.display_name == "renamed"

    keys = sc.CustomIntegrationApiKeysApi(client)
    key = keys.create_custom_integration_key(app_id, integration_id, sc.IntegrationApiKey(display_name="k")).key
    assert key.id.startswith("int_") and keys.get_custom_integration_key(app_id, integration_id, key.id).key.secret
    assert [k.id for k in keys.list_custom_integration_keys(app_id, integration_id).keys] == [key.id]
    with pytest.raises(BadRequestException) as refused:
        keys.list_custom_integration_keys(app_id, web.id)
    assert refused.value.data.errors[0].title == "API keys are available only for custom integrations"

    # the new key, through the client, as its integration
    as_integration = sc.ApiClient(sc.Configuration(host=api.url, username=key.id, password=key.secret))
    webhooks = sc.WebhooksApi(as_integration)
    hook = webhooks.create_webhook(app_id, "me", sc.WebhookCreateBody(
        target="https://example.com/y", triggers=["user:remove"], include_full_user=True)).webhook
    assert hook.version == "v2" and hook.include_full_user is True and len(hook.secret) == 32
    assert [w.id for w in webhooks.list_webhooks(app_id, "me").webhooks] == [
        got.webhooks[0].id, hook.id]
    changed = webhooks.update_webhook(app_id, integration_id, hook.id, sc.WebhookBody(triggers=["user:update"])).webhook
    assert changed.triggers == ["user:update"] and webhooks.get_webhook(app_id, "me", hook.id).webhook.triggers == ["user:update"]
    assert webhooks.delete_webhook(app_id, "me", hook.id) == {}
    keys.delete_custom_integration_key(app_id, integration_id, key.id)
    assert integrations.delete_integration(app_id, integration_id) == {}
