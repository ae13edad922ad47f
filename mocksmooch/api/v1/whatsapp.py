"""v1.1 WhatsApp deployments: the WhatsApp API client a business runs (hosted by Smooch,
or self hosted) before it can create a WhatsApp integration.  They belong to the account,
not to an app, so only account-scoped credentials (user account and service account keys)
manage them, and each account sees its own.

The mock runs no WhatsApp client and sends no SMS, so a deployment moves through its
states at once:

    create -> unregistered --activate--> pending --confirm (any 6 digits)--> registered
    (the `smooch` client's Deployment status values; `integrated` once an integration uses it)

Record: `deployment` under the account: accountId, hosting, status, baseUrl?, username?,
password? (never shown), callbackUrl?, callbackSecret?, phoneNumber?, method?,
integrationId?, appId?, createdAt.
"""
from __future__ import annotations

import re
import secrets

from flask import jsonify

from ... import ids
from ...clock import rfc3339
from ..bodies import field, json_body
from ..errors import bad_request
from ..guard import mock, principal, requires
from . import not_found, v1

HOSTINGS = ("smooch", "self")
SELF_HOSTED_FIELDS = ("baseUrl", "username", "password")
METHODS = ("sms", "voice")
PHONE = re.compile(r"^\+[0-9]{7,15}$")
CODE = re.compile(r"^[0-9]{6}$")
URL = re.compile(r"^https?://\S+$")


def render_deployment(deployment: dict) -> dict:
    rendered = {"_id": deployment["id"], "status": deployment["status"], "hosting": deployment["hosting"]}
    if deployment["hosting"] == "self":
        rendered.update(baseUrl=deployment["baseUrl"], username=deployment["username"])
    if deployment["status"] in ("registered", "integrated"):  # "Only present once ... registered."
        rendered["phoneNumber"] = deployment["phoneNumber"]
    for name in ("callbackUrl", "callbackSecret", "integrationId", "appId"):
        if deployment.get(name) is not None:
            rendered[name] = deployment[name]
    return rendered


def _deployment(deployment_id: str) -> dict:
    deployment = mock().store.get("deployment", deployment_id)
    if deployment is None or deployment["accountId"] != principal().account_id:
        raise not_found("Deployment", f"no deployment {deployment_id[:64]!r} in the caller's account")
    return deployment


@v1.post("/whatsapp/deployments")
@requires("account")
def create_deployment():
    body = json_body()
    hosting = field(body, "hosting", str, required=True)
    if hosting not in HOSTINGS:
        raise bad_request(f"hosting should be equal to one of the allowed values: {', '.join(HOSTINGS)}")
    deployment = {"id": ids.object_id(), "accountId": principal().account_id, "hosting": hosting,
                  "status": "unregistered", "createdAt": rfc3339(mock().clock.now())}
    for name in SELF_HOSTED_FIELDS:
        value = field(body, name, str, required=hosting == "self", non_empty=True)
        if value is not None and hosting != "self":
            raise bad_request(f"{name} is only accepted for self hosted deployments")
        deployment[name] = value
    if deployment["baseUrl"] is not None and not URL.match(deployment["baseUrl"]):
        raise bad_request("baseUrl should match format \"uri\"")
    callback_url = field(body, "callbackUrl", str)
    if callback_url is not None:
        if not URL.match(callback_url):
            raise bad_request("callbackUrl should match format \"uri\"")
        deployment.update(callbackUrl=callback_url, callbackSecret=secrets.token_urlsafe(18))
    mock().store.insert("deployment", deployment, parent=deployment["accountId"])
    response = jsonify({"deployment": render_deployment(deployment)})
    response.status_code = 201
    return response


@v1.get("/whatsapp/deployments")
@requires("account")
def list_deployments():
    deployments = mock().store.children("deployment", principal().account_id)
    return jsonify({"deployments": [render_deployment(deployment) for deployment in deployments]})


@v1.get("/whatsapp/deployments/<deployment_id>")
@requires("account")
def get_deployment(deployment_id):
    return jsonify({"deployment": render_deployment(_deployment(deployment_id))})


@v1.delete("/whatsapp/deployments/<deployment_id>")
@requires("account")
def delete_deployment(deployment_id):
    """Gone at once, so 200 `{}` (the description also allows a 202 with the deployment,
    for a teardown still in progress, which the mock never has)."""
    mock().store.delete("deployment", _deployment(deployment_id)["id"])
    return jsonify({})


@v1.post("/whatsapp/deployments/<deployment_id>/activate")
@requires("account")
def activate_phone_number(deployment_id):
    """Ask WhatsApp for a registration code for `phoneNumber`; again, while one is awaited."""
    body = json_body()
    deployment = _deployment(deployment_id)
    phone_number = re.sub(r"[\s().-]", "", field(body, "phoneNumber", str, required=True))
    if not PHONE.match(phone_number):
        raise bad_request("phoneNumber must contain the + prefix and the country code")
    field(body, "verifiedNameCertificate", str, required=True, non_empty=True)
    method = field(body, "method", str, required=True)
    if method not in METHODS:
        raise bad_request(f"method should be equal to one of the allowed values: {', '.join(METHODS)}")
    if deployment["status"] not in ("unregistered", "pending"):
        raise bad_request(f"Deployment is {deployment['status']}; only an unregistered deployment can be activated")
    deployment.update(status="pending", phoneNumber=phone_number, method=method)
    mock().store.update("deployment", deployment)
    return jsonify({"deployment": render_deployment(deployment)})


@v1.post("/whatsapp/deployments/<deployment_id>/code/confirm")
@requires("account")
def confirm_code(deployment_id):
    """Complete the registration with the code WhatsApp sent; the mock sent none, so any
    six digits will do."""
    body = json_body()
    deployment = _deployment(deployment_id)
    code = field(body, "code", str, required=True)
    if not CODE.match(code):
        raise bad_request("code must be the 6 digits WhatsApp sent")
    if deployment["status"] != "pending":
        raise bad_request(f"Deployment is {deployment['status']}; no code was requested")
    deployment["status"] = "registered"
    mock().store.update("deployment", deployment)
    return jsonify({"deployment": render_deployment(deployment)})
