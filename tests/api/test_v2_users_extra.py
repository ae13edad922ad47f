"""v2 users beyond CRUD: clients, devices, personal information, sync."""
from __future__ import annotations

import pytest

from conftest import basic

PHONE = "+1 212-555-2368"


def support(api) -> str:
    return api.app("Acme Support")["id"]


def acme(api) -> str:
    return basic(api.key("Acme"))


def users_path(api, rest: str = "") -> str:
    return f"/v2/apps/{support(api)}/users{rest}"


def whatsapp_integration(api) -> str:
    response = api.post(f"/v2/apps/{support(api)}/integrations", auth=acme(api), json={"type": "whatsapp"})
    assert response.status_code == 201, response.text
    return response.json()["integration"]["id"]


def conversation_of(api, external_id: str) -> str:
    response = api.post(f"/v2/apps/{support(api)}/conversations", auth=acme(api),
                        json={"type": "personal", "participants": [{"userExternalId": external_id}]})
    if response.status_code == 404 and response.json()["errors"][0]["code"] == "not_found":
        pytest.skip("POST /v2/apps/{appId}/conversations is not served yet")
    assert response.status_code == 201, response.text
    return response.json()["conversation"]["id"]


def client_body(integration_id: str, conversation_id: str, **criteria) -> dict:
    return {"matchCriteria": {"type": "whatsapp", "integrationId": integration_id, "phoneNumber": PHONE,
                              **criteria},
            "confirmation": {"type": "immediate"},
            "target": {"conversationId": conversation_id}}


# --- personal information ----------------------------------------------------------------

def test_delete_personal_information_clears_profile_and_metadata(api):
    auth = basic(api.key("Acme Support"))
    api.request("PATCH", users_path(api, "/alice"), auth=auth,
                json={"profile": {"avatarUrl": "https://example.com/a.png", "locale": "fr-CA"},
                      "metadata": {"plan": "gold"}})
    response = api.request("DELETE", users_path(api, "/alice/personalinformation"), auth=auth)
    assert response.status_code == 200
    user = response.json()["user"]
    alice = api.user("Acme Support", "alice")
    assert (user["id"], user["externalId"]) == (alice["id"], "alice")
    assert user["profile"] == {"locale": "fr-CA"}
    assert user["metadata"] == {} and user["identities"] == []
    assert user["signedUpAt"] == alice["signedUpAt"]
    assert api.get(users_path(api, "/alice"), auth=auth).json()["user"] == user


def test_delete_personal_information_of_an_unknown_user(api):
    response = api.request("DELETE", users_path(api, "/nobody/personalinformation"), auth=acme(api))
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": "user_not_found", "title": "User not found"}]}


def test_the_official_client_deletes_personal_information(api):
    sunco = pytest.importorskip("sunshine_conversations_client")
    key = api.key("Acme Support")
    users = sunco.UsersApi(sunco.ApiClient(sunco.Configuration(host=api.url, username=key["id"],
                                                               password=key["secret"])))
    user = users.delete_user_personal_information(support(api), "bob").user
    assert user.external_id == "bob" and user.profile.given_name is None and user.metadata == {}


# --- devices -------------------------------------------------------------------------------

def test_devices_are_listed_and_looked_up_per_user(api):
    auth = basic(api.key("bot"))
    response = api.get(users_path(api, "/alice/devices"), auth=auth)
    assert (response.status_code, response.json()) == (200, {"devices": []})
    response = api.get(users_path(api, f"/alice/devices/{'0' * 24}"), auth=auth)
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": "device_not_found", "title": "Device not found"}]}
    response = api.get(users_path(api, "/nobody/devices"), auth=auth)
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "user_not_found"


# --- clients -------------------------------------------------------------------------------

def test_a_user_starts_without_clients(api):
    response = api.get(users_path(api, "/alice/clients"), auth=acme(api))
    assert response.status_code == 200
    assert response.json() == {"clients": [], "meta": {"hasMore": False}, "links": {}}
    response = api.get(users_path(api, "/nobody/clients"), auth=acme(api))
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "user_not_found"


def test_removing_an_unknown_client(api):
    response = api.request("DELETE", users_path(api, f"/alice/clients/{'0' * 24}"), auth=acme(api))
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": "client_not_found", "title": "Client not found"}]}


def test_create_client_body_is_checked(api):
    good = client_body("i" * 24, "c" * 24)
    cases = [
        ({}, "should have required property 'matchCriteria'"),
        ({**good, "matchCriteria": {"type": "messenger", "integrationId": "x"}},
         "matchCriteria.type should be equal to one of the allowed values: mailgun, messagebird, twilio, whatsapp"),
        ({**good, "matchCriteria": {"type": "whatsapp", "phoneNumber": PHONE}},
         "should have required property 'integrationId'"),
        ({**good, "matchCriteria": {"type": "whatsapp", "integrationId": "x"}},
         "should have required property 'phoneNumber'"),
        ({**good, "matchCriteria": {"type": "twilio", "integrationId": "x", "phoneNumber": "212 555 2368"}},
         "matchCriteria.phoneNumber should be a phone number with the + prefix and the country code"),
        ({**good, "matchCriteria": {"type": "mailgun", "integrationId": "x"}},
         "should have required property 'address'"),
        ({**good, "matchCriteria": {**good["matchCriteria"], "primary": "yes"}}, "primary should be boolean"),
        ({"matchCriteria": good["matchCriteria"], "target": good["target"]},
         "should have required property 'confirmation'"),
        ({**good, "confirmation": {"type": "later"}},
         "confirmation.type should be equal to one of the allowed values: immediate, userActivity, prompt"),
        ({**good, "target": {}}, "should have required property 'conversationId'"),
    ]
    for body, title in cases:
        response = api.post(users_path(api, "/alice/clients"), auth=acme(api), json=body)
        assert response.status_code == 400, body
        assert response.json() == {"errors": [{"code": "bad_request", "title": title}]}, body


def test_create_client_needs_an_integration_of_that_type(api):
    path = users_path(api, "/alice/clients")
    response = api.post(path, auth=acme(api), json=client_body("0" * 24, "c" * 24))
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": "integration_not_found", "title": "Integration not found"}]}
    bot = api.app("Acme Support")["integrations"][0]["id"]
    response = api.post(path, auth=acme(api), json=client_body(bot, "c" * 24))
    assert response.status_code == 400
    assert "does not match the type of integration" in response.json()["errors"][0]["title"]


def test_create_client_needs_the_target_conversation(api):
    response = api.post(users_path(api, "/alice/clients"), auth=acme(api),
                        json=client_body(whatsapp_integration(api), "0" * 24))
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": "conversation_not_found", "title": "Conversation not found"}]}


def test_client_lifecycle(api):
    integration_id = whatsapp_integration(api)
    conversation_id = conversation_of(api, "alice")
    auth = basic(api.key("bot"))
    created = api.post(users_path(api, "/alice/clients"), auth=auth,
                       json=client_body(integration_id, conversation_id))
    assert created.status_code == 201
    client = created.json()["client"]
    assert client == {"id": client["id"], "type": "whatsapp", "status": "pending",
                      "integrationId": integration_id, "externalId": PHONE}

    listed = api.get(users_path(api, "/alice/clients"), auth=auth).json()
    assert listed["clients"] == [client] and listed["meta"] == {"hasMore": False}
    # another user does not have it
    path = users_path(api, f"/bob/clients/{client['id']}")
    assert api.request("DELETE", path, auth=auth).status_code == 404

    removed = api.request("DELETE", users_path(api, f"/alice/clients/{client['id']}"), auth=auth)
    assert (removed.status_code, removed.json()) == (200, {})
    assert api.get(users_path(api, "/alice/clients"), auth=auth).json()["clients"] == []


def test_deleting_a_user_deletes_its_clients(api):
    integration_id = whatsapp_integration(api)
    conversation_id = conversation_of(api, "alice")
    api.post(users_path(api, "/alice/clients"), auth=acme(api), json=client_body(integration_id, conversation_id))
    assert len(api.get(users_path(api, "/alice/clients"), auth=acme(api)).json()["clients"]) == 1
    assert api.request("DELETE", users_path(api, "/alice"), auth=acme(api)).status_code == 200
    api.post(users_path(api), auth=acme(api), json={"externalId": "alice"})
    assert api.get(users_path(api, "/alice/clients"), auth=acme(api)).json()["clients"] == []


def test_clients_of_another_app_are_out_of_reach(api):
    sales_key = basic(api.key("Acme Sales"))
    response = api.get(users_path(api, "/alice/clients"), auth=sales_key)
    assert response.status_code == 403
    user_token = api.bearer(api.key("Acme Support")["id"], "user", externalId="alice")
    response = api.get(users_path(api, "/alice/clients"), auth=user_token)
    assert response.status_code == 403  # the user scope is for the SDKs, not the v2 API


# --- sync ------------------------------------------------------------------------------------

def test_sync_needs_a_user_with_that_zendesk_id(api):
    synced = api.post(users_path(api, "/35436/sync"), auth=acme(api))  # the seeded bob
    assert synced.status_code == 200 and synced.json()["user"]["externalId"] == "bob"
    response = api.post(users_path(api, "/99999/sync"), auth=acme(api))
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": "user_not_found", "title": "User not found"}]}


def test_sync_takes_numeric_zendesk_ids(api):
    response = api.post(users_path(api, "/alice/sync"), auth=acme(api))
    assert response.status_code == 400
    assert response.json() == {"errors": [{"code": "bad_request", "title": "zendeskId should be a numeric string"}]}
    response = api.post(users_path(api, "/35436/sync"), auth=acme(api), json={"survivingZendeskId": 35437})
    assert response.status_code == 400
    assert response.json()["errors"][0]["title"] == "survivingZendeskId should be string"
    response = api.post(users_path(api, "/35436/sync"), auth=acme(api), json={"survivingZendeskId": "x1"})
    assert response.json()["errors"][0]["title"] == "survivingZendeskId should be a numeric string"


def test_sync_accepts_the_three_scopes(api):
    for auth in (acme(api), basic(api.key("Acme Support")), basic(api.key("bot"))):
        assert api.post(users_path(api, "/35436/sync"), auth=auth).status_code == 200
    assert api.post(users_path(api, "/35436/sync"), auth=basic(api.key("Acme Sales"))).status_code == 403
