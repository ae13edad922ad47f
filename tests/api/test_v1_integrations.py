"""v1.1 integrations (and the /v1 alias): CRUD, the integration menu and the WhatsApp
business profile, over HTTP in the app-scoped and app-less forms; then one call per
operation through the official v1 client (`smooch.IntegrationApi`)."""
from __future__ import annotations

import json
import re

import pytest
import requests
import smooch
from smooch.rest import ApiException

from conftest import basic
from v1_helpers import v1, acme, support, app_path, put, delete, error  # noqa: F401 (v1: a fixture)

HEX24 = re.compile(r"^[0-9a-f]{24}$")
BOT = "e4d193f3a0b6e39fb5dac231"
SITE = "b045109606a2a042e04d66a0"
FORBIDDEN = {"error": {"code": "forbidden", "description": "Forbidden"}}
APP_MISMATCH = {"error": {"code": "bad_request", "description": "AppId in path does not match supplied credentials"}}
NOT_FOUND = {"error": {"code": "not_found", "description": "Integration not found"}}
SEEDED_SITE = {"_id": SITE, "type": "web", "status": "active", "displayName": "site", "brandColor": "65758e",
               "fixedIntroPane": False, "conversationColor": "0099ff", "actionColor": "0099ff",
               "displayStyle": "button", "buttonWidth": "58", "buttonHeight": "58", "attachmentsEnabled": True}
MENU = {"items": [{"type": "link", "text": "Site", "uri": "https://example.com"},
                  {"type": "submenu", "text": "More", "items": [{"type": "postback", "text": "Hi", "payload": "HI"}]}],
        "settings": {"inputEnabled": False}}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def create(api, body: dict, *, v1: str = "/v1.1", auth: str | None = None) -> dict:
    response = api.post(f"{app_path(api, v1)}/integrations", auth=auth or support(api), json=body)
    assert response.status_code == 201, response.text
    return response.json()["integration"]


def registered_deployment(api) -> dict:
    """A WhatsApp deployment of Acme, through to `registered`."""
    auth = acme(api)
    deployment = api.post("/v1.1/whatsapp/deployments", auth=auth, json={"hosting": "smooch"}).json()["deployment"]
    path = f"/v1.1/whatsapp/deployments/{deployment['_id']}"
    activated = api.post(f"{path}/activate", auth=auth, json={
        "phoneNumber": "+15145551234", "verifiedNameCertificate": "CmEKHQ", "method": "sms"})
    assert activated.status_code == 200, activated.text
    confirmed = api.post(f"{path}/code/confirm", auth=auth, json={"code": "123456"})
    assert confirmed.json()["deployment"]["status"] == "registered", confirmed.text
    return confirmed.json()["deployment"]


def whatsapp(api) -> dict:
    return create(api, {"type": "whatsapp", "deploymentId": registered_deployment(api)["_id"]})


# --- integrations -----------------------------------------------------------------------------

def test_seeded_integrations_are_listed_in_the_v1_shape(api, v1):
    response = api.get(f"{app_path(api, v1)}/integrations", auth=acme(api))
    assert response.status_code == 200
    assert response.json() == {
        "integrations": [{"_id": BOT, "type": "custom", "status": "active", "displayName": "bot"}, SEEDED_SITE],
        "hasMore": False, "offset": 0}
    got = api.get(f"{app_path(api, v1)}/integrations/{SITE}", auth=support(api))
    assert got.status_code == 200 and got.json() == {"integration": SEEDED_SITE}


def test_create_read_update_delete_through_v1_and_v2(api, v1):
    created = create(api, {"type": "twilio", "displayName": "SMS", "accountSid": "ACa1b4c65ee0722712fab89867cb14eac7",
                           "authToken": "160c024303f53049e1e060fd67ca6aefc", "phoneNumberSid": "PN0674df0e"}, v1=v1)
    assert HEX24.match(created["_id"])
    assert created == {"_id": created["_id"], "type": "twilio", "status": "active", "displayName": "SMS",
                       "accountSid": "ACa1b4c65ee0722712fab89867cb14eac7", "phoneNumberSid": "PN0674df0e"}
    path = f"{app_path(api, v1)}/integrations/{created['_id']}"
    assert api.get(path, auth=acme(api)).json() == {"integration": created}

    # the same record through v2: one store, two renderings
    v2 = api.get(f"/v2/apps/{api.app('Acme Support')['id']}/integrations/{created['_id']}", auth=support(api))
    assert v2.json()["integration"]["id"] == created["_id"] and v2.json()["integration"]["displayName"] == "SMS"

    updated = put(api, path, auth=support(api), json={"displayName": "Text messages"})
    assert updated.status_code == 200
    assert updated.json() == {"integration": {**created, "displayName": "Text messages"}}
    assert api.get(path, auth=support(api)).json()["integration"]["displayName"] == "Text messages"

    unset = put(api, path, auth=support(api), json={"displayName": None})
    assert "displayName" not in unset.json()["integration"]

    removed = delete(api, path, auth=support(api))
    assert removed.status_code == 200 and removed.json() == {}
    assert api.get(path, auth=support(api)).json() == NOT_FOUND
    assert api.get(f"/v2/apps/{api.app('Acme Support')['id']}/integrations/{created['_id']}",
                   auth=support(api)).status_code == 404


def test_an_integration_made_in_v2_is_read_and_updated_in_v1(api):
    made = api.post(f"/v2/apps/{api.app('Acme Support')['id']}/integrations", auth=support(api),
                    json={"type": "line", "channelAccessToken": "tok", "channelSecret": "sec"}).json()["integration"]
    path = f"{app_path(api)}/integrations/{made['id']}"
    assert api.get(path, auth=support(api)).json()["integration"]["type"] == "line"
    # v1 may change the LINE channel fields, which v2's update schema does not list
    changed = put(api, path, auth=support(api), json={"channelId": "1655", "serviceCode": "svc"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["integration"]["channelId"], changed.json()["integration"]["serviceCode"]) == ("1655", "svc")
    patched = api.request("PATCH", f"/v2/apps/{api.app('Acme Support')['id']}/integrations/{made['id']}",
                          auth=support(api), json={"channelId": "1656"})
    assert patched.status_code == 400


def test_list_filters_by_type_and_pages_by_limit_and_offset(api, v1):
    telegram = create(api, {"type": "telegram", "token": "123:abc"})
    viber = create(api, {"type": "viber", "token": "viber-token"})
    path = f"{app_path(api, v1)}/integrations"

    by_type = api.get(f"{path}?types=telegram,web", auth=support(api)).json()
    assert [i["_id"] for i in by_type["integrations"]] == [SITE, telegram["_id"]]
    assert api.get(f"{path}?types=messenger", auth=support(api)).json() == {
        "integrations": [], "hasMore": False, "offset": 0}

    page = api.get(f"{path}?limit=2&offset=1", auth=support(api)).json()
    assert [i["_id"] for i in page["integrations"]] == [SITE, telegram["_id"]]
    assert (page["hasMore"], page["offset"]) == (True, 1)
    last = api.get(f"{path}?limit=2&offset=3", auth=support(api)).json()
    assert [i["_id"] for i in last["integrations"]] == [viber["_id"]] and last["hasMore"] is False
    error(api.get(f"{path}?limit=0", auth=support(api)), 400, "bad_request", "limit must be between 1 and 100")
    error(api.get(f"{path}?offset=x", auth=support(api)), 400, "bad_request", "offset must be an integer")


@pytest.mark.parametrize("body, description", [
    ({}, "should have required property 'type'"),
    ({"type": "carrier-pigeon"}, "Invalid integration type"),
    ({"type": "custom", "webhooks": []}, "should NOT have additional property 'webhooks'"),
    ({"type": "custom"}, "Invalid integration type"),
    ({"type": "telegram"}, "should have required property 'token'"),
    ({"type": "telegram", "token": 5}, "token should be string"),
    ({"type": "telegram", "token": "t", "colour": "red"}, "should NOT have additional property 'colour'"),
    ({"type": "telegram", "token": "t", "displayName": "x" * 101}, "displayName should be between 1 and 100 characters"),
    ({"type": "web", "brandColor": "blue"}, "brandColor must be a 3 or 6-character hexadecimal color"),
    ({"type": "messenger", "pageAccessToken": "p", "appId": "a", "appSecret": "s", "defaultResponderId": "x"},
     "should NOT have additional property 'defaultResponderId'"),
    ({"type": "twilio", "accountSid": "AC1", "authToken": "t"},
     "One of messagingServiceSid or phoneNumberSid must be provided"),
    ({"type": "whatsapp"}, "should have required property 'deploymentId'"),
])
def test_create_refuses_bad_bodies(api, body, description):
    error(api.post(f"{app_path(api)}/integrations", auth=support(api), json=body), 400, "bad_request", description)


@pytest.mark.parametrize("body, description", [
    ({"type": "telegram"}, "The type of an integration cannot be changed"),
    ({"brandColor": 42}, "brandColor should be string"),
    ({"businessId": "x"}, "should NOT have additional property 'businessId'"),
    ({"showAIDisclaimer": True}, "should NOT have additional property 'showAIDisclaimer'"),
])
def test_update_refuses_bad_bodies(api, body, description):
    error(put(api, f"{app_path(api)}/integrations/{SITE}", auth=support(api), json=body), 400, "bad_request",
          description)
    assert api.get(f"{app_path(api)}/integrations/{SITE}", auth=support(api)).json() == {"integration": SEEDED_SITE}


def test_unknown_and_foreign_integrations_are_not_found(api, v1):
    sales = api.post(f"{app_path(api, v1, 'Acme Sales')}/integrations", auth=basic(api.key("Acme Sales")),
                     json={"type": "telegram", "token": "t"}).json()["integration"]
    for integration_id in ("5d8cff3cd55b040010928b5b", sales["_id"]):
        path = f"{app_path(api, v1)}/integrations/{integration_id}"
        for method in ("GET", "PUT", "DELETE"):
            response = api.request(method, path, auth=support(api), json={} if method == "PUT" else None)
            assert response.status_code == 404 and response.json() == NOT_FOUND, (method, response.text)
        for sub in ("menu", "profile"):
            assert api.get(f"{path}/{sub}", auth=support(api)).json() == NOT_FOUND


def test_delete_takes_keys_webhooks_menu_and_switchboard_links_along(api):
    app_id = api.app("Acme Support")["id"]
    v2 = f"/v2/apps/{app_id}"
    switchboard = api.post(f"{v2}/switchboards", auth=support(api), json={}).json()["switchboard"]
    link = api.post(f"{v2}/switchboards/{switchboard['id']}/switchboardIntegrations", auth=support(api),
                    json={"name": "bot", "integrationId": BOT})
    assert link.status_code == 201, link.text
    assert api.post(f"{app_path(api)}/integrations/{BOT}/menu", auth=support(api), json=MENU).status_code == 201
    bot_key = basic(api.key("bot"))
    assert api.get(f"{v2}/users/alice", auth=bot_key).status_code == 200

    assert delete(api, f"{app_path(api)}/integrations/{BOT}", auth=support(api)).json() == {}
    assert api.get(f"{v2}/users/alice", auth=bot_key).status_code == 401  # its key is gone
    assert api.get(f"{v2}/switchboards/{switchboard['id']}/switchboardIntegrations",
                   auth=support(api)).json()["switchboardIntegrations"] == []
    assert [i["id"] for i in api.get(f"{v2}/integrations", auth=support(api)).json()["integrations"]] == [SITE]
    assert api.get(f"{app_path(api)}/integrations/{BOT}/menu", auth=support(api)).json() == NOT_FOUND


# --- who may call -----------------------------------------------------------------------------

def test_app_credentials_also_use_the_app_less_form(api, v1):
    listed = api.get(f"{v1}/integrations", auth=support(api))
    assert listed.status_code == 200 and [i["_id"] for i in listed.json()["integrations"]] == [BOT, SITE]
    made = api.post(f"{v1}/integrations", auth=support(api), json={"type": "telegram", "token": "t"})
    assert made.status_code == 201
    integration_id = made.json()["integration"]["_id"]
    assert api.get(f"{app_path(api)}/integrations/{integration_id}", auth=acme(api)).status_code == 200
    token = api.bearer(api.key("Acme Support")["id"], "app")
    assert api.get(f"{v1}/integrations/{integration_id}/menu", auth=token).json() == {"menu": {"items": []}}
    assert delete(api, f"{v1}/integrations/{integration_id}", auth=token).json() == {}


def test_who_may_call_the_integrations_api(api, v1):
    path = f"{app_path(api, v1)}/integrations"
    # integration scope: "/v1/integrations/* no"
    for auth in (basic(api.key("bot")), api.bearer(api.key("bot")["id"], "integration")):
        for url in (path, f"{v1}/integrations", f"{path}/{BOT}", f"{path}/{BOT}/menu"):
            response = api.get(url, auth=auth)
            assert response.status_code == 403 and response.json() == FORBIDDEN, url
    # an account key names the app; the app-less form is for app-bound credentials
    assert api.get(path, auth=acme(api)).status_code == 200
    response = api.get(f"{v1}/integrations", auth=acme(api))
    assert response.status_code == 403 and response.json() == FORBIDDEN
    assert api.get(path, auth=basic(api.key("provisioner"))).status_code == 200
    # other apps
    other = api.get(app_path(api, v1, "Acme Sales") + "/integrations", auth=support(api))
    assert other.status_code == 400 and other.json() == APP_MISMATCH
    error(api.get(path, auth=basic(api.key("Globex"))), 404, "not_found", "App not found")
    error(api.get(app_path(api, v1, "Acme Sales") + "/integrations", auth=basic(api.key("provisioner"))),
          404, "not_found", "App not found")
    assert api.get(path).status_code == 401


# --- WhatsApp: from a registered deployment ---------------------------------------------------

def test_a_whatsapp_integration_is_made_from_a_registered_deployment(api, v1):
    deployment = registered_deployment(api)
    integration = create(api, {"type": "whatsapp", "deploymentId": deployment["_id"], "hsmFallbackLanguage": "fr_CA"},
                         v1=v1)
    assert integration == {"_id": integration["_id"], "type": "whatsapp", "status": "active",
                           "hsmFallbackLanguage": "fr_CA", "phoneNumber": "+15145551234",
                           "deploymentId": deployment["_id"]}
    linked = api.get(f"/v1.1/whatsapp/deployments/{deployment['_id']}", auth=acme(api)).json()["deployment"]
    assert (linked["integrationId"], linked["appId"]) == (integration["_id"], api.app("Acme Support")["id"])

    again = api.post(f"{app_path(api)}/integrations", auth=support(api),
                     json={"type": "whatsapp", "deploymentId": deployment["_id"]})
    error(again, 400, "bad_request", f"Deployment {deployment['_id']} is already used by integration "
                                     f"{integration['_id']}")
    delete(api, f"{app_path(api)}/integrations/{integration['_id']}", auth=support(api))
    freed = api.get(f"/v1.1/whatsapp/deployments/{deployment['_id']}", auth=acme(api)).json()["deployment"]
    assert "integrationId" not in freed and "appId" not in freed
    assert create(api, {"type": "whatsapp", "deploymentId": deployment["_id"]})["deploymentId"] == deployment["_id"]


def test_a_whatsapp_integration_needs_a_registered_deployment_of_the_account(api):
    fresh = api.post("/v1.1/whatsapp/deployments", auth=acme(api), json={"hosting": "smooch"}).json()["deployment"]
    error(api.post(f"{app_path(api)}/integrations", auth=support(api),
                   json={"type": "whatsapp", "deploymentId": fresh["_id"]}),
          400, "bad_request", f"Deployment {fresh['_id']} is unregistered; a WhatsApp integration needs a registered "
                              "deployment")
    globex = api.post("/v1.1/whatsapp/deployments", auth=basic(api.key("Globex")),
                      json={"hosting": "smooch"}).json()["deployment"]
    for deployment_id in (globex["_id"], "5d8cff3cd55b040010928b5b"):
        error(api.post(f"{app_path(api)}/integrations", auth=support(api),
                       json={"type": "whatsapp", "deploymentId": deployment_id}),
              404, "not_found", "Deployment not found")


# --- the integration menu ---------------------------------------------------------------------

def test_integration_menu_lifecycle(api, v1):
    path = f"{app_path(api, v1)}/integrations/{SITE}/menu"
    assert api.get(path, auth=support(api)).json() == {"menu": {"items": []}}

    made = api.post(path, auth=support(api), json=MENU)
    assert made.status_code == 201
    menu = made.json()["menu"]
    assert menu["settings"] == {"inputEnabled": False}
    link, submenu = menu["items"]
    assert HEX24.match(link["_id"]) and HEX24.match(submenu["_id"]) and HEX24.match(submenu["items"][0]["_id"])
    assert {k: v for k, v in link.items() if k != "_id"} == MENU["items"][0]
    assert submenu["items"][0]["payload"] == "HI"
    assert api.get(path, auth=acme(api)).json() == {"menu": menu}
    # the app menu is another menu
    assert api.get(f"{app_path(api, v1)}/menu", auth=support(api)).json() == {"menu": {"items": []}}

    replaced = put(api, path, auth=support(api), json={"items": [{"type": "postback", "text": "Go", "payload": "GO"}]})
    assert replaced.status_code == 200
    [item] = replaced.json()["menu"]["items"]
    assert (item["type"], item["text"], item["payload"]) == ("postback", "Go", "GO")
    assert "settings" not in replaced.json()["menu"]
    assert api.get(path, auth=support(api)).json() == replaced.json()

    removed = delete(api, path, auth=support(api))
    assert removed.status_code == 200 and removed.json() == {}
    assert api.get(path, auth=support(api)).json() == {"menu": {"items": []}}
    assert delete(api, path, auth=support(api)).json() == {}  # nothing to remove: still 200


def test_put_creates_a_menu_too(api):
    path = f"{app_path(api)}/integrations/{SITE}/menu"
    made = put(api, path, auth=support(api), json=MENU)
    assert made.status_code == 200 and len(made.json()["menu"]["items"]) == 2


@pytest.mark.parametrize("body, description", [
    ({}, "should have required property 'items'"),
    ({"items": [{"type": "link", "text": "a", "uri": "http://a"}] * 4}, "items should NOT have more than 3 items"),
    ({"items": [{"type": "link", "text": "a"}]}, "items[0] should have required property 'uri'"),
    ({"items": [{"type": "call", "text": "a"}]},
     "items[0].type should be equal to one of the allowed values: link, postback, submenu"),
    ({"items": [], "settings": {"inputEnabled": "no"}}, "settings.inputEnabled should be boolean"),
])
def test_integration_menu_refuses_bad_bodies(api, body, description):
    path = f"{app_path(api)}/integrations/{SITE}/menu"
    error(api.post(path, auth=support(api), json=body), 400, "bad_request", description)
    assert api.get(path, auth=support(api)).json() == {"menu": {"items": []}}


# --- the WhatsApp business profile ------------------------------------------------------------

def test_whatsapp_profile_lifecycle(api, v1):
    integration = whatsapp(api)
    path = f"{app_path(api, v1)}/integrations/{integration['_id']}/profile"
    assert api.get(path, auth=support(api)).json() == {"profile": {}}
    profile = {"about": "Open 9-5", "address": "1 Main St", "description": "Widgets", "email": "hi@example.com",
               "vertical": "RETAIL", "websites": ["https://example.com"]}
    updated = put(api, path, auth=support(api), json=profile)
    assert updated.status_code == 200 and updated.json() == {}
    assert api.get(path, auth=acme(api)).json() == {"profile": profile}

    partial = put(api, path, auth=support(api), json={"about": "Open 24/7", "address": None})
    assert partial.status_code == 200
    expected = {**{k: v for k, v in profile.items() if k != "address"}, "about": "Open 24/7"}
    assert api.get(path, auth=support(api)).json() == {"profile": expected}


@pytest.mark.parametrize("body, description", [
    ({"name": "Acme"}, "should NOT have additional property 'name'"),
    ({"about": 5}, "about should be string"),
    ({"websites": "https://example.com"}, "websites should be array of strings"),
    ({"websites": ["https://a.example", "https://b.example", "https://c.example"]},
     "websites should NOT have more than 2 items"),
])
def test_whatsapp_profile_refuses_bad_bodies(api, body, description):
    path = f"{app_path(api)}/integrations/{whatsapp(api)['_id']}/profile"
    error(put(api, path, auth=support(api), json=body), 400, "bad_request", description)
    assert api.get(path, auth=support(api)).json() == {"profile": {}}


def test_profile_photo_is_uploaded_and_served(api, v1):
    integration = whatsapp(api)
    path = f"{app_path(api, v1)}/integrations/{integration['_id']}/profile"
    uploaded = put(api, f"{path}/photo", auth=support(api), files={"source": ("logo.png", PNG, "image/png")})
    assert uploaded.status_code == 200, uploaded.text
    photo_url = uploaded.json()["photoUrl"]
    assert photo_url.startswith(f"{api.url}/media/apps/{api.app('Acme Support')['id']}/")
    assert photo_url.endswith("/logo.png")
    assert api.get(path, auth=support(api)).json() == {"profile": {"photoUrl": photo_url}}
    served = requests.get(photo_url, timeout=10)
    assert served.status_code == 200 and served.content == PNG and served.headers["Content-Type"] == "image/png"

    error(put(api, f"{path}/photo", auth=support(api), files={"source": ("notes.txt", b"hi", "text/plain")}),
          400, "bad_request", "source should be an image")
    error(put(api, f"{path}/photo", auth=support(api), data={"other": "x"}),
          400, "bad_request", "should have required property 'source'")
    assert api.get(path, auth=support(api)).json() == {"profile": {"photoUrl": photo_url}}


def test_profiles_are_for_whatsapp_integrations_only(api):
    path = f"{app_path(api)}/integrations/{SITE}/profile"
    description = "Integration profiles are only available for WhatsApp integrations"
    error(api.get(path, auth=support(api)), 400, "bad_request", description)
    error(put(api, path, auth=support(api), json={"about": "x"}), 400, "bad_request", description)
    error(put(api, f"{path}/photo", auth=support(api), files={"source": ("a.png", PNG, "image/png")}),
          400, "bad_request", description)


# --- the official v1 client -------------------------------------------------------------------

@pytest.fixture
def integrations(api):
    """smooch.IntegrationApi bound to the mock, with the Acme account key in the process-wide
    Configuration (restored afterwards)."""
    configuration = smooch.Configuration()
    saved = (configuration.username, configuration.password, dict(configuration.api_key),
             dict(configuration.api_key_prefix))
    configuration.api_key.pop("Authorization", None)
    configuration.api_key_prefix.pop("Authorization", None)
    configuration.username, configuration.password = api.key("Acme")["id"], api.key("Acme")["secret"]
    yield smooch.IntegrationApi(smooch.ApiClient(host=api.url))
    configuration.username, configuration.password = saved[0], saved[1]
    configuration.api_key.clear()
    configuration.api_key.update(saved[2])
    configuration.api_key_prefix.clear()
    configuration.api_key_prefix.update(saved[3])


def test_official_client_integrations(api, integrations):
    app_id = api.app("Acme Support")["id"]
    created = integrations.create_integration(
        app_id, smooch.IntegrationCreate(type="telegram", token="123:abc", display_name="Bot on Telegram")).integration
    assert HEX24.match(created.id) and (created.type, created.display_name, created.status) == (
        "telegram", "Bot on Telegram", "active")
    assert created.token is None  # write-only: never rendered

    listed = integrations.list_integrations(app_id, types="telegram,web", limit=10, offset=0)
    assert [i.id for i in listed.integrations] == [SITE, created.id]
    assert (listed.has_more, listed.offset) == (False, 0)
    site = integrations.get_integration(app_id, SITE).integration
    assert (site.type, site.brand_color, site.fixed_intro_pane) == ("web", "65758e", False)

    updated = integrations.update_integration(app_id, created.id, smooch.IntegrationUpdate(display_name="TG"))
    assert updated.integration.display_name == "TG"

    item = smooch.MenuItem(type="postback", text="Help", payload="HELP")
    made = integrations.create_integration_menu(app_id, created.id, smooch.Menu(items=[item])).menu
    assert [(i.type, i.text, i.payload) for i in made.items] == [("postback", "Help", "HELP")]
    link = smooch.MenuItem(type="link", text="Site", uri="https://example.com")
    replaced = integrations.update_integration_menu(app_id, created.id, smooch.Menu(items=[link])).menu
    assert [(i.type, i.uri) for i in replaced.items] == [("link", "https://example.com")]
    assert integrations.get_integration_menu(app_id, created.id).menu.items[0].text == "Site"
    assert integrations.delete_integration_menu(app_id, created.id) is None
    assert integrations.get_integration_menu(app_id, created.id).menu.items == []

    integrations.delete_integration(app_id, created.id)
    with pytest.raises(ApiException) as info:
        integrations.get_integration(app_id, created.id)
    assert info.value.status == 404 and json.loads(info.value.body) == NOT_FOUND


def test_official_client_whatsapp_profile(api, integrations, tmp_path):
    app_id = api.app("Acme Support")["id"]
    integration_id = whatsapp(api)["_id"]
    integrations.update_integration_profile(app_id, integration_id, smooch.IntegrationProfileUpdate(
        about="Open 9-5", websites=["https://example.com"]))
    photo = tmp_path / "logo.png"
    photo.write_bytes(PNG)
    uploaded = integrations.upload_integration_profile_photo(app_id, integration_id, str(photo))
    assert uploaded.photo_url.endswith("/logo.png")
    profile = integrations.get_integration_profile(app_id, integration_id).profile
    assert profile == {"about": "Open 9-5", "websites": ["https://example.com"], "photoUrl": uploaded.photo_url}
