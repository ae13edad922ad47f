"""v1.1 (and its /v1 alias): apps, app keys and JWTs, service accounts, app users in both
the app-scoped and the app-less forms."""
from __future__ import annotations

import re

import jwt

from conftest import basic
from v1_helpers import v1, acme  # noqa: F401 (v1: a fixture)


def test_app_lifecycle(api, v1):
    auth = acme(api)
    created = api.post(f"{v1}/apps", auth=auth, json={"name": "Legacy"})
    assert created.status_code == 201
    app = created.json()["app"]
    assert re.fullmatch(r"[0-9a-f]{24}", app["_id"]) and re.fullmatch(r"[0-9a-z]{25}", app["appToken"])
    assert app["name"] == "Legacy" and app["settings"]["maskCreditCardNumbers"] is True
    updated = api.request("PUT", f"{v1}/apps/{app['_id']}", auth=auth, json={"name": "Legacy 2"})
    assert updated.json()["app"]["name"] == "Legacy 2"
    assert api.get(f"{v1}/apps/{app['_id']}", auth=auth).json()["app"]["appToken"] == app["appToken"]
    assert api.request("DELETE", f"{v1}/apps/{app['_id']}", auth=auth).status_code == 200
    gone = api.get(f"{v1}/apps/{app['_id']}", auth=auth)
    assert gone.status_code == 404
    assert gone.json() == {"error": {"code": "not_found", "description": "App not found"}}


def test_list_apps_offset_and_service_account_filter(api, v1):
    auth = acme(api)
    page = api.get(f"{v1}/apps", auth=auth, params={"limit": 1}).json()
    assert [a["name"] for a in page["apps"]] == ["Acme Support"]
    assert (page["hasMore"], page["offset"]) == (True, 0)
    rest = api.get(f"{v1}/apps", auth=auth, params={"limit": 1, "offset": 1}).json()
    assert [a["name"] for a in rest["apps"]] == ["Acme Sales"] and rest["hasMore"] is False
    svc_id = api.service_account("provisioner")["id"]
    granted = api.get(f"{v1}/apps", auth=auth, params={"serviceAccountId": svc_id}).json()
    assert [a["name"] for a in granted["apps"]] == ["Acme Support"]
    assert api.get(f"{v1}/apps", auth=auth, params={"limit": "many"}).status_code == 400


def test_seeded_app_token_is_stable(api):
    app_id = api.app("Acme Support")["id"]
    first = api.get(f"/v1.1/apps/{app_id}", auth=acme(api)).json()["app"]["appToken"]
    api.post("/_mocksmooch/reset")
    assert api.get(f"/v1.1/apps/{app_id}", auth=acme(api)).json()["app"]["appToken"] == first


def test_app_keys_and_app_jwt(api, v1):
    auth = acme(api)
    app_id = api.app("Acme Sales")["id"]
    created = api.post(f"{v1}/apps/{app_id}/keys", auth=auth, json={"name": "legacy"})
    assert created.status_code == 200  # as documented in the v1.1 description
    key = created.json()["key"]
    assert key["_id"].startswith("app_") and len(key["secret"]) == 86 and key["name"] == "legacy"
    assert [k["_id"] for k in api.get(f"{v1}/apps/{app_id}/keys", auth=auth).json()["keys"]][-1] == key["_id"]
    assert api.get(f"{v1}/apps/{app_id}/keys/{key['_id']}", auth=auth).json()["key"] == key

    token = api.get(f"{v1}/apps/{app_id}/keys/{key['_id']}/jwt", auth=auth).json()["jwt"]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": key["_id"]}  # as documented
    assert jwt.decode(token, key["secret"], algorithms=["HS256"]) == {"scope": "app"}
    carol = api.get(f"{v1}/appusers/carol", auth=f"Bearer {token}")
    assert carol.status_code == 200 and carol.json()["appUser"]["userId"] == "carol"

    assert api.request("DELETE", f"{v1}/apps/{app_id}/keys/{key['_id']}", auth=auth).status_code == 200
    assert api.get(f"{v1}/appusers/carol", auth=f"Bearer {token}").status_code == 401
    missing = api.get(f"{v1}/apps/{app_id}/keys/{key['_id']}", auth=auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_service_accounts_and_their_keys(api, v1):
    auth = acme(api)
    created = api.post(f"{v1}/serviceaccounts", auth=auth, json={"name": "deployer"})
    assert created.status_code == 201
    account = created.json()["serviceAccount"]
    assert set(account) == {"_id", "name"} and account["name"] == "deployer"
    names = [sa["name"] for sa in api.get(f"{v1}/serviceaccounts", auth=auth).json()["serviceAccounts"]]
    assert names == ["provisioner", "deployer"]
    renamed = api.request("PUT", f"{v1}/serviceaccounts/{account['_id']}", auth=auth, json={"name": "deploy"})
    assert renamed.json()["serviceAccount"]["name"] == "deploy"

    key = api.post(f"{v1}/serviceaccounts/{account['_id']}/keys", auth=auth, json={"name": "k"}).json()["key"]
    assert key["_id"].startswith("svc_")
    token = api.get(f"{v1}/serviceaccounts/{account['_id']}/keys/{key['_id']}/jwt", auth=auth).json()["jwt"]
    assert jwt.decode(token, key["secret"], algorithms=["HS256"]) == {"scope": "account"}
    # a new service account has no apps yet, and may create one it then sees
    assert api.get(f"{v1}/apps", auth=f"Bearer {token}").json()["apps"] == []
    app = api.post(f"{v1}/apps", auth=basic((key["_id"], key["secret"])), json={"name": "Mine"}).json()["app"]
    assert [a["_id"] for a in api.get(f"{v1}/apps", auth=f"Bearer {token}").json()["apps"]] == [app["_id"]]

    other = api.get(f"{v1}/serviceaccounts/{account['_id']}", auth=basic(api.key("Globex")))
    assert other.status_code == 404
    assert api.request("DELETE", f"{v1}/serviceaccounts/{account['_id']}", auth=auth).status_code == 200
    assert api.get(f"{v1}/apps", auth=f"Bearer {token}").status_code == 401


def test_app_users_in_both_forms(api, v1):
    app_id = api.app("Acme Support")["id"]
    app_key = basic(api.key("Acme Support"))
    created = api.post(f"{v1}/appusers", auth=app_key,
                       json={"userId": "frank", "givenName": "Frank", "properties": {"vip": True}})
    assert created.status_code == 201
    user = created.json()["appUser"]
    assert user["userId"] == "frank" and user["givenName"] == "Frank" and user["properties"] == {"vip": True}
    assert user["conversationStarted"] is False and user["clients"] == []

    by_account = api.get(f"{v1}/apps/{app_id}/appusers/frank", auth=acme(api)).json()["appUser"]
    assert by_account == user
    by_integration = api.get(f"{v1}/apps/{app_id}/appusers/{user['_id']}", auth=basic(api.key("bot")))
    assert by_integration.json()["appUser"]["_id"] == user["_id"]

    updated = api.request("PUT", f"{v1}/appusers/frank", auth=app_key,
                          json={"surname": "Furter", "properties": {"plan": "pro"}}).json()["appUser"]
    assert updated["surname"] == "Furter" and updated["properties"] == {"vip": True, "plan": "pro"}
    cleared = api.request("DELETE", f"{v1}/appusers/frank/profile", auth=app_key).json()["appUser"]
    assert "givenName" not in cleared and "surname" not in cleared and cleared["userId"] == "frank"

    conflict = api.post(f"{v1}/apps/{app_id}/appusers", auth=acme(api), json={"userId": "frank"})
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    assert api.request("DELETE", f"{v1}/appusers/frank", auth=app_key).status_code == 200
    gone = api.get(f"{v1}/appusers/frank", auth=app_key)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


def test_app_user_scope_cannot_pre_create_users(api):
    auth = api.bearer(api.key("Acme Support")["id"], "appUser", userId="alice")
    response = api.post("/v1.1/appusers", auth=auth, json={"userId": "mallory"})
    assert response.status_code == 403


def test_pre_create_requires_user_id(api):
    response = api.post("/v1.1/appusers", auth=basic(api.key("Acme Support")), json={"givenName": "Nobody"})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "bad_request",
                                        "description": "should have required property 'userId'"}
