"""v1.1 (and its /v1 alias), beyond apps and users: the app menu, templates, notifications,
WhatsApp deployments, the app's SDK ids, and an app user's channels, link requests, auth
codes and merges; each in the app-scoped form and, where it has one, the app-less form."""
from __future__ import annotations

import re
import socket
import time

import pytest
import requests
import smooch
from smooch.rest import ApiException

from conftest import basic
from v1_helpers import v1, acme, put, delete, error  # noqa: F401 (v1: a fixture)

FORBIDDEN = {"error": {"code": "forbidden", "description": "Forbidden"}}
APP_MISMATCH = {"error": {"code": "bad_request", "description": "AppId in path does not match supplied credentials"}}


def support_key(api):
    return basic(api.key("Acme Support"))


def support_id(api):
    return api.app("Acme Support")["id"]


def user_token(api, user_id: str) -> str:
    return api.bearer(api.key("Acme Support")["id"], "appUser", userId=user_id)


def channel_integration(api, kind: str, **fields) -> dict:
    """A channel integration of Acme Support, made through the v2 integrations API (the seed
    format only knows SDK and custom integrations); skips while that API is not served."""
    response = api.post(f"/v2/apps/{support_id(api)}/integrations", auth=acme(api), json={"type": kind, **fields})
    if response.status_code in (404, 405):
        pytest.skip("POST /v2/apps/{appId}/integrations is not served yet")
    assert response.status_code == 201, response.text
    return response.json()["integration"]


# --- menu ------------------------------------------------------------------------------------------

MENU = {"items": [
    {"type": "link", "text": "Smooch", "uri": "http://smooch.io"},
    {"type": "postback", "text": "Hello", "payload": "HELLO"},
    {"type": "submenu", "text": "More", "items": [{"type": "link", "text": "Docs", "uri": "https://docs.smooch.io"}]},
], "settings": {"inputEnabled": False}}


def test_menu_lifecycle(api, v1):
    path = f"{v1}/apps/{support_id(api)}/menu"
    assert api.get(path, auth=acme(api)).json() == {"menu": {"items": []}}

    configured = put(api, path, auth=acme(api), json=MENU)
    assert configured.status_code == 200
    menu = configured.json()["menu"]
    assert [(item["type"], item["text"]) for item in menu["items"]] == [
        ("link", "Smooch"), ("postback", "Hello"), ("submenu", "More")]
    assert menu["items"][0]["uri"] == "http://smooch.io" and menu["items"][1]["payload"] == "HELLO"
    assert menu["items"][2]["items"][0]["uri"] == "https://docs.smooch.io"
    assert all(re.fullmatch(r"[0-9a-f]{24}", item["_id"]) for item in menu["items"])
    assert menu["settings"] == {"inputEnabled": False}

    assert api.get(path, auth=acme(api)).json()["menu"] == menu
    assert api.get(f"{v1}/menu", auth=support_key(api)).json()["menu"] == menu  # app-less, app key
    other_app = api.get(f"{v1}/apps/{api.app('Acme Sales')['id']}/menu", auth=acme(api))
    assert other_app.json() == {"menu": {"items": []}}  # one menu per app

    replaced = put(api, f"{v1}/menu", auth=support_key(api), json={"items": MENU["items"][:1]}).json()["menu"]
    assert [item["text"] for item in replaced["items"]] == ["Smooch"] and "settings" not in replaced

    removed = delete(api, path, auth=acme(api))
    assert (removed.status_code, removed.json()) == (200, {"menu": {"items": []}})
    assert api.get(f"{v1}/menu", auth=support_key(api)).json() == {"menu": {"items": []}}


@pytest.mark.parametrize("body, description", [
    ({}, "should have required property 'items'"),
    ({"items": "none"}, "items should be array"),
    ({"items": [{"type": "link", "text": str(n), "uri": "http://x.io"} for n in range(4)]},
     "items should NOT have more than 3 items"),
    ({"items": [{"text": "x", "uri": "http://x.io"}]}, "items[0] should have required property 'type'"),
    ({"items": [{"type": "call", "text": "x"}]},
     "items[0].type should be equal to one of the allowed values: link, postback, submenu"),
    ({"items": [{"type": "link", "text": "x"}]}, "items[0] should have required property 'uri'"),
    ({"items": [{"type": "postback", "text": "x"}]}, "items[0] should have required property 'payload'"),
    ({"items": [{"type": "link", "uri": "http://x.io"}]}, "items[0] should have required property 'text'"),
    ({"items": [{"type": "submenu", "text": "x", "items": []}]}, "items[0].items should NOT have fewer than 1 items"),
    ({"items": [{"type": "submenu", "text": "x", "items": [{"type": "submenu", "text": "y", "items": []}]}]},
     "items[0].items[0].type should be equal to one of the allowed values: link, postback"),
    ({"items": [{"type": "submenu", "text": "x",
                 "items": [{"type": "postback", "text": str(n), "payload": "P"} for n in range(6)]}]},
     "items[0].items should NOT have more than 5 items"),
    ({"items": [], "settings": {"inputEnabled": "no"}}, "settings.inputEnabled should be boolean"),
])
def test_menu_validation(api, body, description):
    error(put(api, "/v1.1/menu", auth=support_key(api), json=body), 400, "bad_request", description)
    assert api.get("/v1.1/menu", auth=support_key(api)).json() == {"menu": {"items": []}}


def test_menu_scopes(api, v1):
    path = f"{v1}/apps/{support_id(api)}/menu"
    assert api.get(path, auth=basic(api.key("bot"))).json() == FORBIDDEN  # "/v1/menu/*: no"
    bot = put(api, f"{v1}/menu", auth=basic(api.key("bot")), json=MENU)
    assert (bot.status_code, bot.json()) == (403, FORBIDDEN)
    assert api.get(f"{v1}/menu", auth=user_token(api, "alice")).status_code == 403
    account_appless = api.get(f"{v1}/menu", auth=acme(api))
    assert (account_appless.status_code, account_appless.json()) == (403, FORBIDDEN)
    mismatch = put(api, f"{v1}/apps/{api.app('Acme Sales')['id']}/menu", auth=support_key(api), json=MENU)
    assert (mismatch.status_code, mismatch.json()) == (400, APP_MISMATCH)
    error(api.get(path, auth=basic(api.key("Globex"))), 404, "not_found", "App not found")
    assert api.get(path, auth=basic(api.key("provisioner"))).status_code == 200


# --- templates -----------------------------------------------------------------------------------------

def test_template_lifecycle(api, v1):
    base = f"{v1}/apps/{support_id(api)}/templates"
    created = api.post(base, auth=acme(api), json={"name": "greeting", "message": {"type": "text", "text": "Hello!"}})
    assert created.status_code == 201
    template = created.json()["template"]
    assert re.fullmatch(r"[0-9a-f]{24}", template["_id"])
    assert (template["name"], template["message"]) == ("greeting", {"type": "text", "text": "Hello!"})
    assert api.get(f"{base}/{template['_id']}", auth=acme(api)).json() == {"template": template}
    assert api.get(f"{v1}/templates/{template['_id']}", auth=support_key(api)).json() == {"template": template}

    second = api.post(f"{v1}/templates", auth=support_key(api),
                      json={"name": "promo", "message": {"type": "image", "mediaUrl": "https://x.io/a.png"}})
    assert second.status_code == 201
    listed = api.get(base, auth=acme(api)).json()
    assert [t["name"] for t in listed["templates"]] == ["greeting", "promo"]
    assert (listed["hasMore"], listed["offset"]) == (False, 0)
    page = api.get(base, auth=acme(api), params={"limit": 1, "offset": 1}).json()
    assert [t["name"] for t in page["templates"]] == ["promo"] and page["offset"] == 1
    assert api.get(base, auth=acme(api), params={"limit": 1}).json()["hasMore"] is True
    assert api.get(f"{v1}/apps/{api.app('Acme Sales')['id']}/templates", auth=acme(api)).json()["templates"] == []

    updated = put(api, f"{base}/{template['_id']}", auth=acme(api), json={"name": "hello"})
    assert updated.json()["template"] == {**template, "name": "hello"}
    updated = put(api, f"{base}/{template['_id']}", auth=acme(api),
                  json={"message": {"type": "text", "text": "Hi", "metadata": {"lang": "en"}}})
    assert updated.json()["template"]["message"] == {"type": "text", "text": "Hi", "metadata": {"lang": "en"}}
    assert updated.json()["template"]["name"] == "hello"

    taken = put(api, f"{base}/{template['_id']}", auth=acme(api), json={"name": "promo"})
    error(taken, 409, "conflict", "Template already exists")
    error(api.post(base, auth=acme(api), json={"name": "promo", "message": {"type": "text", "text": "x"}}),
          409, "conflict", "Template already exists")

    removed = delete(api, f"{base}/{template['_id']}", auth=acme(api))
    assert (removed.status_code, removed.json()) == (200, {})
    error(api.get(f"{base}/{template['_id']}", auth=acme(api)), 404, "not_found", "Template not found")
    error(delete(api, f"{base}/{template['_id']}", auth=acme(api)), 404, "not_found", "Template not found")
    # the name is free again
    assert api.post(base, auth=acme(api), json={"name": "hello", "message": {"type": "text", "text": "x"}}
                    ).status_code == 201


def test_a_template_belongs_to_its_app(api):
    sales = api.app("Acme Sales")["id"]
    template = api.post(f"/v1.1/apps/{sales}/templates", auth=acme(api),
                        json={"name": "t", "message": {"type": "text", "text": "x"}}).json()["template"]
    error(api.get(f"/v1.1/apps/{support_id(api)}/templates/{template['_id']}", auth=acme(api)),
          404, "not_found", "Template not found")
    error(api.get(f"/v1.1/templates/{template['_id']}", auth=support_key(api)), 404, "not_found", "Template not found")


@pytest.mark.parametrize("body, description", [
    ({"message": {"type": "text", "text": "x"}}, "should have required property 'name'"),
    ({"name": "", "message": {"type": "text", "text": "x"}}, "name should NOT be shorter than 1 characters"),
    ({"name": "t"}, "should have required property 'message'"),
    ({"name": "t", "message": None}, "message should not be null"),
    ({"name": "t", "message": "hello"}, "message should be object"),
    ({"name": "t", "message": {"text": "x"}}, "message should have required property 'type'"),
    ({"name": "t", "message": {"type": "video", "text": "x"}},
     "message.type should be equal to one of the allowed values: text, image, file, carousel, list, location, form"),
    ({"name": "t", "message": {"type": "text"}}, "message should have required property 'text'"),
    ({"name": "t", "message": {"type": "image", "mediaUrl": ""}}, "message.mediaUrl should be a non-empty string"),
])
def test_template_validation(api, body, description):
    error(api.post("/v1.1/templates", auth=support_key(api), json=body), 400, "bad_request", description)


def test_template_scopes(api, v1):
    path = f"{v1}/apps/{support_id(api)}/templates"
    body = {"name": "t", "message": {"type": "text", "text": "x"}}
    bot = api.post(path, auth=basic(api.key("bot")), json=body)
    assert (bot.status_code, bot.json()) == (403, FORBIDDEN)
    assert api.get(f"{v1}/templates", auth=basic(api.key("bot"))).status_code == 403
    assert api.get(f"{v1}/templates", auth=user_token(api, "alice")).status_code == 403
    assert api.get(f"{v1}/templates", auth=acme(api)).json() == FORBIDDEN
    mismatch = api.get(f"{v1}/apps/{api.app('Globex Help')['id']}/templates", auth=support_key(api))
    assert (mismatch.status_code, mismatch.json()) == (400, APP_MISMATCH)


# --- channels: entity ids, linking, unlinking, business systems -------------------------------------------

def test_link_and_unlink_a_channel(api, v1):
    path = f"{v1}/apps/{support_id(api)}/appusers/alice/channels"
    assert api.get(path, auth=acme(api)).json() == {"channels": []}

    linked = api.post(path, auth=acme(api), json={"type": "twilio", "phoneNumber": "+1 514-555-5555",
                                                  "confirmation": {"type": "immediate"}})
    assert linked.status_code == 200
    user = linked.json()["appUser"]
    assert user["userId"] == "alice" and user["pendingClients"] == []
    [client] = user["clients"]
    assert re.fullmatch(r"[0-9a-f]{24}", client["id"])
    assert (client["platform"], client["status"], client["active"]) == ("twilio", "active", True)
    assert (client["externalId"], client["displayName"]) == ("+15145555555", "+15145555555")
    assert "linkedAt" in client and "integrationId" not in client  # the app has no twilio integration
    assert api.get(f"{v1}/appusers/alice", auth=support_key(api)).json()["appUser"]["clients"] == [client]
    assert api.get(path, auth=acme(api)).json() == {"channels": [{"type": "twilio", "phoneNumber": "+15145555555"}]}

    again = api.post(path, auth=acme(api), json={"type": "twilio", "phoneNumber": "+15145550000",
                                                 "confirmation": {"type": "immediate"}})
    error(again, 409, "conflict", "App user is already linked to twilio")

    removed = delete(api, f"{path}/twilio", auth=acme(api))
    assert (removed.status_code, removed.json()) == (200, {})
    assert api.get(f"{v1}/appusers/alice", auth=support_key(api)).json()["appUser"]["clients"] == []
    assert api.get(path, auth=acme(api)).json() == {"channels": []}
    error(delete(api, f"{path}/twilio", auth=acme(api)), 404, "not_found", "Client not found")


def test_a_link_waiting_for_the_user_stays_pending(api, v1):
    path = f"{v1}/appusers/bob/channels"
    message = {"type": "text", "text": "Reply YES to continue here"}
    pending = api.post(path, auth=support_key(api), json={
        "type": "messenger", "phoneNumber": "+15145555555", "givenName": "Bob",
        "confirmation": {"type": "userActivity", "message": message}})
    assert pending.status_code == 200
    user = pending.json()["appUser"]
    assert [c["platform"] for c in user["clients"]] == ["web"]  # bob's seeded web SDK device
    [client] = user["pendingClients"]
    assert (client["platform"], client["status"], client["active"]) == ("messenger", "pending", False)
    assert api.get(path, auth=support_key(api)).json() == {"channels": []}  # not linked yet

    # a second request replaces the pending one
    replaced = api.post(path, auth=support_key(api), json={
        "type": "messenger", "phoneNumber": "+15145556666", "confirmation": {"type": "immediate", "message": message}})
    [linked] = [c for c in replaced.json()["appUser"]["clients"] if c["platform"] == "messenger"]
    assert replaced.json()["appUser"]["pendingClients"] == [] and linked["externalId"] == "+15145556666"
    assert api.get(path, auth=support_key(api)).json() == {
        "channels": [{"type": "messenger", "userId": "+15145556666"}]}

    prompted = api.post(path, auth=support_key(api), json={"type": "twilio", "phoneNumber": "+15145557777",
                                                           "confirmation": {"type": "prompt"}})
    assert [c["platform"] for c in prompted.json()["appUser"]["pendingClients"]] == ["twilio"]
    assert delete(api, f"{path}/twilio", auth=support_key(api)).status_code == 200  # pending links unlink too
    mailgun = api.post(path, auth=support_key(api), json={"type": "mailgun", "address": "bob@example.com",
                                                          "subject": "Hi", "confirmation": {"type": "immediate"}})
    assert {c["platform"]: c["externalId"] for c in mailgun.json()["appUser"]["clients"] if c["platform"] != "web"} == {
        "messenger": "+15145556666", "mailgun": "bob@example.com"}
    assert {"type": "mailgun", "address": "bob@example.com"} in api.get(path, auth=support_key(api)).json()["channels"]


@pytest.mark.parametrize("body, status, code, description", [
    ({"phoneNumber": "+15145555555", "confirmation": {"type": "immediate"}},
     400, "bad_request", "should have required property 'type'"),
    ({"type": "telegram", "confirmation": {"type": "immediate"}}, 400, "bad_request",
     "type should be equal to one of the allowed values: twilio, messagebird, whatsapp, messenger, mailgun"),
    ({"type": "twilio", "confirmation": {"type": "immediate"}},
     400, "bad_request", "should have required property 'phoneNumber'"),
    ({"type": "twilio", "phoneNumber": "514 555 5555", "confirmation": {"type": "immediate"}},
     400, "bad_request", "phoneNumber must contain the + prefix and the country code"),
    ({"type": "mailgun", "address": "bob", "confirmation": {"type": "immediate"}},
     400, "bad_request", "address must be an email address"),
    ({"type": "twilio", "phoneNumber": "+15145555555"},
     400, "bad_request", "should have required property 'confirmation'"),
    ({"type": "twilio", "phoneNumber": "+15145555555", "confirmation": {}},
     400, "bad_request", "confirmation should have required property 'type'"),
    ({"type": "twilio", "phoneNumber": "+15145555555", "confirmation": {"type": "later"}}, 400, "bad_request",
     "confirmation.type should be equal to one of the allowed values: immediate, userActivity, prompt"),
    ({"type": "mailgun", "address": "bob@example.com", "confirmation": {"type": "prompt"}},
     400, "bad_request", "confirmation type prompt is not available for mailgun"),
    ({"type": "twilio", "phoneNumber": "+15145555555", "confirmation": {"type": "userActivity"}},
     400, "bad_request", "confirmation should have required property 'message'"),
    ({"type": "messenger", "phoneNumber": "+15145555555", "confirmation": {"type": "immediate"}},
     400, "bad_request", "confirmation should have required property 'message'"),
    ({"type": "twilio", "phoneNumber": "+15145555555",
      "confirmation": {"type": "immediate", "message": {"type": "text"}}},
     400, "bad_request", "confirmation.message should have required property 'text'"),
    ({"type": "twilio", "phoneNumber": "+15145555555", "confirmation": {"type": "immediate"}, "primary": "yes"},
     400, "bad_request", "primary should be boolean"),
    ({"type": "twilio", "phoneNumber": "+15145555555", "confirmation": {"type": "immediate"},
      "integrationId": "5d8cff3cd55b040010928b5b"}, 404, "not_found", "Integration not found"),
    ({"type": "twilio", "phoneNumber": "+15145555555", "confirmation": {"type": "immediate"},
      "integrationId": "b045109606a2a042e04d66a0"},
     400, "bad_request", "integrationId must be the id of a twilio integration"),
])
def test_link_validation(api, body, status, code, description):
    error(api.post("/v1.1/appusers/alice/channels", auth=support_key(api), json=body), status, code, description)
    assert api.get("/v1.1/appusers/alice", auth=support_key(api)).json()["appUser"]["pendingClients"] == []


def test_link_through_a_named_integration(api):
    twilio = channel_integration(api, "twilio", accountSid="AC" + "0" * 32, authToken="t" * 32,
                                 phoneNumberSid="PN" + "0" * 32)
    linked = api.post("/v1.1/appusers/alice/channels", auth=support_key(api), json={
        "type": "twilio", "integrationId": twilio["id"], "phoneNumber": "+15145555555",
        "confirmation": {"type": "immediate"}})
    assert linked.json()["appUser"]["clients"][0]["integrationId"] == twilio["id"]
    assert api.get("/v1.1/appusers/alice/channels", auth=support_key(api)).json() == {
        "channels": [{"type": "twilio", "integrationId": twilio["id"], "phoneNumber": "+15145555555"}]}
    assert delete(api, f"/v1.1/appusers/alice/channels/{twilio['id']}", auth=support_key(api)).status_code == 200


def test_channel_routes_check_the_user(api, v1):
    alice = user_token(api, "alice")
    assert api.get(f"{v1}/appusers/alice/channels", auth=alice).json() == {"channels": []}
    own = api.post(f"{v1}/appusers/alice/channels", auth=alice, json={
        "type": "twilio", "phoneNumber": "+15145555555", "confirmation": {"type": "prompt"}})
    assert own.status_code == 200
    for method, suffix in (("GET", "channels"), ("POST", "channels"), ("DELETE", "channels/twilio"),
                           ("GET", "businesssystems"), ("GET", "authcode"), ("GET", "linkrequest?integrationIds=x")):
        other = api.request(method, f"{v1}/appusers/bob/{suffix}", auth=alice, json={})
        assert (other.status_code, other.json()) == (403, FORBIDDEN), (method, suffix)
    bot = api.get(f"{v1}/apps/{support_id(api)}/appusers/alice/channels", auth=basic(api.key("bot")))
    assert bot.status_code == 200  # integrations may call appusers routes
    appless = api.get(f"{v1}/appusers/alice/channels", auth=acme(api))
    assert (appless.status_code, appless.json()) == (403, FORBIDDEN)
    mismatch = api.get(f"{v1}/apps/{api.app('Acme Sales')['id']}/appusers/carol/channels", auth=support_key(api))
    assert (mismatch.status_code, mismatch.json()) == (400, APP_MISMATCH)
    error(api.get(f"{v1}/appusers/nobody/channels", auth=support_key(api)), 404, "not_found", "App user not found")
    error(api.post(f"{v1}/appusers/nobody/channels", auth=support_key(api), json={}),
          404, "not_found", "App user not found")


def test_sdk_clients_cannot_be_unlinked(api):
    error(delete(api, "/v1.1/appusers/alice/channels/web", auth=support_key(api)),
          400, "bad_request", "Cannot unlink a client of type 'web'")


def test_business_systems(api, v1):
    response = api.get(f"{v1}/apps/{support_id(api)}/appusers/alice/businesssystems", auth=acme(api))
    assert (response.status_code, response.json()) == (200, {"businessSystems": []})
    assert api.get(f"{v1}/appusers/bob/businesssystems", auth=user_token(api, "bob")).json() == {"businessSystems": []}
    error(api.get(f"{v1}/appusers/nobody/businesssystems", auth=support_key(api)),
          404, "not_found", "App user not found")


# --- link requests and auth codes -------------------------------------------------------------------------

def test_link_request_errors(api, v1):
    path = f"{v1}/apps/{support_id(api)}/appusers/alice/linkrequest"
    error(api.get(path, auth=acme(api)), 400, "bad_request", "should have required property 'integrationIds'")
    error(api.get(path, auth=acme(api), params={"integrationIds": ","}),
          400, "bad_request", "should have required property 'integrationIds'")
    error(api.get(path, auth=acme(api), params={"integrationIds": "5d8cff3cd55b040010928b5b"}),
          404, "not_found", "Integration not found")
    site = "b045109606a2a042e04d66a0"  # the seeded web integration
    error(api.get(path, auth=acme(api), params={"integrationIds": site}),
          400, "bad_request", "Link requests are not supported for integrations of type 'web'")
    globex_integrations = api.get(f"/v1.1/apps/{api.app('Acme Sales')['id']}/sdks", auth=acme(api)).json()
    error(api.get(path, auth=acme(api), params={"integrationIds": globex_integrations["webIntegrationId"]}),
          404, "not_found", "Integration not found")  # another app's integration
    error(api.get(f"{v1}/appusers/nobody/linkrequest", auth=support_key(api), params={"integrationIds": site}),
          404, "not_found", "App user not found")


def test_link_requests(api, v1):
    telegram = channel_integration(api, "telegram", token="123456:ABCdef")
    response = api.get(f"{v1}/appusers/alice/linkrequest", auth=support_key(api),
                       params={"integrationIds": telegram["id"]})
    assert response.status_code == 200
    [link] = response.json()["linkRequests"]
    assert (link["integrationId"], link["type"]) == (telegram["id"], "telegram")
    assert link["code"].startswith("lr_")
    assert link["url"].startswith("https://telegram.me/") and link["url"].endswith(f"?start={link['code']}")


def test_auth_codes(api, v1):
    path = f"{v1}/apps/{support_id(api)}/appusers/alice/authcode"
    first = api.get(path, auth=acme(api))
    assert first.status_code == 200 and set(first.json()) == {"authCode"}
    code = first.json()["authCode"]
    assert re.fullmatch(r"ac_[A-Za-z0-9_-]{24}", code)
    assert api.get(path, auth=acme(api)).json()["authCode"] != code  # a new code each time
    assert api.get(f"{v1}/appusers/alice/authcode", auth=user_token(api, "alice")).status_code == 200
    assert api.get(f"{v1}/appusers/alice/authcode", auth=basic(api.key("bot"))).status_code == 200
    error(api.get(f"{v1}/appusers/nobody/authcode", auth=support_key(api)), 404, "not_found", "App user not found")


# --- merge -----------------------------------------------------------------------------------------

def test_merge_users(api, v1):
    app_id = support_id(api)
    survivor = api.post(f"/v2/apps/{app_id}/users", auth=acme(api),
                        json={"profile": {"givenName": "Anon"}, "metadata": {"plan": "free", "seen": True}}
                        ).json()["user"]  # anonymous: no externalId
    frank = api.post(f"{v1}/appusers", auth=support_key(api), json={
        "userId": "frank", "givenName": "Frank", "email": "frank@example.com",
        "properties": {"plan": "pro", "vip": True}}).json()["appUser"]
    api.post(f"{v1}/appusers/frank/channels", auth=support_key(api), json={
        "type": "twilio", "phoneNumber": "+15145555555", "confirmation": {"type": "immediate"}})

    merged = api.post(f"{v1}/apps/{app_id}/appusers/merge", auth=acme(api),
                      json={"surviving": {"_id": survivor["id"]}, "discarded": {"_id": frank["_id"]}})
    assert (merged.status_code, merged.json()) == (200, {})

    error(api.get(f"{v1}/appusers/{frank['_id']}", auth=support_key(api)), 404, "not_found", "App user not found")
    user = api.get(f"{v1}/appusers/{survivor['id']}", auth=support_key(api)).json()["appUser"]
    assert user["_id"] == survivor["id"]
    assert user["userId"] == "frank"  # the survivor had none, so it takes the discarded one's
    assert (user["givenName"], user["email"]) == ("Anon", "frank@example.com")  # survivor's values win
    assert user["properties"] == {"plan": "free", "seen": True, "vip": True}
    assert [(c["platform"], c["externalId"]) for c in user["clients"]] == [("twilio", "+15145555555")]
    assert api.get(f"{v1}/appusers/frank", auth=support_key(api)).json()["appUser"]["_id"] == survivor["id"]


def test_merge_keeps_the_survivors_user_id(api):
    alice, bob = api.user("Acme Support", "alice"), api.user("Acme Support", "bob")
    merged = api.post("/v1.1/appusers/merge", auth=support_key(api),  # app-less, app key
                      json={"surviving": {"_id": alice["id"]}, "discarded": {"_id": bob["id"]}})
    assert merged.status_code == 200
    assert api.get("/v1.1/appusers/alice", auth=support_key(api)).json()["appUser"]["_id"] == alice["id"]
    error(api.get("/v1.1/appusers/bob", auth=support_key(api)), 404, "not_found", "App user not found")


@pytest.mark.parametrize("body, status, code, description", [
    ({"discarded": {"_id": "x"}}, 400, "bad_request", "should have required property 'surviving'"),
    ({"surviving": "alice", "discarded": {"_id": "x"}}, 400, "bad_request", "surviving should be object"),
    ({"surviving": {"userId": "alice"}, "discarded": {"_id": "x"}},
     400, "bad_request", "surviving should have required property '_id'"),
    ({"surviving": {"_id": 7}, "discarded": {"_id": "x"}},
     400, "bad_request", "surviving._id should be a non-empty string"),
    ({"surviving": {"_id": "5d8cff3cd55b040010928b5b"}, "discarded": {"_id": "x"}},
     404, "not_found", "App user not found"),
])
def test_merge_validation(api, body, status, code, description):
    error(api.post("/v1.1/appusers/merge", auth=support_key(api), json=body), status, code, description)


def test_merge_refuses_one_user_twice_and_users_of_other_apps(api):
    alice, carol = api.user("Acme Support", "alice"), api.user("Acme Sales", "carol")
    error(api.post("/v1.1/appusers/merge", auth=support_key(api),
                   json={"surviving": {"_id": alice["id"]}, "discarded": {"_id": alice["id"]}}),
          400, "bad_request", "surviving and discarded must be two different users")
    error(api.post("/v1.1/appusers/merge", auth=support_key(api),
                   json={"surviving": {"_id": alice["id"]}, "discarded": {"_id": carol["id"]}}),
          404, "not_found", "App user not found")
    assert api.get("/v1.1/appusers/alice", auth=support_key(api)).status_code == 200


def test_merge_scopes(api, v1):
    alice, bob = api.user("Acme Support", "alice"), api.user("Acme Support", "bob")
    body = {"surviving": {"_id": alice["id"]}, "discarded": {"_id": bob["id"]}}
    for auth in (basic(api.key("bot")), user_token(api, "alice")):
        refused = api.post(f"{v1}/appusers/merge", auth=auth, json=body)
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    assert api.post(f"{v1}/appusers/merge", auth=acme(api), json=body).json() == FORBIDDEN
    mismatch = api.post(f"{v1}/apps/{api.app('Acme Sales')['id']}/appusers/merge", auth=support_key(api), json=body)
    assert (mismatch.status_code, mismatch.json()) == (400, APP_MISMATCH)
    assert api.get(f"{v1}/appusers/bob", auth=support_key(api)).status_code == 200  # nothing merged
    # GET /appusers/merge is a user named "merge", not the merge operation
    error(api.get(f"{v1}/appusers/merge", auth=support_key(api)), 404, "not_found", "App user not found")


def test_links_unlinks_and_merges_are_webhook_events(api):
    with socket.socket() as sock:  # a target nobody listens on: the deliveries log keeps each body anyway
        sock.bind(("127.0.0.1", 0))
        target = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    bot = api.seed["accounts"][0]["apps"][0]["integrations"][0]["id"]
    hook = api.post(f"/v2/apps/{support_id(api)}/integrations/{bot}/webhooks", auth=support_key(api), json={
        "target": target, "triggers": ["client:add", "client:update", "client:remove", "user:merge"],
        "includeFullUser": True})
    if hook.status_code in (404, 405):
        pytest.skip("v2 webhooks are not served yet")
    alice, bob = api.user("Acme Support", "alice"), api.user("Acme Support", "bob")
    api.post("/v1.1/appusers/alice/channels", auth=support_key(api), json={
        "type": "twilio", "phoneNumber": "+15145555555", "confirmation": {"type": "immediate"}})
    delete(api, "/v1.1/appusers/alice/channels/twilio", auth=support_key(api))
    api.post("/v1.1/appusers/merge", auth=support_key(api),
             json={"surviving": {"_id": alice["id"]}, "discarded": {"_id": bob["id"]}})

    deadline = time.monotonic() + 10
    while True:
        state = requests.get(f"{api.url}/_mocksmooch/webhooks/deliveries", timeout=10).json()
        if len(state["deliveries"]) >= 4 and state["pending"] == 0:
            break
        assert time.monotonic() < deadline, state
        time.sleep(0.02)
    events = [delivery["body"]["events"][0] for delivery in state["deliveries"]]
    assert [event["type"] for event in events] == ["client:add", "client:update", "client:remove", "user:merge"]
    added, confirmed, removed, merged = (event["payload"] for event in events)
    assert (added["reason"], added["client"]["status"], added["client"]["type"]) == (
        "channelLinking", "pending", "twilio")
    assert added["user"]["id"] == alice["id"] and added["user"]["externalId"] == "alice"
    assert (confirmed["reason"], confirmed["client"]["status"]) == ("confirmed", "active")
    assert confirmed["client"]["id"] == added["client"]["id"] == removed["client"]["id"]
    assert removed["reason"] == "api"
    assert (merged["reason"], merged["mergedUsers"]["surviving"]["id"], merged["mergedUsers"]["discarded"]["id"]) == (
        "api", alice["id"], bob["id"])


# --- notifications -------------------------------------------------------------------------------------

NOTIFICATION = {"author": {"role": "appMaker", "name": "Acme"},
                "message": {"type": "text", "text": "Your order shipped"}}


@pytest.mark.parametrize("body, status, code, description", [
    (NOTIFICATION, 400, "bad_request", "should have required property 'destination'"),
    ({**NOTIFICATION, "destination": {"destinationId": "+15145555555"}},
     400, "bad_request", "destination should have required property 'integrationId'"),
    ({**NOTIFICATION, "destination": {"integrationId": "b045109606a2a042e04d66a0"}},
     400, "bad_request", "destination should have required property 'destinationId'"),
    ({"message": NOTIFICATION["message"], "destination": {"integrationId": "i", "destinationId": "d"}},
     400, "bad_request", "should have required property 'author'"),
    ({**NOTIFICATION, "author": {"role": "appUser"}, "destination": {"integrationId": "i", "destinationId": "d"}},
     400, "bad_request", "author.role should be equal to one of the allowed values: appMaker"),
    ({"author": NOTIFICATION["author"], "destination": {"integrationId": "i", "destinationId": "d"}},
     400, "bad_request", "should have required property 'message'"),
    ({**NOTIFICATION, "messageSchema": "sms", "destination": {"integrationId": "i", "destinationId": "d"}},
     400, "bad_request", "messageSchema should be equal to one of the allowed values: whatsapp"),
    ({**NOTIFICATION, "destination": {"integrationId": "5d8cff3cd55b040010928b5b", "destinationId": "+15145555555"}},
     404, "not_found", "Integration not found"),
    ({**NOTIFICATION, "destination": {"integrationId": "b045109606a2a042e04d66a0", "destinationId": "+15145555555"}},
     400, "bad_request", "Notifications are not supported for integrations of type 'web'"),
])
def test_notification_validation(api, v1, body, status, code, description):
    error(api.post(f"{v1}/apps/{support_id(api)}/notifications", auth=support_key(api), json=body),
          status, code, description)


def test_notifications(api, v1):
    twilio = channel_integration(api, "twilio", accountSid="AC" + "0" * 32, authToken="t" * 32,
                                 phoneNumberSid="PN" + "0" * 32)
    body = {**NOTIFICATION, "destination": {"integrationId": twilio["id"], "destinationId": "+1 514 555 5555"}}
    sent = api.post(f"{v1}/apps/{support_id(api)}/notifications", auth=support_key(api), json=body)
    assert sent.status_code == 201
    uuid4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch(uuid4, sent.json()["notification"]["_id"])
    again = api.post(f"{v1}/notifications", auth=basic(api.key("bot")), json=body)  # app-less, integration key
    assert again.status_code == 201 and again.json()["notification"]["_id"] != sent.json()["notification"]["_id"]
    users = api.get(f"/v2/apps/{support_id(api)}/users", auth=acme(api), params={"page[size]": 100}).json()["users"]
    assert len(users) == 8  # the seven seeded users and the one recipient, created once


def test_notification_scopes(api, v1):
    path = f"{v1}/apps/{support_id(api)}/notifications"
    assert api.post(path, auth=user_token(api, "alice"), json={}).json() == FORBIDDEN
    assert api.post(f"{v1}/notifications", auth=acme(api), json={}).json() == FORBIDDEN
    mismatch = api.post(f"{v1}/apps/{api.app('Acme Sales')['id']}/notifications", auth=support_key(api), json={})
    assert (mismatch.status_code, mismatch.json()) == (400, APP_MISMATCH)
    for auth in (acme(api), basic(api.key("bot"))):  # allowed: they reach validation
        error(api.post(path, auth=auth, json={}), 400, "bad_request", "should have required property 'destination'")


# --- SDK ids -----------------------------------------------------------------------------------------

def test_sdk_ids(api, v1):
    path = f"{v1}/apps/{support_id(api)}/sdks"
    response = api.get(path, auth=acme(api))
    assert response.status_code == 200
    ids = response.json()
    assert set(ids) == {"androidIntegrationId", "iosIntegrationId", "webIntegrationId"}
    assert ids["webIntegrationId"] == "b045109606a2a042e04d66a0"  # the seeded web integration "site"
    assert all(re.fullmatch(r"[0-9a-f]{24}", value) for value in ids.values())
    assert len(set(ids.values())) == 3
    assert api.get(path, auth=basic(api.key("provisioner"))).json() == ids  # created once, then the same
    other = api.get(f"{v1}/apps/{api.app('Acme Sales')['id']}/sdks", auth=acme(api)).json()
    assert set(other.values()).isdisjoint(ids.values())


def test_sdk_ids_need_account_scope(api, v1):
    path = f"{v1}/apps/{support_id(api)}/sdks"
    for auth in (support_key(api), basic(api.key("bot"))):
        refused = api.get(path, auth=auth)
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    error(api.get(path, auth=basic(api.key("Globex"))), 404, "not_found", "App not found")
    error(api.get(f"{v1}/apps/{api.app('Acme Sales')['id']}/sdks", auth=basic(api.key("provisioner"))),
          404, "not_found", "App not found")  # not granted to the service account


# --- WhatsApp deployments --------------------------------------------------------------------------------

def test_deployment_lifecycle(api, v1):
    base = f"{v1}/whatsapp/deployments"
    created = api.post(base, auth=acme(api), json={"hosting": "smooch", "callbackUrl": "https://example.com/cb"})
    assert created.status_code == 201
    deployment = created.json()["deployment"]
    assert re.fullmatch(r"[0-9a-f]{24}", deployment["_id"])
    assert (deployment["status"], deployment["hosting"], deployment["callbackUrl"]) == (
        "unregistered", "smooch", "https://example.com/cb")
    assert len(deployment["callbackSecret"]) == 24
    assert not {"baseUrl", "username", "password", "phoneNumber"} & set(deployment)
    assert api.get(f"{base}/{deployment['_id']}", auth=acme(api)).json() == {"deployment": deployment}

    activated = api.post(f"{base}/{deployment['_id']}/activate", auth=acme(api), json={
        "phoneNumber": "+1 514 555 5555", "verifiedNameCertificate": "CmEKHQi", "method": "sms"})
    assert activated.status_code == 200
    assert activated.json()["deployment"]["status"] == "pending"
    assert "phoneNumber" not in activated.json()["deployment"]  # only once registered

    error(api.post(f"{base}/{deployment['_id']}/code/confirm", auth=acme(api), json={"code": "12ab"}),
          400, "bad_request", "code must be the 6 digits WhatsApp sent")
    confirmed = api.post(f"{base}/{deployment['_id']}/code/confirm", auth=acme(api), json={"code": "123456"})
    assert confirmed.status_code == 200
    registered = confirmed.json()["deployment"]
    assert (registered["status"], registered["phoneNumber"]) == ("registered", "+15145555555")
    error(api.post(f"{base}/{deployment['_id']}/code/confirm", auth=acme(api), json={"code": "123456"}),
          400, "bad_request", "Deployment is registered; no code was requested")
    error(api.post(f"{base}/{deployment['_id']}/activate", auth=acme(api), json={
        "phoneNumber": "+15145555555", "verifiedNameCertificate": "c", "method": "voice"}),
        400, "bad_request", "Deployment is registered; only an unregistered deployment can be activated")

    self_hosted = api.post(base, auth=acme(api), json={
        "hosting": "self", "baseUrl": "https://wa.example.com", "username": "admin", "password": "s3cret"})
    assert self_hosted.status_code == 201
    other = self_hosted.json()["deployment"]
    assert (other["baseUrl"], other["username"]) == ("https://wa.example.com", "admin") and "password" not in other
    listed = api.get(base, auth=acme(api)).json()
    assert listed == {"deployments": [registered, other]}

    removed = delete(api, f"{base}/{deployment['_id']}", auth=acme(api))
    assert (removed.status_code, removed.json()) == (200, {})
    error(api.get(f"{base}/{deployment['_id']}", auth=acme(api)), 404, "not_found", "Deployment not found")
    assert api.get(base, auth=acme(api)).json() == {"deployments": [other]}


@pytest.mark.parametrize("body, description", [
    ({}, "should have required property 'hosting'"),
    ({"hosting": "cloud"}, "hosting should be equal to one of the allowed values: smooch, self"),
    ({"hosting": "self", "username": "u", "password": "p"}, "should have required property 'baseUrl'"),
    ({"hosting": "self", "baseUrl": "wa.example.com", "username": "u", "password": "p"},
     'baseUrl should match format "uri"'),
    ({"hosting": "smooch", "username": "u"}, "username is only accepted for self hosted deployments"),
    ({"hosting": "smooch", "callbackUrl": 5}, "callbackUrl should be string"),
])
def test_deployment_validation(api, body, description):
    error(api.post("/v1.1/whatsapp/deployments", auth=acme(api), json=body), 400, "bad_request", description)
    assert api.get("/v1.1/whatsapp/deployments", auth=acme(api)).json() == {"deployments": []}


@pytest.mark.parametrize("body, description", [
    ({"verifiedNameCertificate": "c", "method": "sms"}, "should have required property 'phoneNumber'"),
    ({"phoneNumber": "5145555555", "verifiedNameCertificate": "c", "method": "sms"},
     "phoneNumber must contain the + prefix and the country code"),
    ({"phoneNumber": "+15145555555", "method": "sms"}, "should have required property 'verifiedNameCertificate'"),
    ({"phoneNumber": "+15145555555", "verifiedNameCertificate": "c", "method": "fax"},
     "method should be equal to one of the allowed values: sms, voice"),
])
def test_activation_validation(api, body, description):
    deployment = api.post("/v1.1/whatsapp/deployments", auth=acme(api), json={"hosting": "smooch"}).json()["deployment"]
    error(api.post(f"/v1.1/whatsapp/deployments/{deployment['_id']}/activate", auth=acme(api), json=body),
          400, "bad_request", description)
    error(api.post(f"/v1.1/whatsapp/deployments/{deployment['_id']}/code/confirm", auth=acme(api),
                   json={"code": "123456"}),
          400, "bad_request", "Deployment is unregistered; no code was requested")


def test_deployments_belong_to_the_account(api, v1):
    base = f"{v1}/whatsapp/deployments"
    deployment = api.post(base, auth=acme(api), json={"hosting": "smooch"}).json()["deployment"]
    # a service account of the same account manages them too
    assert api.get(base, auth=basic(api.key("provisioner"))).json() == {"deployments": [deployment]}
    globex = basic(api.key("Globex"))
    assert api.get(base, auth=globex).json() == {"deployments": []}
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/activate"), ("POST", "/code/confirm")):
        error(api.request(method, f"{base}/{deployment['_id']}{suffix}", auth=globex, json={}),
              404, "not_found", "Deployment not found")
    for auth in (support_key(api), basic(api.key("bot")), user_token(api, "alice")):
        refused = api.post(base, auth=auth, json={"hosting": "smooch"})
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
        assert api.get(f"{base}/{deployment['_id']}", auth=auth).status_code == 403
    assert api.get(base).status_code == 401


# --- the official v1 client ------------------------------------------------------------------------------

@pytest.fixture
def client(api):
    """`smooch` API objects bound to the mock, authenticated with the account key (the
    singleton configuration is restored afterwards)."""
    configuration = smooch.Configuration()
    saved = (configuration.username, configuration.password, dict(configuration.api_key),
             dict(configuration.api_key_prefix))
    configuration.api_key.pop("Authorization", None)
    configuration.api_key_prefix.pop("Authorization", None)
    configuration.username, configuration.password = api.key("Acme")["id"], api.key("Acme")["secret"]
    yield smooch.ApiClient(host=api.url)
    configuration.username, configuration.password = saved[0], saved[1]
    configuration.api_key.clear()
    configuration.api_key.update(saved[2])
    configuration.api_key_prefix.clear()
    configuration.api_key_prefix.update(saved[3])


def test_official_client_menu_templates_and_sdks(api, client):
    app_id = support_id(api)
    menus = smooch.MenuApi(client)
    assert menus.get_menu(app_id).menu.items == []
    items = [smooch.MenuItem(type="postback", text="Hi", payload="HI")]
    menu = menus.update_menu(app_id, smooch.Menu(items=items)).menu
    assert [(item.type, item.text, item.payload) for item in menu.items] == [("postback", "Hi", "HI")]
    assert menus.delete_menu(app_id).menu.items == []

    templates = smooch.TemplateApi(client)
    created = templates.create_template(app_id, smooch.TemplateCreate(name="t", message={"type": "text", "text": "x"}))
    assert created.template.name == "t" and created.template.message.text == "x"
    listed = templates.list_templates(app_id, limit=10)
    assert [t.id for t in listed.templates] == [created.template.id] and listed.has_more is False
    updated = templates.update_template(app_id, created.template.id, smooch.TemplateUpdate(name="u"))
    assert templates.get_template(app_id, created.template.id).template.name == updated.template.name == "u"
    templates.delete_template(app_id, created.template.id)
    with pytest.raises(ApiException) as info:
        templates.get_template(app_id, created.template.id)
    assert info.value.status == 404

    sdks = smooch.AppApi(client).get_sdk_ids(app_id)
    assert sdks.web_integration_id == "b045109606a2a042e04d66a0"
    assert sdks.ios_integration_id and sdks.android_integration_id


def test_official_client_app_user_channels(api, client):
    app_id = support_id(api)
    users = smooch.AppUserApi(client)
    linked = users.link_app_user(app_id, "alice", smooch.AppUserLink(
        type="twilio", phone_number="+15145555555", confirmation=smooch.Confirmation(type="immediate")))
    [linked_client] = linked.app_user.clients
    assert (linked_client.platform, linked_client.active, linked_client.external_id) == ("twilio", True, "+15145555555")
    [channel] = users.get_app_user_entity_ids(app_id, "alice").channels
    assert (channel.type, channel.phone_number) == ("twilio", "+15145555555")
    assert users.get_app_user_business_system_ids(app_id, "alice").business_systems == []
    assert users.get_app_user_auth_code(app_id, "alice").auth_code.startswith("ac_")
    users.unlink_app_user(app_id, "alice", "twilio")
    assert users.get_app_user(app_id, "alice").app_user.clients == []
    bob = api.user("Acme Support", "bob")
    alice = api.user("Acme Support", "alice")
    users.merge_users(app_id, smooch.AppUserMerge(surviving=smooch.MergedUser(id=alice["id"]),
                                                  discarded=smooch.MergedUser(id=bob["id"])))
    with pytest.raises(ApiException) as info:
        users.get_app_user(app_id, bob["id"])
    assert info.value.status == 404


def test_official_client_deployments(client):
    deployments = smooch.DeploymentApi(client)
    created = deployments.create_deployment(smooch.DeploymentCreate(hosting="smooch")).deployment
    assert (created.status, created.hosting) == ("unregistered", "smooch")
    deployments.activate_phone_number(created.id, smooch.DeploymentActivatePhoneNumber(
        phone_number="+15145555555", verified_name_certificate="c", method="sms"))
    registered = deployments.confirm_code(created.id, smooch.DeploymentConfirmCode(code="000000")).deployment
    assert (registered.status, registered.phone_number) == ("registered", "+15145555555")
    assert [d.id for d in deployments.list_deployments().deployments] == [created.id]
    deployments.delete_deployment(created.id)
    assert deployments.list_deployments().deployments == []
