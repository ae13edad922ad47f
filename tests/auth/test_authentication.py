"""Each key owner authenticates with Basic and with a JWT, and gets the scope its owner
gives; expiry follows the server clock; deleting a key invalidates it at once."""
from __future__ import annotations

import pytest

from conftest import basic


def journal_principal(api) -> dict:
    return api.get("/_mocksmooch/requests").json()["requests"][-1]["auth"]["principal"]


OWNERS = {
    # owner name: (JWT scope, route it may call)
    "Acme Support": ("app", lambda api: f"/v2/apps/{api.app('Acme Support')['id']}/users/alice"),
    "Acme": ("account", lambda api: f"/v2/apps/{api.app('Acme Sales')['id']}/users/carol"),
    "provisioner": ("account", lambda api: f"/v2/apps/{api.app('Acme Support')['id']}/users/bob"),
    "bot": ("integration", lambda api: f"/v2/apps/{api.app('Acme Support')['id']}/users/alice"),
}


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("method", ["basic", "jwt"])
def test_each_owner_authenticates(api, owner, method):
    scope, path = OWNERS[owner]
    key = api.key(owner)
    auth = basic(key) if method == "basic" else api.bearer(key["id"], scope)
    response = api.get(path(api), auth=auth)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"]
    principal = journal_principal(api)
    assert (principal["keyId"], principal["scope"], principal["method"]) == (key["id"], scope, method)


def test_v1_app_user_jwt_speaks_for_its_user(api):
    key = api.key("Acme Support")
    auth = api.bearer(key["id"], "appUser", userId="alice")
    alice = api.user("Acme Support", "alice")
    for path in ("/v1.1/appusers/alice", f"/v1.1/appusers/{alice['id']}",
                 f"/v1/apps/{api.app('Acme Support')['id']}/appusers/alice"):
        response = api.get(path, auth=auth)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["appUser"]["_id"] == alice["id"]


def test_jwt_with_typ_and_iat_is_accepted(api):
    import time

    import jwt
    key = api.key("Acme Support")
    token = jwt.encode({"scope": "app", "iat": int(time.time()) + 10_000}, key["secret"],
                       algorithm="HS256", headers={"kid": key["id"], "typ": "JWT"})
    response = api.get(f"/v2/apps/{api.app('Acme Support')['id']}", auth=f"Bearer {token}")
    assert response.status_code == 200


def test_claims_the_service_does_not_read_are_not_checked(api):
    import jwt
    key = api.key("Acme Support")
    token = jwt.encode({"scope": "app", "sub": 42, "jti": 7, "aud": "elsewhere"}, key["secret"],
                       algorithm="HS256", headers={"kid": key["id"]})
    assert api.get(f"/v2/apps/{api.app('Acme Support')['id']}", auth=f"Bearer {token}").status_code == 200


def test_lowercase_schemes_are_accepted(api):
    key = api.key("Acme Support")
    path = f"/v2/apps/{api.app('Acme Support')['id']}"
    assert api.get(path, auth="basic " + basic(key).split(" ", 1)[1]).status_code == 200
    assert api.get(path, auth="bearer " + api.token(key["id"], "app")).status_code == 200


def test_token_expires_when_the_clock_passes_exp(api):
    key = api.key("Acme Support")
    path = f"/v2/apps/{api.app('Acme Support')['id']}"
    auth = api.bearer(key["id"], "app", expiresIn=3600)
    assert api.get(path, auth=auth).status_code == 200
    api.post("/_mocksmooch/clock", json={"advance": 3599})
    assert api.get(path, auth=auth).status_code == 200
    api.post("/_mocksmooch/clock", json={"advance": 1})
    response = api.get(path, auth=auth)
    assert response.status_code == 401
    assert response.json() == {"errors": [{"code": "unauthorized", "title": "Authorization is required"}]}
    assert "jwt expired at" in response.headers["X-Mocksmooch-Reason"]
    v1 = api.get(f"/v1.1/apps/{api.app('Acme Support')['id']}/appusers/alice", auth=auth)
    assert v1.json() == {"error": {"code": "invalid_auth", "description": "Invalid JWT"}}


def test_token_not_yet_valid_until_the_clock_reaches_nbf(api):
    import jwt
    key = api.key("Acme Support")
    now = api.get("/_mocksmooch/clock").json()["now"]
    from datetime import datetime
    nbf = int(datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()) + 600
    token = jwt.encode({"scope": "app", "nbf": nbf}, key["secret"], algorithm="HS256", headers={"kid": key["id"]})
    path = f"/v2/apps/{api.app('Acme Support')['id']}"
    assert api.get(path, auth=f"Bearer {token}").status_code == 401
    api.post("/_mocksmooch/clock", json={"advance": 601})
    assert api.get(path, auth=f"Bearer {token}").status_code == 200


def test_deleting_a_key_invalidates_basic_and_jwt_at_once(api):
    account = basic(api.key("Acme"))
    app_id = api.app("Acme Sales")["id"]
    created = api.post(f"/v2/apps/{app_id}/keys", auth=account, json={"displayName": "temp"})
    assert created.status_code == 201
    key = created.json()["key"]
    token = api.bearer(key["id"], "app")
    path = f"/v2/apps/{app_id}"
    assert api.get(path, auth=basic(key)).status_code == 200
    assert api.get(path, auth=token).status_code == 200

    assert api.request("DELETE", f"/v2/apps/{app_id}/keys/{key['id']}", auth=account).status_code == 200
    assert api.get(path, auth=basic(key)).status_code == 401
    assert api.get(path, auth=token).status_code == 401
    assert "names no existing key" in api.get(path, auth=token).headers["X-Mocksmooch-Reason"]


def test_deleting_a_seeded_key_then_reset_restores_it(api):
    account = basic(api.key("Acme"))
    app = api.app("Acme Support")
    key = api.key("Acme Support")
    assert api.request("DELETE", f"/v2/apps/{app['id']}/keys/{key['id']}", auth=account).status_code == 200
    assert api.get(f"/v2/apps/{app['id']}", auth=basic(key)).status_code == 401
    api.post("/_mocksmooch/reset")
    assert api.get(f"/v2/apps/{app['id']}", auth=basic(key)).status_code == 200


def test_two_authorization_headers_are_refused(api):
    import http.client
    from urllib.parse import urlsplit
    key = api.key("Acme Support")
    target = urlsplit(api.url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    connection.putrequest("GET", f"/v2/apps/{api.app('Acme Support')['id']}")
    connection.putheader("Authorization", basic(key))
    connection.putheader("Authorization", basic(key))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 401
    assert response.getheader("X-Mocksmooch-Reason") == "2 Authorization headers; send exactly one"
    connection.close()
