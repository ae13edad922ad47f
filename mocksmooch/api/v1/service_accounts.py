"""v1.1 service accounts and their keys: user account (`act_`) keys only."""
from __future__ import annotations

from flask import jsonify

from ... import ids
from ..bodies import field, json_body
from ..guard import mock, principal, requires
from . import not_found, offset_page, v1, with_status
from .apps import create_key, jwt_for, owned_key, render_key


# --- service accounts (user account keys only) ------------------------------------------------

def render_service_account(service_account: dict) -> dict:
    return {"_id": service_account["id"], "name": service_account["name"]}


def _service_account(sa_id: str) -> dict:
    service_account = mock().store.get("serviceAccount", sa_id)
    if service_account is None or service_account["accountId"] != principal().account_id:
        raise not_found("Service account", f"no service account {sa_id[:64]!r} in the caller's account")
    return service_account


@v1.post("/serviceaccounts")
@requires("account", user_accounts_only=True)
def create_service_account():
    body = json_body()
    service_account = {"id": ids.object_id(), "name": field(body, "name", str, required=True, non_empty=True),
                       "accountId": principal().account_id, "apps": []}
    mock().store.insert("serviceAccount", service_account, parent=service_account["accountId"])
    return with_status({"serviceAccount": render_service_account(service_account)}, 201)


@v1.get("/serviceaccounts")
@requires("account", user_accounts_only=True)
def list_service_accounts():
    accounts = mock().store.children("serviceAccount", principal().account_id)
    return jsonify(offset_page([render_service_account(sa) for sa in accounts], "serviceAccounts"))


@v1.get("/serviceaccounts/<sa_id>")
@requires("account", user_accounts_only=True)
def get_service_account(sa_id):
    return jsonify({"serviceAccount": render_service_account(_service_account(sa_id))})


@v1.put("/serviceaccounts/<sa_id>")
@requires("account", user_accounts_only=True)
def update_service_account(sa_id):
    body = json_body()
    service_account = _service_account(sa_id)
    if "name" in body:
        service_account["name"] = field(body, "name", str, non_empty=True)
    mock().store.update("serviceAccount", service_account)
    return jsonify({"serviceAccount": render_service_account(service_account)})


@v1.delete("/serviceaccounts/<sa_id>")
@requires("account", user_accounts_only=True)
def delete_service_account(sa_id):
    mock().store.delete("serviceAccount", _service_account(sa_id)["id"])
    return jsonify({})


@v1.post("/serviceaccounts/<sa_id>/keys")
@requires("account", user_accounts_only=True)
def create_service_account_key(sa_id):
    return create_key("serviceAccount", _service_account(sa_id)["id"], serviceAccountId=sa_id)


@v1.get("/serviceaccounts/<sa_id>/keys")
@requires("account", user_accounts_only=True)
def list_service_account_keys(sa_id):
    keys = mock().store.children("key", _service_account(sa_id)["id"])
    return jsonify({"keys": [render_key(key) for key in keys]})


@v1.get("/serviceaccounts/<sa_id>/keys/<key_id>")
@requires("account", user_accounts_only=True)
def get_service_account_key(sa_id, key_id):
    return jsonify({"key": render_key(owned_key(_service_account(sa_id)["id"], key_id))})


@v1.delete("/serviceaccounts/<sa_id>/keys/<key_id>")
@requires("account", user_accounts_only=True)
def delete_service_account_key(sa_id, key_id):
    mock().store.delete("key", owned_key(_service_account(sa_id)["id"], key_id)["id"])
    return jsonify({})


@v1.get("/serviceaccounts/<sa_id>/keys/<key_id>/jwt")
@requires("account", user_accounts_only=True)
def get_service_account_jwt(sa_id, key_id):
    return jwt_for(owned_key(_service_account(sa_id)["id"], key_id), "account")
