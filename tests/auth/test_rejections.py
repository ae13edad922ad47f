"""Every row of the rejection table (issue #2, section 5), over real HTTP, for Basic and
JWT where both apply and on v2 and v1.1 where both apply.  docs/fidelity.md says where
each answer comes from."""
from __future__ import annotations

import base64
import time

import jwt
import pytest

from conftest import basic

V2_401 = (401, "unauthorized", "Authorization is required")
V1_401 = (401, "unauthorized", "Authorization is required")
V1_INVALID_JWT = (401, "invalid_auth", "Invalid JWT")
V2_403 = (403, "forbidden", "Forbidden")
V1_403 = (403, "forbidden", "Forbidden")


def signed(key: dict, claims: dict, *, headers: dict | None = None, algorithm: str = "HS256",
           secret: str | None = None) -> str:
    header = {"kid": key["id"], **(headers or {})}
    return "Bearer " + jwt.encode(claims, secret if secret is not None else key["secret"],
                                  algorithm=algorithm, headers=header)


def unsigned(claims: dict, kid: str) -> str:
    def part(obj):
        import json
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"Bearer {part({'alg': 'none', 'kid': kid})}.{part(claims)}."


def v2_users(api) -> str:
    return f"/v2/apps/{api.app('Acme Support')['id']}/users"


def v1_appuser(api, external_id="alice") -> str:
    return f"/v1.1/apps/{api.app('Acme Support')['id']}/appusers/{external_id}"


def assert_v2(response, expected):
    status, code, title = expected
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"errors": [{"code": code, "title": title}]}
    assert response.headers.get("X-Mocksmooch-Reason")


def assert_v1(response, expected):
    status, code, description = expected
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"error": {"code": code, "description": description}}
    assert response.headers.get("X-Mocksmooch-Reason")


# (case name, Authorization header maker) -> 401 with the generic body on both versions
UNAUTHENTICATED = {
    "no header": lambda api: None,
    "unknown scheme": lambda api: "Token abc",
    "undecodable basic": lambda api: "Basic %%%not-base64",
    "basic without colon": lambda api: "Basic " + base64.b64encode(b"app_only").decode(),
    "basic unknown key id": lambda api: basic(("app_000000000000000000000000", "x" * 86)),
    "basic wrong secret": lambda api: basic((api.key("Acme Support")["id"], "wrong")),
    "basic empty credentials (v1 client default)": lambda api: "Basic Og==",
}


@pytest.mark.parametrize("case", UNAUTHENTICATED)
def test_unauthenticated_v2(api, case):
    assert_v2(api.get(v2_users(api), auth=UNAUTHENTICATED[case](api)), V2_401)


@pytest.mark.parametrize("case", UNAUTHENTICATED)
def test_unauthenticated_v1(api, case):
    assert_v1(api.get(v1_appuser(api), auth=UNAUTHENTICATED[case](api)), V1_401)


def _app_key(api):
    return api.key("Acme Support")


# (case name, header maker, v1 description)
INVALID_JWTS = {
    "unparseable": (lambda api: "Bearer not.a.jwt", "Invalid JWT"),
    "alg none": (lambda api: unsigned({"scope": "app"}, _app_key(api)["id"]), "Invalid JWT"),
    "alg HS512": (lambda api: signed(_app_key(api), {"scope": "app"}, algorithm="HS512"), "Invalid JWT"),
    "bad signature": (lambda api: signed(_app_key(api), {"scope": "app"}, secret="not-the-secret-but-long-enough-for-hs256-xx"),
                      "Invalid JWT"),
    "unknown kid": (lambda api: signed({"id": "app_ffffffffffffffffffffffff", "secret": "s" * 86},
                                       {"scope": "app"}), "Invalid JWT"),
    "expired": (lambda api: signed(_app_key(api), {"scope": "app", "exp": int(time.time()) - 60}),
                "Invalid JWT"),
    "not yet valid": (lambda api: signed(_app_key(api), {"scope": "app", "nbf": int(time.time()) + 3600}),
                      "Invalid JWT"),
    "exp as string": (lambda api: signed(_app_key(api), {"scope": "app", "exp": "tomorrow"}), "Invalid JWT"),
    "exp NaN": (lambda api: "Bearer " + jwt.api_jws.encode(
        b'{"scope": "app", "exp": NaN}', _app_key(api)["secret"], algorithm="HS256",
        headers={"kid": _app_key(api)["id"]}), "Invalid JWT"),
    "no kid": (lambda api: "Bearer " + jwt.encode({"scope": "app"}, _app_key(api)["secret"], algorithm="HS256"),
               "Invalid JWT header. Missing key id (kid)"),
    "no scope": (lambda api: signed(_app_key(api), {}), "Invalid JWT body. Missing scope"),
    "account scope with app key": (lambda api: signed(_app_key(api), {"scope": "account"}),
                                   "Invalid JWT body. Cannot use account scope with app secret key"),
    "integration scope with app key": (lambda api: signed(_app_key(api), {"scope": "integration"}),
                                       "Invalid JWT body. Cannot use integration scope with app secret key"),
    "appUser scope with account key": (
        lambda api: signed(api.key("Acme"), {"scope": "appUser", "userId": "alice"}),
        "Invalid JWT body. Cannot use appUser scope with account secret key"),
    "app scope with integration key": (lambda api: signed(api.key("bot"), {"scope": "app"}),
                                       "Invalid JWT body. Cannot use app scope with integration secret key"),
    "appUser without userId": (lambda api: signed(_app_key(api), {"scope": "appUser"}),
                               "Invalid JWT body. Missing userId"),
    "user without external_id": (lambda api: signed(_app_key(api), {"scope": "user"}),
                                 "Invalid JWT body. Missing external_id"),
    "user with numeric external_id": (lambda api: signed(_app_key(api), {"scope": "user", "external_id": 42}),
                                      "Invalid JWT body. external_id must be a string"),
    "unknown scope": (lambda api: signed(_app_key(api), {"scope": "admin"}), "Invalid JWT body. Invalid scope"),
}


@pytest.mark.parametrize("case", INVALID_JWTS)
def test_invalid_jwt_v2(api, case):
    make, _ = INVALID_JWTS[case]
    assert_v2(api.get(v2_users(api), auth=make(api)), V2_401)


@pytest.mark.parametrize("case", INVALID_JWTS)
def test_invalid_jwt_v1(api, case):
    make, description = INVALID_JWTS[case]
    code = "invalid_auth"
    assert_v1(api.get(v1_appuser(api), auth=make(api)), (401, code, description))


# --- 403: valid credential, scope not allowed on the route -------------------------------------

def test_app_key_on_account_provisioning_v2(api):
    key = api.key("Acme Support")
    for auth in (basic(key), api.bearer(key["id"], "app")):
        assert_v2(api.post("/v2/apps", auth=auth, json={"displayName": "x"}), V2_403)
        assert_v2(api.get("/v2/apps", auth=auth), V2_403)
        assert_v2(api.get(f"/v2/apps/{api.app('Acme Support')['id']}/keys", auth=auth), V2_403)


def test_app_key_on_account_routes_v1(api):
    key = api.key("Acme Support")
    app_id = api.app("Acme Support")["id"]
    for auth in (basic(key), api.bearer(key["id"], "app")):
        assert_v1(api.get("/v1.1/apps", auth=auth), V1_403)
        assert_v1(api.get(f"/v1.1/apps/{app_id}", auth=auth), V1_403)
        assert_v1(api.get(f"/v1.1/apps/{app_id}/keys/{key['id']}/jwt", auth=auth), V1_403)


def test_integration_key_on_app_routes(api):
    key = api.key("bot")
    app_id = api.app("Acme Support")["id"]
    for auth in (basic(key), api.bearer(key["id"], "integration")):
        assert_v2(api.get(f"/v2/apps/{app_id}", auth=auth), V2_403)
        assert_v1(api.get(f"/v1.1/apps/{app_id}/keys", auth=auth), V1_403)


def test_user_scope_never_on_rest_api(api):
    key = api.key("Acme Support")
    auth = api.bearer(key["id"], "user", externalId="alice")
    assert_v2(api.get(v2_users(api) + "/alice", auth=auth), V2_403)
    assert_v1(api.get(v1_appuser(api, "alice"), auth=auth), V1_403)


def test_app_scope_signed_by_account_key_is_bound_to_no_app(api):
    """Observed: an act_ key signing scope app authenticates, then gets 403 everywhere."""
    for owner in ("Acme", "provisioner"):
        auth = api.bearer(api.key(owner)["id"], "app")
        assert_v2(api.get(v2_users(api), auth=auth), V2_403)
        assert_v2(api.get(f"/v2/apps/{api.app('Acme Support')['id']}", auth=auth), V2_403)
        assert_v1(api.get(v1_appuser(api), auth=auth), V1_403)
        assert_v1(api.get("/v1.1/appusers/alice", auth=auth), V1_403)


def test_account_key_on_appless_v1_form(api):
    key = api.key("Acme")
    for auth in (basic(key), api.bearer(key["id"], "account")):
        assert_v1(api.get("/v1.1/appusers/alice", auth=auth), V1_403)


# --- app ownership --------------------------------------------------------------------------------

def test_app_bound_credential_on_another_app(api):
    sales = api.app("Acme Sales")["id"]
    globex = api.app("Globex Help")["id"]
    key, int_key = api.key("Acme Support"), api.key("bot")
    credentials = [basic(key), api.bearer(key["id"], "app"), basic(int_key),
                   api.bearer(int_key["id"], "integration")]
    for auth in credentials:
        for other in (sales, globex, "000000000000000000000000"):
            assert_v2(api.get(f"/v2/apps/{other}/users", auth=auth), V2_403)
            assert_v1(api.get(f"/v1.1/apps/{other}/appusers/carol", auth=auth),
                      (400, "bad_request", "AppId in path does not match supplied credentials"))
    app_user = api.bearer(key["id"], "appUser", userId="alice")
    assert_v1(api.get(f"/v1.1/apps/{sales}/appusers/alice", auth=app_user),
              (400, "bad_request", "AppId in path does not match supplied credentials"))


ACCOUNT_404_V2 = (404, "app_not_found", "App not found")
ACCOUNT_404_V1 = (404, "not_found", "App not found")


def test_account_credential_on_app_outside_account(api):
    globex = api.app("Globex Help")["id"]
    key = api.key("Acme")
    for auth in (basic(key), api.bearer(key["id"], "account")):
        for app_id in (globex, "000000000000000000000000"):
            assert_v2(api.get(f"/v2/apps/{app_id}", auth=auth), ACCOUNT_404_V2)
            assert_v2(api.get(f"/v2/apps/{app_id}/users", auth=auth), ACCOUNT_404_V2)
            assert_v1(api.get(f"/v1.1/apps/{app_id}", auth=auth), ACCOUNT_404_V1)
            assert_v1(api.get(f"/v1.1/apps/{app_id}/appusers/dave", auth=auth), ACCOUNT_404_V1)


def test_service_account_on_app_outside_grant(api):
    sales = api.app("Acme Sales")["id"]
    globex = api.app("Globex Help")["id"]
    key = api.key("provisioner")
    for auth in (basic(key), api.bearer(key["id"], "account")):
        for app_id in (sales, globex):
            assert_v2(api.get(f"/v2/apps/{app_id}", auth=auth), ACCOUNT_404_V2)
            assert_v2(api.get(f"/v2/apps/{app_id}/users", auth=auth), ACCOUNT_404_V2)
            assert_v1(api.get(f"/v1.1/apps/{app_id}", auth=auth), ACCOUNT_404_V1)


# --- user ownership, service accounts, the serviceAccountId filter ---------------------------------

def test_app_user_credential_on_another_user(api):
    key = api.key("Acme Support")
    auth = api.bearer(key["id"], "appUser", userId="alice")
    bob = api.user("Acme Support", "bob")
    assert_v1(api.get("/v1.1/appusers/bob", auth=auth), V1_403)
    assert_v1(api.get(f"/v1.1/appusers/{bob['id']}", auth=auth), V1_403)
    assert_v1(api.get(v1_appuser(api, "bob"), auth=auth), V1_403)
    assert_v2(api.get(v2_users(api) + "/bob", auth=auth), V2_403)  # appUser is not a v2 scope
    # a userId claim that happens to equal another user's _id does not speak for that user
    impostor = api.bearer(key["id"], "appUser", userId=bob["id"])
    assert_v1(api.get(f"/v1.1/appusers/{bob['id']}", auth=impostor), V1_403)


def test_service_account_on_service_account_management(api):
    key = api.key("provisioner")
    sa_id = api.service_account("provisioner")["id"]
    for auth in (basic(key), api.bearer(key["id"], "account")):
        assert_v1(api.get("/v1.1/serviceaccounts", auth=auth), V1_403)
        assert_v1(api.get(f"/v1.1/serviceaccounts/{sa_id}/keys", auth=auth), V1_403)
        assert_v1(api.post("/v1.1/serviceaccounts", auth=auth, json={"name": "x"}), V1_403)


def test_service_account_filter_mismatch(api):
    mismatch = (403, "forbidden", "The serviceAccountId provided does not match supplied credentials")
    svc = api.service_account("provisioner")["id"]
    acme, globex, provisioner = api.key("Acme"), api.key("Globex"), api.key("provisioner")
    assert_v2(api.get("/v2/apps", auth=basic(globex), params={"filter[serviceAccountId]": svc}), mismatch)
    assert_v2(api.get("/v2/apps", auth=basic(provisioner),
                      params={"filter[serviceAccountId]": "000000000000000000000000"}), mismatch)
    assert_v2(api.get("/v2/apps", auth=api.bearer(acme["id"], "account"),
                      params={"filter[serviceAccountId]": "000000000000000000000000"}), mismatch)
    # and the matching ones pass
    assert api.get("/v2/apps", auth=basic(acme), params={"filter[serviceAccountId]": svc}).status_code == 200
    assert api.get("/v2/apps", auth=basic(provisioner), params={"filter[serviceAccountId]": svc}).status_code == 200


# --- order of checks -----------------------------------------------------------------------------

def test_authentication_answers_before_scope_and_app(api):
    """A bad credential on a route it could not call anyway is still a 401, not a 403/404."""
    response = api.get(f"/v2/apps/{api.app('Globex Help')['id']}/keys",
                       auth=basic((api.key("Acme Support")["id"], "wrong")))
    assert_v2(response, V2_401)


def test_scope_answers_before_app_ownership(api):
    response = api.get(f"/v2/apps/{api.app('Acme Sales')['id']}/keys", auth=basic(api.key("Acme Support")))
    assert_v2(response, V2_403)


def test_rejection_reason_is_journaled_not_in_body(api):
    response = api.get(v2_users(api), auth=basic((api.key("Acme Support")["id"], "wrong")))
    reason = response.headers["X-Mocksmooch-Reason"]
    assert "wrong secret" in reason
    assert "wrong secret" not in response.text
    entries = api.get("/_mocksmooch/requests").json()["requests"]
    assert entries[-1]["auth"]["outcome"] == "rejected"
    assert entries[-1]["auth"]["reason"] == reason
    assert entries[-1]["status"] == 401
