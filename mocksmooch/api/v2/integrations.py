"""v2 integrations, custom-integration API keys, and webhooks.

Integrations are the app's channels (web, ios, messenger, ...) and its custom
integrations; a custom integration owns API keys (`int_`, real credentials from the moment
they are created) and webhooks.  The type rules (fields, secrets, defaults) are in
`mocksmooch.domain.integrations`; this module reads requests and renders v2 bodies.

Webhooks take `app` or `integration` scope only.  An integration credential works on its
own integration, by id or as `integrations/me`; naming another integration is a 403.
"""
from __future__ import annotations

from flask import jsonify

from ... import auth, ids
from ...domain import integrations as rules
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock, principal, requires
from ..pagination import paginate, query_object
from . import v2
from .common import created, find_app

ME = "me"


# --- rendering ------------------------------------------------------------------------------

def render_integration(integration: dict) -> dict:
    """The v2 integration: base fields, then the type's own (never its write-only secrets)."""
    rendered = {"id": integration["id"], "type": integration["type"],
                "status": integration.get("status") or "active"}
    if integration.get("displayName") is not None:
        rendered["displayName"] = integration["displayName"]
    rendered.update(rules.render_fields(integration))
    if integration["type"] == "custom":
        rendered["webhooks"] = [render_webhook(webhook)
                                for webhook in mock().store.children("webhook", integration["id"])]
    elif integration["type"] in rules.INTEGRATION_TYPES:
        responder = _default_responder(integration)
        if responder is not None:
            rendered["defaultResponder"] = responder
    return rendered


def render_webhook(webhook: dict) -> dict:
    return {"id": webhook["id"], "version": webhook.get("version") or "v2", "target": webhook["target"],
            "triggers": list(webhook["triggers"]), "secret": webhook["secret"],
            "includeFullUser": bool(webhook.get("includeFullUser")),
            "includeFullSource": bool(webhook.get("includeFullSource"))}


def render_key(key: dict) -> dict:
    return {"id": key["id"], "displayName": key["name"], "secret": key["secret"]}


def _default_responder(integration: dict) -> dict | None:
    """The switchboard integration answering on this channel: its own `defaultResponderId`,
    else the switchboard's default (`inherited`)."""
    store = mock().store
    switchboard = next(iter(store.children("switchboard", integration["appId"])), None)
    if switchboard is None:
        return None
    own = integration.get("defaultResponderId")
    responder_id = own or switchboard.get("defaultSwitchboardIntegrationId")
    responder = store.get("switchboardIntegration", responder_id) if responder_id else None
    if responder is None or responder.get("switchboardId") != switchboard["id"]:
        return None
    rendered = {"name": responder["name"], "integrationId": responder["integrationId"],
                "integrationType": responder["integrationType"],
                "deliverStandbyEvents": responder["deliverStandbyEvents"]}
    if responder.get("nextSwitchboardIntegrationId") is not None:
        rendered["nextSwitchboardIntegrationId"] = responder["nextSwitchboardIntegrationId"]
    if responder.get("messageHistoryCount") is not None:
        rendered["messageHistoryCount"] = responder["messageHistoryCount"]
    rendered["inherited"] = not own
    return rendered


# --- integrations ---------------------------------------------------------------------------

@v2.post("/apps/<app_id>/integrations")
@requires("account", "app")
def create_integration(app_id):
    body = json_body()
    integration_type, fields = _checked(rules.creation_fields, body)
    integration = {"id": ids.object_id(), "appId": app_id, "type": integration_type, "status": "active"}
    name = _checked(rules.display_name, body)
    if name is not None:
        integration["displayName"] = name
    integration.update(fields)
    _check_responder(app_id, integration.get("defaultResponderId"))
    webhooks = _custom_webhooks(body) if integration_type == "custom" else []
    if "webhooks" in body and integration_type != "custom":
        raise bad_request("should NOT have additional property 'webhooks'")
    store = mock().store
    with store.transaction():
        _check_webhook_room(app_id, len(webhooks))
        store.insert("integration", integration, parent=app_id)
        for webhook in webhooks:
            _insert_webhook(integration, webhook)
    return created({"integration": render_integration(integration)})


@v2.get("/apps/<app_id>/integrations")
@requires("account", "app")
def list_integrations(app_id):
    # OAuth authorizations are integrations inside the mock (their tokens act as them), and
    # v1.1 creates types v2 does not know: no v2 schema describes them, the official client
    # cannot read them.
    integrations = [i for i in mock().store.children("integration", app_id) if rules.shown_in_v2(i)]
    types = query_object("filter").get("types")
    if types is not None:
        wanted = {name.strip() for name in types.split(",") if name.strip()}
        integrations = [i for i in integrations if i["type"] in wanted]
    return jsonify(paginate([render_integration(i) for i in integrations], "integrations"))


@v2.get("/apps/<app_id>/integrations/<integration_id>")
@requires("account", "app")
def get_integration(app_id, integration_id):
    integration = find_integration(app_id, integration_id)
    if not rules.shown_in_v2(integration):
        raise ApiError(404, "integration_not_found", "Integration not found",
                       f"{integration_id} is an OAuth authorization or a v1.1-only type, not a v2 integration")
    return jsonify({"integration": render_integration(integration)})


@v2.patch("/apps/<app_id>/integrations/<integration_id>")
@requires("account", "app")
def update_integration(app_id, integration_id):
    body = json_body()
    integration = find_integration(app_id, integration_id)
    changes = _checked(rules.update_fields, integration["type"], body)
    if "displayName" in body:
        changes["displayName"] = _checked(rules.display_name, body)
    if "defaultResponderId" in changes:
        _check_responder(app_id, changes["defaultResponderId"])
    for name, value in changes.items():
        if value is None:
            integration.pop(name, None)
        else:
            integration[name] = value
    mock().store.update("integration", integration)
    return jsonify({"integration": render_integration(integration)})


@v2.delete("/apps/<app_id>/integrations/<integration_id>")
@requires("account", "app")
def delete_integration(app_id, integration_id):
    """Its keys, webhooks and switchboard links go with it (domain.integrations)."""
    rules.remove_integration(mock().store, find_integration(app_id, integration_id))
    return jsonify({})


def find_integration(app_id: str, integration_id: str) -> dict:
    integration = mock().store.get_of_app("integration", integration_id, app_id)
    if integration is None:
        raise ApiError(404, "integration_not_found", "Integration not found",
                       f"app {app_id} has no integration {integration_id[:64]!r}")
    return integration


def _check_responder(app_id: str, responder_id: str | None) -> None:
    if responder_id is None:
        return
    responder = mock().store.get_of_app("switchboardIntegration", responder_id, app_id)
    if responder is None:
        raise ApiError(400, "bad_request", "defaultResponderId must be the id of a switchboard integration",
                       f"app {app_id} has no switchboard integration {responder_id[:64]!r}")


def _custom_webhooks(body: dict) -> list[dict]:
    """A custom integration is created with its one webhook (`webhooks`: minItems 1, maxItems 1)."""
    webhooks = field(body, "webhooks", list, required=True)
    if len(webhooks) != 1:
        raise bad_request("webhooks should NOT have "
                          + ("fewer than 1 items" if not webhooks else "more than 1 items"))
    if not isinstance(webhooks[0], dict):
        raise bad_request("webhooks[0] should be object")
    return [_checked(rules.webhook_fields, webhooks[0], creating=True)]


def _checked(rule, *args, **kwargs):
    """Run a domain rule; its Invalid is the API's 400 bad_request."""
    try:
        return rule(*args, **kwargs)
    except rules.Invalid as error:
        raise bad_request(str(error)) from None


# --- custom integration API keys ------------------------------------------------------------

@v2.post("/apps/<app_id>/integrations/<integration_id>/keys")
@requires("account", "app")
def create_integration_key(app_id, integration_id):
    body = json_body()
    integration = _custom_integration(app_id, integration_id)
    name = field(body, "displayName", str, required=True, non_empty=True)
    if len(name) > rules.DISPLAY_NAME_MAX:
        raise bad_request(f"displayName should NOT be longer than {rules.DISPLAY_NAME_MAX} characters")
    store = mock().store
    key = {"id": ids.key_id(auth.KEY_PREFIXES["integration"]), "secret": ids.secret(), "name": name,
           "owner": "integration", "accountId": find_app(app_id)["accountId"], "appId": app_id,
           "integrationId": integration["id"]}
    with store.transaction():
        if len(store.children("key", integration["id"])) >= rules.MAX_KEYS_PER_INTEGRATION:
            raise bad_request(f"An integration can have a maximum of {rules.MAX_KEYS_PER_INTEGRATION} keys")
        store.insert("key", key, parent=integration["id"])
    return created({"key": render_key(key)})


@v2.get("/apps/<app_id>/integrations/<integration_id>/keys")
@requires("account", "app")
def list_integration_keys(app_id, integration_id):
    integration = _custom_integration(app_id, integration_id)
    return jsonify({"keys": [render_key(key) for key in mock().store.children("key", integration["id"])]})


@v2.get("/apps/<app_id>/integrations/<integration_id>/keys/<key_id>")
@requires("account", "app")
def get_integration_key(app_id, integration_id, key_id):
    return jsonify({"key": render_key(_integration_key(app_id, integration_id, key_id))})


@v2.delete("/apps/<app_id>/integrations/<integration_id>/keys/<key_id>")
@requires("account", "app")
def delete_integration_key(app_id, integration_id, key_id):
    """The key stops authenticating at once: the auth core reads keys from the store."""
    mock().store.delete("key", _integration_key(app_id, integration_id, key_id)["id"])
    return jsonify({})


def _custom_integration(app_id: str, integration_id: str) -> dict:
    integration = find_integration(app_id, integration_id)
    if integration["type"] != "custom":
        raise ApiError(400, "bad_request", "API keys are available only for custom integrations",
                       f"integration {integration['id']} is of type {integration['type']}")
    return integration


def _integration_key(app_id: str, integration_id: str, key_id: str) -> dict:
    integration = _custom_integration(app_id, integration_id)
    key = mock().store.get("key", key_id)
    if key is None or key.get("integrationId") != integration["id"] or key["owner"] != "integration":
        raise ApiError(404, "not_found", "Key not found",
                       f"integration {integration['id']} has no key {key_id[:64]!r}")
    return key


# --- webhooks -------------------------------------------------------------------------------

@v2.post("/apps/<app_id>/integrations/<integration_id>/webhooks")
@requires("app", "integration")
def create_webhook(app_id, integration_id):
    body = json_body()
    integration = _webhook_integration(app_id, integration_id)
    fields = _checked(rules.webhook_fields, body, creating=True)
    store = mock().store
    with store.transaction():
        _check_webhook_room(app_id, 1)
        webhook = _insert_webhook(integration, fields)
    return created({"webhook": render_webhook(webhook)})


@v2.get("/apps/<app_id>/integrations/<integration_id>/webhooks")
@requires("app", "integration")
def list_webhooks(app_id, integration_id):
    integration = _webhook_integration(app_id, integration_id)
    return jsonify({"webhooks": [render_webhook(w) for w in mock().store.children("webhook", integration["id"])]})


@v2.get("/apps/<app_id>/integrations/<integration_id>/webhooks/<webhook_id>")
@requires("app", "integration")
def get_webhook(app_id, integration_id, webhook_id):
    return jsonify({"webhook": render_webhook(_find_webhook(app_id, integration_id, webhook_id))})


@v2.patch("/apps/<app_id>/integrations/<integration_id>/webhooks/<webhook_id>")
@requires("app", "integration")
def update_webhook(app_id, integration_id, webhook_id):
    body = json_body()
    webhook = _find_webhook(app_id, integration_id, webhook_id)
    webhook.update(_checked(rules.webhook_fields, body, creating=False))
    mock().store.update("webhook", webhook)
    return jsonify({"webhook": render_webhook(webhook)})


@v2.delete("/apps/<app_id>/integrations/<integration_id>/webhooks/<webhook_id>")
@requires("app", "integration")
def delete_webhook(app_id, integration_id, webhook_id):
    mock().store.delete("webhook", _find_webhook(app_id, integration_id, webhook_id)["id"])
    return jsonify({})


def _webhook_integration(app_id: str, integration_id: str) -> dict:
    """The integration of a webhook route: `me` or its own id for an integration credential
    (any other is a 403: it cannot see other integrations' webhooks), any integration of the
    app for an app credential."""
    caller = principal()
    own = caller.integration_id if caller.scope == "integration" else None
    if integration_id == ME:
        if own is None:
            raise ApiError(404, "integration_not_found", "Integration not found",
                           "integrations/me names the calling integration; this credential is not one")
        integration_id = own
    elif caller.scope == "integration" and integration_id != own:
        raise ApiError(403, "forbidden", "Forbidden",
                       f"integration credential of {own} may not use the webhooks of integration "
                       f"{integration_id[:64]!r}")
    integration = find_integration(app_id, integration_id)
    if not rules.accepts_webhooks(integration):
        raise ApiError(400, "bad_request", "Bad request",
                       f"integration {integration['id']} is of type {integration['type']}; only custom "
                       "and Sunshine Conversations Connect integrations have webhooks")
    return integration


def _find_webhook(app_id: str, integration_id: str, webhook_id: str) -> dict:
    integration = _webhook_integration(app_id, integration_id)
    webhook = mock().store.get("webhook", webhook_id)
    if webhook is None or webhook.get("integrationId") != integration["id"]:
        raise ApiError(404, "not_found", "Resource not found",
                       f"integration {integration['id']} has no webhook {webhook_id[:64]!r}")
    return webhook


def _insert_webhook(integration: dict, fields: dict) -> dict:
    webhook = {"id": ids.object_id(), "appId": integration["appId"], "integrationId": integration["id"],
               "version": "v2", **fields, "secret": rules.webhook_secret()}
    mock().store.insert("webhook", webhook, parent=integration["id"])
    return webhook


def _check_webhook_room(app_id: str, adding: int) -> None:
    if len(rules.webhooks_of_app(mock().store, app_id)) + adding > rules.MAX_WEBHOOKS_PER_APP:
        raise ApiError(400, "bad_request", f"An app is limited to {rules.MAX_WEBHOOKS_PER_APP} webhooks",
                       f"app {app_id} has {rules.MAX_WEBHOOKS_PER_APP} webhooks already")
