"""v1.1 integrations: create, list, get, update and delete an app's channels, and a
channel's own persistent menu and (WhatsApp) business profile, under
/apps/<app_id>/integrations and the app-less /integrations.

The records are v2's (`integration` under the app, one store): the type rules (fields,
write-only secrets, defaults) are `mocksmooch.domain.integrations`', so an integration made
here reads back through v2 and the other way round.  v1 renders it with `_id` and the same
field names, never a write-only secret.  Callers: `account` (any app of its account or
grant) and `app` (its own); not `integration` ("`/v1/integrations/*` no", smooch-auth.md 4.4).

What v1 adds to the record: `deploymentId` (a WhatsApp integration is made from a registered
deployment of `/v1.1/whatsapp/deployments`, whose `phoneNumber` it takes and which records
the integration in turn), `profile` (the WhatsApp business profile), and a `menu` record
under the integration (alt "menu"), validated like the app menu.
"""
from __future__ import annotations

from flask import jsonify, request

from ... import ids
from ...domain import integrations as rules
from ..bodies import field, json_body
from ..errors import bad_request
from ..guard import mock
from ..v2.common import find_app
from . import app_route, find_integration, not_found, offset_page, with_status
from .menus import render_menu, save_menu
from .messages import save_v1_upload

SCOPES = ("account", "app")
NOT_V1 = ("webhooks", "defaultResponderId", "showAIDisclaimer")  # v2-only properties
# Fields v1 may change that the v2 update schema of the type does not list.
V1_UPDATABLE = {"line": ("channelId", "channelSecret", "serviceCode", "switcherSecret", "qrCodeUrl")}
PROFILE_STRINGS = ("about", "address", "description", "email", "photoUrl", "vertical")
MAX_WEBSITES = 2  # WhatsApp business profiles list at most two websites


def render_integration(integration: dict) -> dict:
    rendered = {"_id": integration["id"], "type": integration["type"],
                "status": integration.get("status") or "active"}
    if integration.get("displayName") is not None:
        rendered["displayName"] = integration["displayName"]
    rendered.update(rules.render_fields(integration))
    if integration.get("deploymentId") is not None:
        rendered["deploymentId"] = integration["deploymentId"]
    return rendered


# --- integrations -----------------------------------------------------------------------------

@app_route("/integrations", "POST", *SCOPES)
def create_integration(app_id):
    """Any channel type of the domain; not `custom`, which v1 cannot make (v2 makes it with
    its webhook)."""
    body = json_body()
    for name in NOT_V1:
        if name in body:
            raise bad_request(f"should NOT have additional property '{name}'")
    if body.get("type") == "custom":
        raise bad_request("Invalid integration type")
    deployment = _deployment(app_id, body) if body.get("type") == "whatsapp" else None
    integration_type, fields = _checked(rules.creation_fields,
                                        {k: v for k, v in body.items() if k != "deploymentId"}, v1=True)
    integration = {"id": ids.object_id(), "appId": app_id, "type": integration_type, "status": "active"}
    name = _checked(rules.display_name, body)
    if name is not None:
        integration["displayName"] = name
    integration.update(fields)
    store = mock().store
    with store.transaction():
        if deployment is not None:
            integration.update(deploymentId=deployment["id"], phoneNumber=deployment["phoneNumber"])
            deployment.update(integrationId=integration["id"], appId=app_id, status="integrated")
            store.update("deployment", deployment)
        store.insert("integration", integration, parent=app_id)
    return with_status({"integration": render_integration(integration)}, 201)


@app_route("/integrations", "GET", *SCOPES)
def list_integrations(app_id):
    """`types`: a comma-separated filter (`?types=twilio,line`)."""
    integrations = mock().store.children("integration", app_id)
    types = request.args.get("types")
    if types is not None:
        wanted = {name.strip() for name in types.split(",") if name.strip()}
        integrations = [integration for integration in integrations if integration["type"] in wanted]
    return jsonify(offset_page([render_integration(i) for i in integrations], "integrations"))


@app_route("/integrations/<integration_id>", "GET", *SCOPES)
def get_integration(app_id, integration_id):
    return jsonify({"integration": render_integration(find_integration(app_id, integration_id))})


@app_route("/integrations/<integration_id>", "PUT", *SCOPES)
def update_integration(app_id, integration_id):
    body = json_body()
    integration = find_integration(app_id, integration_id)
    for name in NOT_V1:
        if name in body:
            raise bad_request(f"should NOT have additional property '{name}'")
    extra = V1_UPDATABLE.get(integration["type"], ())
    changes = _checked(rules.update_fields, integration["type"],
                       {k: v for k, v in body.items() if k not in extra})
    for name in extra:
        if name in body:  # validated by the type's own field rule
            changes[name] = _checked(rules.creation_fields, {"type": integration["type"], name: body[name]})[1][name]
    if "displayName" in body:
        changes["displayName"] = _checked(rules.display_name, body)
    for name, value in changes.items():
        if value is None:
            integration.pop(name, None)
        else:
            integration[name] = value
    mock().store.update("integration", integration)
    return jsonify({"integration": render_integration(integration)})


@app_route("/integrations/<integration_id>", "DELETE", *SCOPES)
def delete_integration(app_id, integration_id):
    """As in v2: keys, webhooks, menu and switchboard links go with it (domain.integrations)."""
    rules.remove_integration(mock().store, find_integration(app_id, integration_id))
    return jsonify({})


def _deployment(app_id: str, body: dict) -> dict:
    """The registered, unused WhatsApp deployment of the app's account named by `deploymentId`."""
    deployment_id = field(body, "deploymentId", str, required=True, non_empty=True)
    store = mock().store
    deployment = store.get("deployment", deployment_id)
    if deployment is None or deployment["accountId"] != find_app(app_id)["accountId"]:
        raise not_found("Deployment", f"the account of app {app_id} has no deployment {deployment_id[:64]!r}")
    in_use = deployment.get("integrationId")
    if in_use is not None and store.get("integration", in_use) is not None:
        raise bad_request(f"Deployment {deployment_id} is already used by integration {in_use}")
    if deployment["status"] != "registered":
        raise bad_request(f"Deployment {deployment_id} is {deployment['status']}; "
                          "a WhatsApp integration needs a registered deployment")
    return deployment


def _checked(rule, *args, **kwargs):
    """Run a domain rule; its Invalid is the API's 400 bad_request."""
    try:
        return rule(*args, **kwargs)
    except rules.Invalid as error:
        raise bad_request(str(error)) from None


# --- the integration's menu -------------------------------------------------------------------

@app_route("/integrations/<integration_id>/menu", "GET", *SCOPES)
def get_integration_menu(app_id, integration_id):
    """No menu of its own: an empty one, as the app menu's GET answers."""
    find_integration(app_id, integration_id)
    return jsonify({"menu": render_menu(_menu(integration_id))})


@app_route("/integrations/<integration_id>/menu", "POST", *SCOPES)
def create_integration_menu(app_id, integration_id):
    return with_status({"menu": render_menu(_save_menu(app_id, integration_id))}, 201)


@app_route("/integrations/<integration_id>/menu", "PUT", *SCOPES)
def update_integration_menu(app_id, integration_id):
    return jsonify({"menu": render_menu(_save_menu(app_id, integration_id))})


@app_route("/integrations/<integration_id>/menu", "DELETE", *SCOPES)
def delete_integration_menu(app_id, integration_id):
    """The channel falls back to the app menu; `{}`, as documented."""
    find_integration(app_id, integration_id)
    existing = _menu(integration_id)
    if existing is not None:
        mock().store.delete("menu", existing["id"])
    return jsonify({})


def _menu(integration_id: str) -> dict | None:
    return mock().store.get_by_alt("menu", integration_id, "menu")


def _save_menu(app_id: str, integration_id: str) -> dict:
    """Create or replace the menu (POST and PUT both do: each is documented as "Create the
    specified integration's menu")."""
    body = json_body()
    find_integration(app_id, integration_id)
    return save_menu(integration_id, app_id, body, integrationId=integration_id)


# --- the integration's (WhatsApp business) profile ---------------------------------------------

@app_route("/integrations/<integration_id>/profile", "GET", *SCOPES)
def get_integration_profile(app_id, integration_id):
    return jsonify({"profile": _whatsapp(app_id, integration_id).get("profile") or {}})


@app_route("/integrations/<integration_id>/profile", "PUT", *SCOPES)
def update_integration_profile(app_id, integration_id):
    """The fields given replace the stored ones; null unsets one.  200 `{}` (the
    description gives this answer no body)."""
    body = json_body()
    integration = _whatsapp(app_id, integration_id)
    profile = dict(integration.get("profile") or {})
    for name, value in body.items():
        if name not in PROFILE_STRINGS and name != "websites":
            raise bad_request(f"should NOT have additional property '{name}'")
        if value is None:
            profile.pop(name, None)
            continue
        if name == "websites":
            if not isinstance(value, list) or not all(isinstance(site, str) for site in value):
                raise bad_request("websites should be array of strings")
            if len(value) > MAX_WEBSITES:
                raise bad_request(f"websites should NOT have more than {MAX_WEBSITES} items")
        elif not isinstance(value, str):
            raise bad_request(f"{name} should be string")
        profile[name] = value
    integration["profile"] = profile
    mock().store.update("integration", integration)
    return jsonify({})


@app_route("/integrations/<integration_id>/profile/photo", "PUT", *SCOPES)
def upload_integration_profile_photo(app_id, integration_id):
    """The multipart `source` image, kept as an attachment of the app and served by the mock
    (`mocksmooch.api.media`); its URL becomes the profile's `photoUrl`."""
    integration = _whatsapp(app_id, integration_id)
    attachment = save_v1_upload(app_id, container=None)
    if not attachment["mediaType"].startswith("image/"):
        mock().store.delete("attachment", attachment["id"])
        raise bad_request("source should be an image")
    integration["profile"] = {**(integration.get("profile") or {}), "photoUrl": attachment["mediaUrl"]}
    mock().store.update("integration", integration)
    return jsonify({"photoUrl": attachment["mediaUrl"]})


def _whatsapp(app_id: str, integration_id: str) -> dict:
    integration = find_integration(app_id, integration_id)
    if integration["type"] != "whatsapp":
        raise bad_request("Integration profiles are only available for WhatsApp integrations")
    return integration
