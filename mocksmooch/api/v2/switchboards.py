"""v2 switchboards and switchboard integrations.

One switchboard per app; it routes conversations between up to 10 switchboard integrations,
each linking an integration (a custom one by `integrationId`, an OAuth or Zendesk one by
`integrationType`) under a name unique in the switchboard.  The switchboard actions on
conversations (passControl, ...) belong to the conversations module.
"""
from __future__ import annotations

import hashlib

from flask import jsonify

from ... import ids
from ...domain import integrations as rules
from ...store import Conflict
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock, requires
from . import v2
from .common import created
from .integrations import find_integration


def render_switchboard(switchboard: dict) -> dict:
    rendered = {"id": switchboard["id"], "enabled": switchboard["enabled"]}
    if switchboard.get("defaultSwitchboardIntegrationId") is not None:
        rendered["defaultSwitchboardIntegrationId"] = switchboard["defaultSwitchboardIntegrationId"]
    return rendered


def render_switchboard_integration(linked: dict) -> dict:
    rendered = {"id": linked["id"], "name": linked["name"], "integrationId": linked["integrationId"],
                "integrationType": linked["integrationType"],
                "deliverStandbyEvents": linked["deliverStandbyEvents"]}
    for name in ("nextSwitchboardIntegrationId", "messageHistoryCount"):
        if linked.get(name) is not None:
            rendered[name] = linked[name]
    return rendered


# --- switchboards ---------------------------------------------------------------------------

@v2.post("/apps/<app_id>/switchboards")
@requires("account", "app")
def create_switchboard(app_id):
    """Created disabled, as the spec's example: integrations get every event until it is enabled."""
    json_body()  # the operation has no body; a malformed one is still a 400
    store = mock().store
    switchboard = {"id": ids.object_id(), "appId": app_id, "enabled": False}
    with store.transaction():
        if store.children("switchboard", app_id):
            raise bad_request("Only one switchboard can be created per app")
        store.insert("switchboard", switchboard, parent=app_id)
    return created({"switchboard": render_switchboard(switchboard)})


@v2.get("/apps/<app_id>/switchboards")
@requires("account", "app")
def list_switchboards(app_id):
    return jsonify({"switchboards": [render_switchboard(s) for s in mock().store.children("switchboard", app_id)]})


@v2.patch("/apps/<app_id>/switchboards/<switchboard_id>")
@requires("account", "app")
def update_switchboard(app_id, switchboard_id):
    body = json_body()
    switchboard = find_switchboard(app_id, switchboard_id)
    _no_other_fields(body, ("enabled", "defaultSwitchboardIntegrationId"))
    if "enabled" in body:
        switchboard["enabled"] = field(body, "enabled", bool)
    if "defaultSwitchboardIntegrationId" in body:
        default_id = field(body, "defaultSwitchboardIntegrationId", str)
        switchboard["defaultSwitchboardIntegrationId"] = _find_linked(switchboard, default_id)["id"]
    if switchboard["enabled"] and not switchboard.get("defaultSwitchboardIntegrationId"):
        raise ApiError(400, "bad_request", "Enabled switchboard must have an associated default switchboardIntegration",
                       f"switchboard {switchboard['id']} has no defaultSwitchboardIntegrationId")
    mock().store.update("switchboard", switchboard)
    return jsonify({"switchboard": render_switchboard(switchboard)})


@v2.delete("/apps/<app_id>/switchboards/<switchboard_id>")
@requires("account", "app")
def delete_switchboard(app_id, switchboard_id):
    """Its switchboard integrations go with it; the integrations they linked stay."""
    mock().store.delete("switchboard", find_switchboard(app_id, switchboard_id)["id"])
    return jsonify({})


def find_switchboard(app_id: str, switchboard_id: str) -> dict:
    switchboard = mock().store.get_of_app("switchboard", switchboard_id, app_id)
    if switchboard is None:
        raise ApiError(404, "switchboard_not_found", "Switchboard not found",
                       f"app {app_id} has no switchboard {switchboard_id[:64]!r}")
    return switchboard


# --- switchboard integrations ---------------------------------------------------------------

LINK_FIELDS = ("name", "integrationId", "integrationType", "deliverStandbyEvents",
               "nextSwitchboardIntegrationId", "messageHistoryCount")


@v2.post("/apps/<app_id>/switchboards/<switchboard_id>/switchboardIntegrations")
@requires("account", "app")
def create_switchboard_integration(app_id, switchboard_id):
    body = json_body()
    switchboard = find_switchboard(app_id, switchboard_id)
    _no_other_fields(body, LINK_FIELDS)
    if "name" not in body:
        raise bad_request("should have required property 'name'")
    linked = {"id": ids.object_id(), "appId": app_id, "switchboardId": switchboard["id"],
              "name": _checked(rules.switchboard_name, body["name"]),
              **_link(app_id, body, required=True),
              "deliverStandbyEvents": True}
    if "deliverStandbyEvents" in body:
        linked["deliverStandbyEvents"] = field(body, "deliverStandbyEvents", bool)
    _set_optional(switchboard, linked, body)
    store = mock().store
    with store.transaction():
        if len(store.children("switchboardIntegration", switchboard["id"])) >= rules.MAX_SWITCHBOARD_INTEGRATIONS:
            raise ApiError(400, "too_many_switchboard_integrations",
                           "Switchboard has reached the max number of switchboard integrations "
                           f"({rules.MAX_SWITCHBOARD_INTEGRATIONS})")
        _store(linked, insert=True)
    return created({"switchboardIntegration": render_switchboard_integration(linked)})


@v2.get("/apps/<app_id>/switchboards/<switchboard_id>/switchboardIntegrations")
@requires("account", "app")
def list_switchboard_integrations(app_id, switchboard_id):
    switchboard = find_switchboard(app_id, switchboard_id)
    linked = mock().store.children("switchboardIntegration", switchboard["id"])
    return jsonify({"switchboardIntegrations": [render_switchboard_integration(s) for s in linked]})


@v2.patch("/apps/<app_id>/switchboards/<switchboard_id>/switchboardIntegrations/<linked_id>")
@requires("account", "app")
def update_switchboard_integration(app_id, switchboard_id, linked_id):
    body = json_body()
    switchboard = find_switchboard(app_id, switchboard_id)
    linked = _find_linked(switchboard, linked_id)
    _no_other_fields(body, LINK_FIELDS)
    if "name" in body:
        linked["name"] = _checked(rules.switchboard_name, body["name"])
    linked.update(_link(app_id, body, required=False))
    if "deliverStandbyEvents" in body:
        linked["deliverStandbyEvents"] = field(body, "deliverStandbyEvents", bool)
    _set_optional(switchboard, linked, body)
    _store(linked, insert=False)
    return jsonify({"switchboardIntegration": render_switchboard_integration(linked)})


@v2.delete("/apps/<app_id>/switchboards/<switchboard_id>/switchboardIntegrations/<linked_id>")
@requires("account", "app")
def delete_switchboard_integration(app_id, switchboard_id, linked_id):
    """Refused for the switchboard's default and for one another's `next` names (spec)."""
    switchboard = find_switchboard(app_id, switchboard_id)
    linked = _find_linked(switchboard, linked_id)
    if switchboard.get("defaultSwitchboardIntegrationId") == linked["id"]:
        raise bad_request("The default switchboard integration cannot be deleted; choose a new default first")
    for other in mock().store.children("switchboardIntegration", switchboard["id"]):
        if other["id"] != linked["id"] and other.get("nextSwitchboardIntegrationId") == linked["id"]:
            raise bad_request("A switchboard integration referred to by another's "
                              "nextSwitchboardIntegrationId cannot be deleted")
    rules.unlink_switchboard_integration(mock().store, switchboard, linked)
    return jsonify({})


def _find_linked(switchboard: dict, linked_id: str) -> dict:
    linked = mock().store.get("switchboardIntegration", linked_id)
    if linked is None or linked.get("switchboardId") != switchboard["id"]:
        raise ApiError(404, "switchboard_integration_not_found", "SwitchboardIntegration not found",
                       f"switchboard {switchboard['id']} has no switchboard integration {linked_id[:64]!r}")
    return linked


def _link(app_id: str, body: dict, *, required: bool) -> dict:
    """`integrationId` and `integrationType` from one of them: a custom integration is
    linked by id; an OAuth or Zendesk integration (`zd:agentWorkspace`, a partner's client
    id) by type, with the app's integration of that type if it has one."""
    by_id, by_type = "integrationId" in body, "integrationType" in body
    if by_id and by_type:
        raise bad_request("Only one of integrationId or integrationType may be provided")
    if not by_id and not by_type:
        if required:
            raise bad_request("One of integrationId or integrationType must be provided")
        return {}
    if by_id:
        integration = find_integration(app_id, field(body, "integrationId", str, non_empty=True))
        if not rules.accepts_webhooks(integration):
            raise ApiError(400, "bad_request", "Only custom and OAuth integrations can be linked to a switchboard",
                           f"integration {integration['id']} is a {integration['type']} channel")
        return {"integrationId": integration["id"], "integrationType": integration["type"]}
    integration_type = field(body, "integrationType", str, non_empty=True)
    match = next((i for i in mock().store.children("integration", app_id) if i["type"] == integration_type), None)
    if match is not None:
        return {"integrationId": match["id"], "integrationType": integration_type}
    # No such integration in the mock: a stable stand-in id, the same for every link to this type.
    stand_in = hashlib.sha256(f"{app_id}:{integration_type}".encode()).hexdigest()[:24]
    return {"integrationId": stand_in, "integrationType": integration_type}


def _set_optional(switchboard: dict, linked: dict, body: dict) -> None:
    """`nextSwitchboardIntegrationId` and `messageHistoryCount`: null (or absent) unsets."""
    if "nextSwitchboardIntegrationId" in body:
        next_id = field(body, "nextSwitchboardIntegrationId", str, nullable=True)
        if next_id is None:
            linked.pop("nextSwitchboardIntegrationId", None)
        elif next_id == linked["id"]:
            raise bad_request("nextSwitchboardIntegrationId cannot refer to the switchboard integration itself")
        else:
            linked["nextSwitchboardIntegrationId"] = _find_linked(switchboard, next_id)["id"]
    if "messageHistoryCount" in body:
        count = _checked(rules.message_history_count, body["messageHistoryCount"])
        if count is None:
            linked.pop("messageHistoryCount", None)
        else:
            linked["messageHistoryCount"] = count


def _store(linked: dict, *, insert: bool) -> None:
    store = mock().store
    try:
        if insert:
            store.insert("switchboardIntegration", linked, parent=linked["switchboardId"], alt=linked["name"])
        else:
            store.update("switchboardIntegration", linked, alt=linked["name"])
    except Conflict:
        raise ApiError(400, "bad_request", "A switchboard integration with this name already exists",
                       f"switchboard {linked['switchboardId']} has a switchboard integration named "
                       f"{linked['name']!r}") from None


def _no_other_fields(body: dict, allowed: tuple[str, ...]) -> None:
    for name in body:
        if name not in allowed:
            raise bad_request(f"should NOT have additional property '{name}'")


def _checked(rule, *args):
    try:
        return rule(*args)
    except rules.Invalid as error:
        raise bad_request(str(error)) from None
