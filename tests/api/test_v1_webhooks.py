"""v1.1 webhooks (and the /v1 alias), over HTTP in the app-scoped and app-less forms, for
app, account and integration credentials; their place in the v2 integrations (one store);
one call per operation through the official v1 client (`smooch.WebhookApi`); and the
seeded bot's v2 webhook, read by the official v2 client."""
from __future__ import annotations

import json
import re
import time

import pytest
import requests
import smooch
import sunshine_conversations_client as sc
from smooch.rest import ApiException

from conftest import basic
from v1_helpers import v1, acme, support, bot, app_path, error  # noqa: F401 (v1: a fixture)

HEX24 = re.compile(r"^[0-9a-f]{24}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
BOT = "e4d193f3a0b6e39fb5dac231"
SITE = "b045109606a2a042e04d66a0"
SEEDED_HOOK = {"id": "e2a8151ec6bd0c3215a0bfcf", "version": "v2", "target": "http://127.0.0.1:9/smooch-webhooks",
               "triggers": ["conversation:message"], "secret": "742aa7ce2322fba6c9a77c4fb178139e",
               "includeFullUser": False, "includeFullSource": False}
FORBIDDEN = {"error": {"code": "forbidden", "description": "Forbidden"}}
NOT_FOUND = {"error": {"code": "not_found", "description": "Webhook not found"}}
TARGET = "https://example.com/smooch"


def v2_path(api) -> str:
    return f"/v2/apps/{api.app('Acme Support')['id']}"


def create(api, body: dict, *, auth: str, path: str | None = None) -> dict:
    response = api.post(path or f"{app_path(api)}/webhooks", auth=auth, json=body)
    assert response.status_code == 201, response.text
    return response.json()["webhook"]


def v2_integrations(api) -> list[dict]:
    return api.get(f"{v2_path(api)}/integrations", auth=support(api)).json()["integrations"]


# --- create, read, update, delete -------------------------------------------------------------

def test_create_with_defaults(api, v1):
    webhook = create(api, {"target": TARGET}, auth=support(api), path=f"{app_path(api, v1)}/webhooks")
    assert HEX24.match(webhook["_id"]) and HEX32.match(webhook["secret"])
    assert webhook == {"_id": webhook["_id"], "target": TARGET, "triggers": ["message:appUser"],
                       "secret": webhook["secret"], "version": v1[1:], "includeClient": False,
                       "includeFullAppUser": False}


def test_webhook_lifecycle(api, v1):
    path = f"{app_path(api, v1)}/webhooks"
    assert api.get(path, auth=support(api)).json() == {"webhooks": []}
    made = create(api, {"target": TARGET, "triggers": ["message:appUser", "postback", "message:appUser"],
                        "includeClient": True}, auth=support(api), path=path)
    assert made["triggers"] == ["message:appUser", "postback"]
    assert (made["includeClient"], made["includeFullAppUser"]) == (True, False)
    assert api.get(path, auth=acme(api)).json() == {"webhooks": [made]}
    assert api.get(f"{path}/{made['_id']}", auth=support(api)).json() == {"webhook": made}

    updated = api.request("PUT", f"{path}/{made['_id']}", auth=support(api),
                          json={"target": "http://example.org/new", "triggers": ["*"], "includeFullAppUser": True})
    assert updated.status_code == 200
    expected = {**made, "target": "http://example.org/new", "triggers": ["*"], "includeFullAppUser": True}
    assert updated.json() == {"webhook": expected}
    # a client may send back what it read: the read-only fields are ignored
    echoed = api.request("PUT", f"{path}/{made['_id']}", auth=support(api), json={**expected, "secret": "mine"})
    assert echoed.json() == {"webhook": expected}
    assert api.get(f"{path}/{made['_id']}", auth=support(api)).json() == {"webhook": expected}

    removed = api.request("DELETE", f"{path}/{made['_id']}", auth=support(api))
    assert removed.status_code == 200 and removed.json() == {}
    assert api.get(f"{path}/{made['_id']}", auth=support(api)).json() == NOT_FOUND
    assert api.get(path, auth=support(api)).json() == {"webhooks": []}
    assert api.request("DELETE", f"{path}/{made['_id']}", auth=support(api)).status_code == 404


def test_every_v1_trigger_is_accepted(api):
    triggers = ["appUser:delete", "client:add", "client:remove", "conversation:read", "conversation:referral",
                "conversation:start", "link:failure", "link:match", "link:success", "merge:appUser",
                "message:appMaker", "message:appUser", "message:delivery:channel", "message:delivery:failure",
                "message:delivery:user", "notification:delivery:channel", "notification:delivery:failure",
                "notification:delivery:user", "payment:success", "postback", "typing:appUser", "message",
                "delivery:success", "delivery:failure", "*"]
    assert create(api, {"target": TARGET, "triggers": triggers}, auth=support(api))["triggers"] == triggers


@pytest.mark.parametrize("body, description", [
    ({}, "should have required property 'target'"),
    ({"target": "example.com/hook"}, 'target should match format "uri" (an http or https URL)'),
    ({"target": 5}, "target should be string"),
    ({"target": TARGET, "triggers": []}, "triggers should NOT have fewer than 1 items"),
    ({"target": TARGET, "triggers": "message:appUser"}, "triggers should be array of strings"),
    ({"target": TARGET, "triggers": ["conversation:message"]}, "Invalid trigger 'conversation:message'"),
    ({"target": TARGET, "triggers": ["Message:AppUser"]}, "Invalid trigger 'Message:AppUser'"),
    ({"target": TARGET, "includeClient": "yes"}, "includeClient should be boolean"),
    ({"target": TARGET, "includeFullUser": True}, "should NOT have additional property 'includeFullUser'"),
])
def test_bad_bodies_are_refused(api, body, description):
    error(api.post(f"{app_path(api)}/webhooks", auth=support(api), json=body), 400, "bad_request", description)
    made = create(api, {"target": TARGET}, auth=support(api))
    if body:  # an update is refused for the same fault (the bad target, or the rest)
        update = body if len(body) == 1 else {k: v for k, v in body.items() if k != "target"}
        response = api.request("PUT", f"{app_path(api)}/webhooks/{made['_id']}", auth=support(api), json=update)
        assert response.status_code == 400, response.text
    assert api.get(f"{app_path(api)}/webhooks/{made['_id']}", auth=support(api)).json() == {"webhook": made}


def test_an_app_has_at_most_ten_webhooks(api):
    for n in range(9):  # the seeded bot has the first
        create(api, {"target": f"{TARGET}/{n}"}, auth=support(api))
    error(api.post(f"{app_path(api)}/webhooks", auth=support(api), json={"target": TARGET}),
          400, "bad_request", "An app is limited to 10 webhooks")
    assert len(api.get(f"{app_path(api)}/webhooks", auth=support(api)).json()["webhooks"]) == 9


# --- where they live: v2 integrations ---------------------------------------------------------

def test_app_level_webhooks_live_in_a_webhooks_integration(api):
    first = create(api, {"target": TARGET, "includeFullAppUser": True}, auth=support(api))
    second = create(api, {"target": f"{TARGET}/2", "triggers": ["postback"]}, auth=acme(api))
    bot_, site, holder = v2_integrations(api)
    assert (bot_["id"], site["id"]) == (BOT, SITE)
    assert HEX24.match(holder["id"])
    assert {k: v for k, v in holder.items() if k != "webhooks"} == {
        "id": holder["id"], "type": "custom", "status": "active", "displayName": "Webhooks"}
    assert holder["webhooks"] == [
        {"id": first["_id"], "version": "v1.1", "target": TARGET, "triggers": ["message:appUser"],
         "secret": first["secret"], "includeFullUser": True, "includeFullSource": False},
        {"id": second["_id"], "version": "v1.1", "target": f"{TARGET}/2", "triggers": ["postback"],
         "secret": second["secret"], "includeFullUser": False, "includeFullSource": False}]
    # the v1 view of the integration
    assert api.get(f"{app_path(api)}/integrations/{holder['id']}", auth=support(api)).json() == {
        "integration": {"_id": holder["id"], "type": "custom", "status": "active", "displayName": "Webhooks"}}

    api.request("DELETE", f"{app_path(api)}/webhooks/{first['_id']}", auth=support(api))
    assert [i["id"] for i in v2_integrations(api)] == [BOT, SITE, holder["id"]]
    api.request("DELETE", f"{app_path(api)}/webhooks/{second['_id']}", auth=support(api))
    assert [i["id"] for i in v2_integrations(api)] == [BOT, SITE]  # gone with its last webhook

    again = create(api, {"target": TARGET}, auth=support(api))
    assert [w["id"] for w in v2_integrations(api)[2]["webhooks"]] == [again["_id"]]


def test_v2_webhooks_are_not_v1_webhooks(api):
    assert api.get(f"{app_path(api)}/webhooks", auth=support(api)).json() == {"webhooks": []}
    error(api.get(f"{app_path(api)}/webhooks/{SEEDED_HOOK['id']}", auth=support(api)),
          404, "not_found", "Webhook not found")
    error(api.request("PUT", f"{app_path(api)}/webhooks/{SEEDED_HOOK['id']}", auth=support(api),
                      json={"triggers": ["postback"]}), 404, "not_found", "Webhook not found")
    error(api.request("DELETE", f"{app_path(api)}/webhooks/{SEEDED_HOOK['id']}", auth=bot(api)),
          404, "not_found", "Webhook not found")
    [bot_] = [i for i in v2_integrations(api) if i["id"] == BOT]
    assert bot_["webhooks"] == [SEEDED_HOOK]


def test_integration_credentials_see_only_their_own_webhooks(api, v1):
    app_level = create(api, {"target": TARGET}, auth=support(api))
    for auth in (bot(api), api.bearer(api.key("bot")["id"], "integration")):
        path = f"{app_path(api, v1)}/webhooks"
        assert api.get(path, auth=auth).json() == {"webhooks": []}
        assert api.get(f"{v1}/webhooks", auth=auth).json() == {"webhooks": []}
        error(api.get(f"{path}/{app_level['_id']}", auth=auth), 404, "not_found", "Webhook not found")
        error(api.request("DELETE", f"{path}/{app_level['_id']}", auth=auth), 404, "not_found", "Webhook not found")

    own = create(api, {"target": f"{TARGET}/bot", "triggers": ["message:appMaker"]}, auth=bot(api),
                 path=f"{v1}/webhooks")
    assert api.get(f"{v1}/webhooks", auth=bot(api)).json() == {"webhooks": [own]}
    updated = api.request("PUT", f"{v1}/webhooks/{own['_id']}", auth=bot(api), json={"includeClient": True})
    assert updated.json()["webhook"]["includeClient"] is True
    # it belongs to the bot's own integration, next to the seeded v2 webhook
    [bot_] = [i for i in v2_integrations(api) if i["id"] == BOT]
    assert [w["id"] for w in bot_["webhooks"]] == [SEEDED_HOOK["id"], own["_id"]]
    assert bot_["webhooks"][1]["version"] == v1[1:] and bot_["webhooks"][1]["includeFullSource"] is True
    # the app sees every v1 webhook of the app
    listed = api.get(f"{app_path(api)}/webhooks", auth=support(api)).json()["webhooks"]
    assert sorted(w["_id"] for w in listed) == sorted([app_level["_id"], own["_id"]])
    assert api.request("DELETE", f"{v1}/webhooks/{own['_id']}", auth=bot(api)).json() == {}
    [bot_] = [i for i in v2_integrations(api) if i["id"] == BOT]
    assert bot_["webhooks"] == [SEEDED_HOOK]  # the bot's integration stays


def test_who_may_call_the_webhooks_api(api, v1):
    path = f"{app_path(api, v1)}/webhooks"
    assert api.get(path, auth=acme(api)).status_code == 200
    assert api.get(path, auth=basic(api.key("provisioner"))).status_code == 200
    response = api.get(f"{v1}/webhooks", auth=acme(api))  # the app-less form needs an app-bound credential
    assert response.status_code == 403 and response.json() == FORBIDDEN
    assert api.get(f"{v1}/webhooks", auth=api.bearer(api.key("Acme Support")["id"], "app")).status_code == 200
    other = api.get(f"{app_path(api, v1, 'Acme Sales')}/webhooks", auth=bot(api))
    error(other, 400, "bad_request", "AppId in path does not match supplied credentials")
    error(api.get(path, auth=basic(api.key("Globex"))), 404, "not_found", "App not found")
    user_token = api.bearer(api.key("Acme Support")["id"], "appUser", userId="alice")
    response = api.get(path, auth=user_token)
    assert response.status_code == 403 and response.json() == FORBIDDEN
    assert api.get(path).status_code == 401


def test_webhooks_of_one_app_are_not_another_apps(api):
    made = create(api, {"target": TARGET}, auth=support(api))
    sales = basic(api.key("Acme Sales"))
    assert api.get(f"{app_path(api, app='Acme Sales')}/webhooks", auth=sales).json() == {"webhooks": []}
    error(api.get(f"{app_path(api, app='Acme Sales')}/webhooks/{made['_id']}", auth=sales),
          404, "not_found", "Webhook not found")


# --- delivery: v2 webhooks only ---------------------------------------------------------------

def test_only_v2_webhooks_are_called(api):
    """The seeded bot's webhook (nothing listens on port 9) logs a connection error; a v1
    webhook with the same kind of trigger gets nothing."""
    requests.delete(f"{api.url}/_mocksmooch/webhooks/deliveries", timeout=10)
    create(api, {"target": TARGET, "triggers": ["*", "message:appUser"]}, auth=support(api))
    posted = api.post(f"{app_path(api)}/appusers/alice/messages", auth=support(api),
                      json={"role": "appUser", "type": "text", "text": "hello"})
    assert posted.status_code == 201, posted.text
    deadline = time.monotonic() + 10
    while True:
        state = requests.get(f"{api.url}/_mocksmooch/webhooks/deliveries", timeout=10).json()
        if state["deliveries"] and state["pending"] == 0:
            break
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    time.sleep(0.2)
    [delivery] = requests.get(f"{api.url}/_mocksmooch/webhooks/deliveries", timeout=10).json()["deliveries"]
    assert (delivery["webhookId"], delivery["integrationId"], delivery["trigger"]) == (
        SEEDED_HOOK["id"], BOT, "conversation:message")
    assert delivery["target"] == SEEDED_HOOK["target"]
    assert delivery["status"] is None and delivery["error"]


# --- the official clients ---------------------------------------------------------------------

@pytest.fixture
def webhooks(api):
    """smooch.WebhookApi bound to the mock, with the app key of Acme Support in the
    process-wide Configuration (restored afterwards)."""
    configuration = smooch.Configuration()
    saved = (configuration.username, configuration.password, dict(configuration.api_key),
             dict(configuration.api_key_prefix))
    configuration.api_key.pop("Authorization", None)
    configuration.api_key_prefix.pop("Authorization", None)
    key = api.key("Acme Support")
    configuration.username, configuration.password = key["id"], key["secret"]
    yield smooch.WebhookApi(smooch.ApiClient(host=api.url))
    configuration.username, configuration.password = saved[0], saved[1]
    configuration.api_key.clear()
    configuration.api_key.update(saved[2])
    configuration.api_key_prefix.clear()
    configuration.api_key_prefix.update(saved[3])


def test_official_v1_client_webhooks(api, webhooks):
    app_id = api.app("Acme Support")["id"]
    made = webhooks.create_webhook(app_id, smooch.WebhookCreate(
        target=TARGET, triggers=["message:appUser", "conversation:start"], include_full_app_user=True)).webhook
    assert HEX24.match(made.id) and HEX32.match(made.secret)
    assert (made.target, made.triggers, made.version) == (TARGET, ["message:appUser", "conversation:start"], "v1.1")
    assert (made.include_full_app_user, made.include_client) == (True, False)
    assert [w.id for w in webhooks.list_webhooks(app_id).webhooks] == [made.id]
    assert webhooks.get_webhook(app_id, made.id).webhook.secret == made.secret
    updated = webhooks.update_webhook(app_id, made.id, smooch.WebhookUpdate(triggers=["postback"])).webhook
    assert (updated.id, updated.triggers, updated.target) == (made.id, ["postback"], TARGET)
    assert webhooks.delete_webhook(app_id, made.id) is None
    with pytest.raises(ApiException) as info:
        webhooks.get_webhook(app_id, made.id)
    assert info.value.status == 404 and json.loads(info.value.body) == NOT_FOUND


def test_seeded_bot_renders_with_its_webhook_in_v2(api):
    response = api.get(f"{v2_path(api)}/integrations/{BOT}", auth=support(api))
    assert response.json() == {"integration": {"id": BOT, "type": "custom", "status": "active",
                                               "displayName": "bot", "webhooks": [SEEDED_HOOK]}}
    own = api.get(f"{v2_path(api)}/integrations/me/webhooks", auth=bot(api))
    assert own.json() == {"webhooks": [SEEDED_HOOK]}


def test_official_v2_client_lists_the_seeded_integrations(api):
    key = api.key("Acme Support")
    configuration = sc.Configuration(host=api.url, username=key["id"], password=key["secret"])
    listed = sc.IntegrationsApi(sc.ApiClient(configuration)).list_integrations(api.app("Acme Support")["id"])
    bot_, site = listed.integrations
    assert isinstance(bot_, sc.Custom) and isinstance(site, sc.Web)
    [webhook] = bot_.webhooks
    assert (bot_.id, bot_.display_name) == (BOT, "bot")
    assert (webhook.id, webhook.target, webhook.triggers, webhook.secret, webhook.version) == (
        SEEDED_HOOK["id"], SEEDED_HOOK["target"], ["conversation:message"], SEEDED_HOOK["secret"], "v2")
    assert site.id == SITE
