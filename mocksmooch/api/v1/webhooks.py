"""v1.1 webhooks: create, list, get, update and delete, under /apps/<app_id>/webhooks and
the app-less /webhooks.

One store with v2: a v1 webhook is a `webhook` record of an integration, with the v1
triggers and `version` "v1.1" ("v1" when created under /v1: "Webhooks naturally follow the
same version and payload schema as the API"), and the v1 booleans kept in the v2 fields
(`includeFullAppUser` in `includeFullUser`, `includeClient` in `includeFullSource`), so the
v2 integration routes list it too.  Whose integration it is depends on the caller:

- an integration credential: its own ("only webhooks created for the integration will be
  visible", smooch-auth.md 4.4), and it sees only those;
- an app or account credential: the custom integration "Webhooks" that the mock adds to the
  app with its first such webhook and removes with its last (the official v2 clients refuse
  a custom integration without webhooks); these callers see every v1 webhook of the app.

v1 routes see v1-era webhooks only (version v1 or v1.1): a v2 webhook's triggers mean
nothing in v1.  The mock delivers v2 webhooks only (`mocksmooch.webhooks`): v1 webhooks are
kept and listed, never called.
"""
from __future__ import annotations

from flask import jsonify, request

from ... import ids
from ...domain import integrations as rules
from ..bodies import json_body
from ..errors import bad_request
from ..guard import mock, principal
from . import app_route, not_found, with_status

SCOPES = ("account", "app", "integration")
V1_VERSIONS = ("v1", "v1.1")
HOLDER_NAME = "Webhooks"   # displayName of the custom integration holding app-level v1 webhooks
HOLDER_MARK = "v1Webhooks"  # set on that integration's record, so it is found again

# The WebhookTriggers enum of the v1.1 description (smooch 5.34 models), then the triggers of
# the earlier v1 documentation that it no longer lists, and `*` ("when any of the above
# triggers occurs").  Case sensitive.
V1_TRIGGERS = (
    "appUser:delete", "client:add", "client:remove", "conversation:read", "conversation:referral",
    "conversation:start", "link:failure", "link:match", "link:success", "merge:appUser",
    "message:appMaker", "message:appUser", "message:delivery:channel", "message:delivery:failure",
    "message:delivery:user", "notification:delivery:channel", "notification:delivery:failure",
    "notification:delivery:user", "payment:success", "postback", "typing:appUser",
    "message", "delivery:success", "delivery:failure",
    "*",
)
DEFAULT_TRIGGERS = ("message:appUser",)
FIELDS = ("target", "triggers", "includeClient", "includeFullAppUser")
READ_ONLY = ("_id", "secret", "version")  # sent back by clients that PUT what they read: ignored


def render_webhook(webhook: dict) -> dict:
    """The v1 Webhook: `_id`, and the v1 names of the two booleans."""
    return {"_id": webhook["id"], "target": webhook["target"], "triggers": list(webhook["triggers"]),
            "secret": webhook["secret"], "version": webhook.get("version") or "v1.1",
            "includeClient": bool(webhook.get("includeFullSource")),
            "includeFullAppUser": bool(webhook.get("includeFullUser"))}


@app_route("/webhooks", "POST", *SCOPES)
def create_webhook(app_id):
    fields = _webhook_fields(json_body(), creating=True)
    store = mock().store
    with store.transaction():
        if len(rules.webhooks_of_app(store, app_id)) >= rules.MAX_WEBHOOKS_PER_APP:
            raise bad_request(f"An app is limited to {rules.MAX_WEBHOOKS_PER_APP} webhooks")
        integration = _owner_integration(app_id)
        webhook = {"id": ids.object_id(), "appId": app_id, "integrationId": integration["id"],
                   "version": "v1" if request.path.startswith("/v1/") else "v1.1",
                   **fields, "secret": rules.webhook_secret()}
        store.insert("webhook", webhook, parent=integration["id"])
    return with_status({"webhook": render_webhook(webhook)}, 201)


@app_route("/webhooks", "GET", *SCOPES)
def list_webhooks(app_id):
    return jsonify({"webhooks": [render_webhook(webhook) for webhook in _visible(app_id)]})


@app_route("/webhooks/<webhook_id>", "GET", *SCOPES)
def get_webhook(app_id, webhook_id):
    return jsonify({"webhook": render_webhook(_webhook(app_id, webhook_id))})


@app_route("/webhooks/<webhook_id>", "PUT", *SCOPES)
def update_webhook(app_id, webhook_id):
    fields = _webhook_fields(json_body(), creating=False)
    webhook = _webhook(app_id, webhook_id)
    webhook.update(fields)
    mock().store.update("webhook", webhook)
    return jsonify({"webhook": render_webhook(webhook)})


@app_route("/webhooks/<webhook_id>", "DELETE", *SCOPES)
def delete_webhook(app_id, webhook_id):
    """The "Webhooks" integration goes with its last webhook."""
    webhook = _webhook(app_id, webhook_id)
    store = mock().store
    with store.transaction():
        store.delete("webhook", webhook["id"])
        holder = store.get("integration", webhook["integrationId"])
        if holder is not None and holder.get(HOLDER_MARK) and not store.count("webhook", holder["id"]):
            store.delete("integration", holder["id"])
    return jsonify({})


# --- whose webhooks ---------------------------------------------------------------------------

def _owner_integration(app_id: str) -> dict:
    """The integration a new webhook of this caller belongs to (see the module docstring)."""
    caller = principal()
    store = mock().store
    if caller.scope == "integration":
        return store.get("integration", caller.integration_id)
    holder = _holder(app_id)
    if holder is None:
        holder = {"id": ids.object_id(), "appId": app_id, "type": "custom", "status": "active",
                  "displayName": HOLDER_NAME, HOLDER_MARK: True}
        store.insert("integration", holder, parent=app_id)
    return holder


def _holder(app_id: str) -> dict | None:
    return next((integration for integration in mock().store.children("integration", app_id)
                 if integration.get(HOLDER_MARK)), None)


def _visible(app_id: str) -> list[dict]:
    """The v1 webhooks this caller may see: an integration's own, or all of the app's."""
    caller = principal()
    store = mock().store
    if caller.scope == "integration":
        webhooks = store.children("webhook", caller.integration_id)
    else:
        webhooks = rules.webhooks_of_app(store, app_id)
    return [webhook for webhook in webhooks if webhook.get("version") in V1_VERSIONS]


def _webhook(app_id: str, webhook_id: str) -> dict:
    webhook = mock().store.get("webhook", webhook_id)
    caller = principal()
    visible = (webhook is not None and webhook.get("appId") == app_id
               and webhook.get("version") in V1_VERSIONS
               and (caller.scope != "integration" or webhook["integrationId"] == caller.integration_id))
    if not visible:
        raise not_found("Webhook", f"no v1 webhook {webhook_id[:64]!r} in app {app_id} visible to this "
                                   f"{caller.scope} credential")
    return webhook


# --- request bodies ---------------------------------------------------------------------------

def _webhook_fields(body: dict, *, creating: bool) -> dict:
    """The stored (v2-named) fields from a WebhookCreate or WebhookUpdate body."""
    for name in body:
        if name not in FIELDS and name not in READ_ONLY:
            raise bad_request(f"should NOT have additional property '{name}'")
    fields: dict = {}
    if creating and "target" not in body:
        raise bad_request("should have required property 'target'")
    if "target" in body:
        try:  # the URL rule is the one v2 applies
            fields.update(rules.webhook_fields({"target": body["target"]}, creating=False))
        except rules.Invalid as error:
            raise bad_request(str(error)) from None
    if "triggers" in body:
        fields["triggers"] = _triggers(body["triggers"])
    elif creating:
        fields["triggers"] = list(DEFAULT_TRIGGERS)
    for v1_name, v2_name in (("includeClient", "includeFullSource"), ("includeFullAppUser", "includeFullUser")):
        if v1_name in body:
            if not isinstance(body[v1_name], bool):
                raise bad_request(f"{v1_name} should be boolean")
            fields[v2_name] = body[v1_name]
        elif creating:
            fields[v2_name] = False
    return fields


def _triggers(triggers) -> list[str]:
    if not isinstance(triggers, list) or not all(isinstance(trigger, str) for trigger in triggers):
        raise bad_request("triggers should be array of strings")
    if not triggers:
        raise bad_request("triggers should NOT have fewer than 1 items")
    for trigger in triggers:
        if trigger not in V1_TRIGGERS:
            raise bad_request(f"Invalid trigger '{trigger[:64]}'")
    return list(dict.fromkeys(triggers))
