"""v2 switchboards and switchboard integrations: over HTTP, then with the official v2 client."""
from __future__ import annotations

import re

import pytest
import sunshine_conversations_client as sc
from sunshine_conversations_client.exceptions import BadRequestException, NotFoundException

from conftest import basic

BOT = "e4d193f3a0b6e39fb5dac231"
HEX24 = re.compile(r"^[0-9a-f]{24}$")


def acme_support(api) -> tuple[str, str]:
    return f"/v2/apps/{api.app('Acme Support')['id']}", basic(api.key("Acme Support"))


def errors(response) -> tuple[int, str, str]:
    [error] = response.json()["errors"]
    return response.status_code, error["code"], error["title"]


def new_switchboard(api) -> str:
    """The switchboards path of a new switchboard of Acme Support."""
    path, auth = acme_support(api)
    response = api.post(f"{path}/switchboards", auth=auth)
    assert response.status_code == 201, response.text
    return f"{path}/switchboards/{response.json()['switchboard']['id']}"


def link(api, switchboard: str, **body) -> dict:
    response = api.post(f"{switchboard}/switchboardIntegrations", auth=acme_support(api)[1], json=body)
    assert response.status_code == 201, response.text
    return response.json()["switchboardIntegration"]


def test_one_switchboard_per_app(api):
    path, auth = acme_support(api)
    assert api.get(f"{path}/switchboards", auth=auth).json() == {"switchboards": []}
    created = api.post(f"{path}/switchboards", auth=auth)
    assert created.status_code == 201
    switchboard = created.json()["switchboard"]
    assert HEX24.match(switchboard["id"]) and switchboard == {"id": switchboard["id"], "enabled": False}
    second = api.post(f"{path}/switchboards", auth=basic(api.key("Acme")))
    assert errors(second) == (400, "bad_request", "Only one switchboard can be created per app")
    assert api.get(f"{path}/switchboards", auth=auth).json() == {"switchboards": [switchboard]}
    # another app has its own
    sales = f"/v2/apps/{api.app('Acme Sales')['id']}"
    assert api.post(f"{sales}/switchboards", auth=basic(api.key("Acme Sales"))).status_code == 201


def test_switchboard_update_and_delete(api):
    path, auth = acme_support(api)
    switchboard = new_switchboard(api)
    refused = api.request("PATCH", switchboard, auth=auth, json={"enabled": True})
    assert errors(refused) == (400, "bad_request", "Enabled switchboard must have an associated default switchboardIntegration")
    bot = link(api, switchboard, name="bot", integrationId=BOT)
    enabled = api.request("PATCH", switchboard, auth=auth,
                          json={"enabled": True, "defaultSwitchboardIntegrationId": bot["id"]})
    assert enabled.status_code == 200
    assert enabled.json()["switchboard"] == {"id": switchboard.rsplit("/", 1)[1], "enabled": True,
                                             "defaultSwitchboardIntegrationId": bot["id"]}
    unknown = api.request("PATCH", switchboard, auth=auth, json={"defaultSwitchboardIntegrationId": "0" * 24})
    assert errors(unknown) == (404, "switchboard_integration_not_found", "SwitchboardIntegration not found")
    assert errors(api.request("PATCH", switchboard, auth=auth, json={"enabled": "yes"})) == (
        400, "bad_request", "enabled should be boolean")

    assert api.request("DELETE", switchboard, auth=auth).json() == {}
    assert api.get(f"{path}/switchboards", auth=auth).json() == {"switchboards": []}
    gone = (404, "switchboard_not_found", "Switchboard not found")
    assert errors(api.request("PATCH", switchboard, auth=auth, json={})) == gone
    assert errors(api.get(f"{switchboard}/switchboardIntegrations", auth=auth)) == gone
    # the integration it linked stays
    assert api.get(f"{path}/integrations/{BOT}", auth=auth).status_code == 200


def test_switchboard_integration_lifecycle(api):
    path, auth = acme_support(api)
    switchboard = new_switchboard(api)
    bot = link(api, switchboard, name="bot", integrationId=BOT, messageHistoryCount=5)
    assert bot == {"id": bot["id"], "name": "bot", "integrationId": BOT, "integrationType": "custom",
                   "deliverStandbyEvents": True, "messageHistoryCount": 5}
    agents = link(api, switchboard, name="agents", integrationType="zd:agentWorkspace", deliverStandbyEvents=False,
                  nextSwitchboardIntegrationId=bot["id"])
    assert agents["integrationType"] == "zd:agentWorkspace" and HEX24.match(agents["integrationId"])
    assert agents["deliverStandbyEvents"] is False and agents["nextSwitchboardIntegrationId"] == bot["id"]

    links = f"{switchboard}/switchboardIntegrations"
    assert api.get(links, auth=auth).json() == {"switchboardIntegrations": [bot, agents]}
    patched = api.request("PATCH", f"{links}/{bot['id']}", auth=auth,
                          json={"nextSwitchboardIntegrationId": agents["id"], "messageHistoryCount": None})
    assert patched.status_code == 200
    assert patched.json()["switchboardIntegration"] == {**{k: v for k, v in bot.items() if k != "messageHistoryCount"},
                                                        "nextSwitchboardIntegrationId": agents["id"]}

    # the default and a `next` target cannot be deleted
    api.request("PATCH", switchboard, auth=auth, json={"defaultSwitchboardIntegrationId": bot["id"]})
    refused = api.request("DELETE", f"{links}/{bot['id']}", auth=auth)
    assert errors(refused) == (400, "bad_request",
                               "The default switchboard integration cannot be deleted; choose a new default first")
    api.request("PATCH", switchboard, auth=auth, json={"defaultSwitchboardIntegrationId": agents["id"]})
    refused = api.request("DELETE", f"{links}/{bot['id']}", auth=auth)
    assert errors(refused) == (400, "bad_request", "A switchboard integration referred to by another's "
                                                   "nextSwitchboardIntegrationId cannot be deleted")
    api.request("PATCH", f"{links}/{agents['id']}", auth=auth, json={"nextSwitchboardIntegrationId": None})
    assert api.request("DELETE", f"{links}/{bot['id']}", auth=auth).json() == {}
    missing = (404, "switchboard_integration_not_found", "SwitchboardIntegration not found")
    assert errors(api.request("DELETE", f"{links}/{bot['id']}", auth=auth)) == missing
    assert errors(api.request("PATCH", f"{links}/{bot['id']}", auth=auth, json={})) == missing
    assert [s["name"] for s in api.get(links, auth=auth).json()["switchboardIntegrations"]] == ["agents"]


@pytest.mark.parametrize("body, expected", [
    ({"integrationId": BOT}, (400, "bad_request", "should have required property 'name'")),
    ({"name": "bot"}, (400, "bad_request", "One of integrationId or integrationType must be provided")),
    ({"name": "bot", "integrationId": BOT, "integrationType": "custom"},
     (400, "bad_request", "Only one of integrationId or integrationType may be provided")),
    ({"name": "my bot", "integrationId": BOT},
     (400, "bad_request", "name is restricted to alphanumeric characters, '-' and '_'")),
    ({"name": "x" * 129, "integrationId": BOT}, (400, "bad_request", "name should NOT be longer than 128 characters")),
    ({"name": "bot", "integrationId": "0" * 24}, (404, "integration_not_found", "Integration not found")),
    ({"name": "bot", "integrationId": "b045109606a2a042e04d66a0"},
     (400, "bad_request", "Only custom and OAuth integrations can be linked to a switchboard")),
    ({"name": "bot", "integrationId": BOT, "messageHistoryCount": 11},
     (400, "bad_request", "messageHistoryCount should be between 1 and 10")),
    ({"name": "bot", "integrationId": BOT, "deliverStandbyEvents": "no"},
     (400, "bad_request", "deliverStandbyEvents should be boolean")),
    ({"name": "bot", "integrationId": BOT, "nextSwitchboardIntegrationId": "0" * 24},
     (404, "switchboard_integration_not_found", "SwitchboardIntegration not found")),
    ({"name": "bot", "integrationId": BOT, "priority": 1},
     (400, "bad_request", "should NOT have additional property 'priority'")),
])
def test_create_switchboard_integration_validation(api, body, expected):
    switchboard = new_switchboard(api)
    response = api.post(f"{switchboard}/switchboardIntegrations", auth=acme_support(api)[1], json=body)
    assert errors(response) == expected


def test_names_are_unique_and_a_switchboard_holds_ten(api):
    path, auth = acme_support(api)
    switchboard = new_switchboard(api)
    links = f"{switchboard}/switchboardIntegrations"
    first = link(api, switchboard, name="bot", integrationId=BOT)
    duplicate = api.post(links, auth=auth, json={"name": "bot", "integrationType": "zd:answerBot"})
    assert errors(duplicate) == (400, "bad_request", "A switchboard integration with this name already exists")
    for n in range(9):
        link(api, switchboard, name=f"partner-{n}", integrationType=f"partner{n}")
    eleventh = api.post(links, auth=auth, json={"name": "one-more", "integrationType": "zd:answerBot"})
    assert errors(eleventh) == (400, "too_many_switchboard_integrations",
                                "Switchboard has reached the max number of switchboard integrations (10)")
    renamed = api.request("PATCH", f"{links}/{first['id']}", auth=auth, json={"name": "partner-0"})
    assert errors(renamed)[:2] == (400, "bad_request")


def test_deleting_an_integration_unlinks_it(api):
    path, auth = acme_support(api)
    switchboard = new_switchboard(api)
    bot = link(api, switchboard, name="bot", integrationId=BOT)
    api.request("PATCH", switchboard, auth=auth, json={"enabled": True, "defaultSwitchboardIntegrationId": bot["id"]})
    api.request("DELETE", f"{path}/integrations/{BOT}", auth=auth)
    assert api.get(f"{switchboard}/switchboardIntegrations", auth=auth).json() == {"switchboardIntegrations": []}
    assert api.get(f"{path}/switchboards", auth=auth).json()["switchboards"][0]["enabled"] is False


def test_default_responder_is_rendered_on_channels(api):
    path, auth = acme_support(api)
    switchboard = new_switchboard(api)
    bot = link(api, switchboard, name="bot", integrationId=BOT)
    agents = link(api, switchboard, name="agents", integrationType="zd:agentWorkspace")
    api.request("PATCH", switchboard, auth=auth, json={"defaultSwitchboardIntegrationId": bot["id"]})
    site = f"{path}/integrations/b045109606a2a042e04d66a0"
    inherited = api.get(site, auth=auth).json()["integration"]["defaultResponder"]
    assert inherited == {"name": "bot", "integrationId": BOT, "integrationType": "custom",
                         "deliverStandbyEvents": True, "inherited": True}
    own = api.request("PATCH", site, auth=auth, json={"defaultResponderId": agents["id"]}).json()["integration"]
    assert own["defaultResponder"]["name"] == "agents" and own["defaultResponder"]["inherited"] is False
    assert "defaultResponderId" not in own  # write-only
    refused = api.request("PATCH", site, auth=auth, json={"defaultResponderId": "0" * 24})
    assert errors(refused) == (400, "bad_request", "defaultResponderId must be the id of a switchboard integration")


def test_switchboards_need_account_or_app_scope(api):
    path, _ = acme_support(api)
    assert errors(api.get(f"{path}/switchboards", auth=basic(api.key("bot")))) == (403, "forbidden", "Forbidden")
    globex = api.post(f"{path}/switchboards", auth=basic(api.key("Globex")))
    assert errors(globex) == (404, "app_not_found", "App not found")


def test_official_client_switchboards(api):
    app_id = api.app("Acme Support")["id"]
    key = api.key("Acme")
    client = sc.ApiClient(sc.Configuration(host=api.url, username=key["id"], password=key["secret"]))
    switchboards = sc.SwitchboardsApi(client)
    switchboard = switchboards.create_switchboard(app_id).switchboard
    assert switchboard.enabled is False
    with pytest.raises(BadRequestException) as refused:
        switchboards.create_switchboard(app_id)
    assert refused.value.data.errors[0].title == "Only one switchboard can be created per app"

    links = sc.SwitchboardIntegrationsApi(client)
    bot = links.create_switchboard_integration(app_id, switchboard.id, sc.SwitchboardIntegrationCreateBody(
        name="bot", integration_id=BOT, deliver_standby_events=False)).switchboard_integration
    assert bot.integration_type == "custom" and bot.deliver_standby_events is False
    updated = links.update_switchboard_integration(app_id, switchboard.id, bot.id, sc.SwitchboardIntegrationUpdateBody(
        message_history_count=3)).switchboard_integration
    assert updated.message_history_count == 3
    assert [s.name for s in links.list_switchboard_integrations(app_id, switchboard.id).switchboard_integrations] == ["bot"]

    enabled = switchboards.update_switchboard(app_id, switchboard.id, sc.SwitchboardUpdateBody(
        enabled=True, default_switchboard_integration_id=bot.id)).switchboard
    assert enabled.enabled is True and enabled.default_switchboard_integration_id == bot.id
    assert [s.id for s in switchboards.list_switchboards(app_id).switchboards] == [switchboard.id]
    with pytest.raises(NotFoundException):
        links.delete_switchboard_integration(app_id, switchboard.id, "0" * 24)
    assert switchboards.delete_switchboard(app_id, switchboard.id) == {}
