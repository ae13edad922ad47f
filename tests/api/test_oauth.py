"""OAuth for integrations: authorize, exchange the code, use the token, revoke it."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from conftest import basic

CALLBACK = "https://partner.example/oauth/callback"
UNAUTHORIZED = {"errors": [{"code": "unauthorized", "title": "Authorization is required"}]}


def client(api) -> dict:
    """The default seed's OAuth client, "Shoplifter"."""
    [only] = api.seed["oauthClients"]
    return only


def authorize(api, **params) -> requests.Response:
    query = {"response_type": "code", "client_id": client(api)["id"], "redirect_uri": CALLBACK, **params}
    return api.get("/oauth/authorize", params={k: v for k, v in query.items() if v is not None},
                   allow_redirects=False)


def redirected_to(response: requests.Response) -> tuple[str, dict]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    return f"{location.scheme}://{location.netloc}{location.path}", \
        {name: values[0] for name, values in parse_qs(location.query).items()}


def exchange(api, code_: str, **overrides) -> requests.Response:
    body = {"code": code_, "grant_type": "authorization_code", "client_id": client(api)["id"],
            "client_secret": client(api)["secret"], **overrides}
    return api.post("/oauth/token", json=body)


def access_token(api, **authorize_params) -> str:
    _, query = redirected_to(authorize(api, **authorize_params))
    response = exchange(api, query["code"])
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token: str) -> str:
    return f"Bearer {token}"


# --- the flow ----------------------------------------------------------------------------

def test_authorize_redirects_with_a_code_and_the_state(api):
    response = authorize(api, state="xyz 1")
    target, query = redirected_to(response)
    assert target == CALLBACK
    assert query["state"] == "xyz 1" and len(query["code"]) == 24
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == f"Found. Redirecting to {response.headers['Location']}"


def test_the_code_is_exchanged_for_an_integration_token_shaped_like_the_official_one(api):
    _, query = redirected_to(authorize(api))
    before = int(time.time()) - 5
    response = exchange(api, query["code"])
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["access_token", "token_type"] and body["token_type"] == "Bearer"

    header = jwt.get_unverified_header(body["access_token"])
    assert header == {"alg": "HS256", "typ": "JWT", "kid": header["kid"], "azp": client(api)["id"]}
    assert header["kid"].startswith("app_") and len(header["kid"]) == 28
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert list(claims) == ["scope", "appId", "iat"]
    assert claims["scope"] == "integration" and claims["appId"] == api.app("Acme Support")["id"]
    assert isinstance(claims["iat"], int) and claims["iat"] >= before


def test_the_token_is_integration_scoped_on_its_app(api):
    token = access_token(api)
    support, sales = api.app("Acme Support")["id"], api.app("Acme Sales")["id"]
    assert api.get(f"/v2/apps/{support}/users/alice", auth=bearer(token)).json()["user"]["externalId"] == "alice"
    created = api.post(f"/v2/apps/{support}/users", auth=bearer(token), json={"externalId": "zoe"})
    assert created.status_code == 201
    # another app, and the app itself (account and app scopes only), are refused
    for path in (f"/v2/apps/{sales}/users/carol", f"/v2/apps/{support}", f"/v2/apps/{support}/keys"):
        response = api.get(path, auth=bearer(token))
        assert response.status_code == 403, path
        assert response.json() == {"errors": [{"code": "forbidden", "title": "Forbidden"}]}


def test_token_info_answers_the_app_of_the_token(api):
    token = access_token(api)
    response = api.get("/v2/tokenInfo", auth=bearer(token))
    assert response.status_code == 200
    app = response.json()["app"]
    assert app["id"] == api.app("Acme Support")["id"]
    assert app["displayName"] == "Acme Support" and app["subdomain"] == "acme"
    assert app["settings"]["maskCreditCardNumbers"] is True


def test_token_info_refuses_every_other_credential(api):
    for auth in (None, basic(api.key("Acme Support")), basic(api.key("bot")), basic(api.key("Acme")),
                 api.bearer(api.key("Acme Support")["id"], "app"), "Bearer not-a-jwt"):
        response = api.get("/v2/tokenInfo", auth=auth)
        assert response.status_code == 401, auth
        assert response.json() == UNAUTHORIZED


def test_the_app_can_be_chosen_and_the_admin_can_deny(api):
    sales = api.app("Acme Sales")["id"]
    token = access_token(api, app_id=sales)
    assert jwt.decode(token, options={"verify_signature": False})["appId"] == sales
    assert api.get(f"/v2/apps/{sales}/users/carol", auth=bearer(token)).status_code == 200

    target, query = redirected_to(authorize(api, decision="deny", state="s1"))
    assert (target, query) == (CALLBACK, {"error": "access_denied", "state": "s1"})

    response = authorize(api, app_id="0" * 24)
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": "app_not_found", "title": "App not found"}]}


def test_the_redirect_keeps_the_query_of_the_redirect_uri(api):
    target, query = redirected_to(authorize(api, redirect_uri=CALLBACK + "?tenant=7", state="s"))
    assert target == CALLBACK and query["tenant"] == "7" and query["state"] == "s" and "code" in query


def test_form_encoded_exchange_as_in_the_v1_docs(api):
    _, query = redirected_to(authorize(api))
    response = api.post("/oauth/token", data={"code": query["code"], "grant_type": "authorization_code",
                                              "client_id": client(api)["id"],
                                              "client_secret": client(api)["secret"]})
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


# --- refusals ---------------------------------------------------------------------------

def test_authorize_errors_are_shown_not_redirected(api):
    response = authorize(api, client_id="no-such-client")
    assert response.status_code == 400
    assert response.json() == {"errors": [{"code": "bad_request", "title": "Invalid client_id"}]}
    response = authorize(api, client_id=None)
    assert response.json()["errors"][0]["title"] == "should have required property 'client_id'"
    response = authorize(api, redirect_uri=None)  # the seeded client lists none: one is required
    assert response.status_code == 400
    assert response.json()["errors"][0]["title"] == "should have required property 'redirect_uri'"
    response = authorize(api, redirect_uri="javascript:alert(1)")
    assert response.status_code == 400 and response.json()["errors"][0]["title"] == "Invalid redirect_uri"
    response = authorize(api, decision="maybe")
    assert response.status_code == 400


def test_an_unsupported_response_type_is_redirected(api):
    target, query = redirected_to(authorize(api, response_type="token", state="s2"))
    assert (target, query) == (CALLBACK, {"error": "unsupported_response_type", "state": "s2"})


def test_bad_client_or_code_is_a_401(api):
    _, query = redirected_to(authorize(api))
    code = query["code"]
    for overrides in ({"client_secret": "wrong"}, {"client_id": "no-such-client"}, {"code": "0" * 24}):
        response = exchange(api, code, **overrides)
        assert response.status_code == 401, overrides
        assert response.json() == UNAUTHORIZED
    assert exchange(api, code).status_code == 200  # the failed attempts did not use the code up


def test_a_code_is_used_once(api):
    _, query = redirected_to(authorize(api))
    assert exchange(api, query["code"]).status_code == 200
    again = exchange(api, query["code"])
    assert again.status_code == 401 and again.json() == UNAUTHORIZED


def test_a_code_expires_after_ten_minutes_of_server_time(api):
    _, first = redirected_to(authorize(api))
    _, second = redirected_to(authorize(api))
    requests.post(f"{api.url}/_mocksmooch/clock", json={"advance": 590}, timeout=10)
    assert exchange(api, first["code"]).status_code == 200
    requests.post(f"{api.url}/_mocksmooch/clock", json={"advance": 20}, timeout=10)
    response = exchange(api, second["code"])
    assert response.status_code == 401
    assert "expired" in response.headers["X-Mocksmooch-Reason"]


def test_token_request_body_is_checked(api):
    _, query = redirected_to(authorize(api))
    for name in ("code", "grant_type", "client_id", "client_secret"):
        body = {"code": query["code"], "grant_type": "authorization_code", "client_id": client(api)["id"],
                "client_secret": client(api)["secret"]}
        del body[name]
        response = api.post("/oauth/token", json=body)
        assert response.status_code == 400
        assert response.json() == {"errors": [{"code": "bad_request",
                                               "title": f"should have required property '{name}'"}]}
    response = exchange(api, query["code"], grant_type="client_credentials")
    assert response.status_code == 400
    assert response.json()["errors"][0]["title"] == "grant_type should be equal to 'authorization_code'"
    assert exchange(api, query["code"], code=5).status_code == 400


def test_a_code_belongs_to_its_client(api, mocksmooch):
    seed = {"accounts": [{"name": "Shop", "apps": [{"name": "Shop Support", "users": [{"externalId": "ada"}]}]}],
            "oauthClients": [{"id": "alpha", "name": "Alpha", "redirectUris": [CALLBACK, "https://b.example/cb"]},
                             {"id": "beta", "name": "Beta"}]}
    mocksmooch.reset(seed)
    alpha, beta = mocksmooch.seed["oauthClients"]
    assert alpha["id"] == "alpha" and len(alpha["secret"]) == 86

    response = api.get("/oauth/authorize", params={"response_type": "code", "client_id": "alpha"},
                       allow_redirects=False)
    target, query = redirected_to(response)
    assert target == CALLBACK  # the first of the client's redirect URIs
    refused = api.get("/oauth/authorize", params={"response_type": "code", "client_id": "alpha",
                                                  "redirect_uri": "https://evil.example/cb"},
                      allow_redirects=False)
    assert refused.status_code == 400 and refused.json()["errors"][0]["title"] == "Invalid redirect_uri"

    stolen = api.post("/oauth/token", json={"code": query["code"], "grant_type": "authorization_code",
                                            "client_id": "beta", "client_secret": beta["secret"]})
    assert stolen.status_code == 401
    token = api.post("/oauth/token", json={"code": query["code"], "grant_type": "authorization_code",
                                           "client_id": "alpha", "client_secret": alpha["secret"]}).json()
    app_id = mocksmooch.apps["Shop Support"]["id"]
    user = api.get(f"/v2/apps/{app_id}/users/ada", auth=bearer(token["access_token"]))
    assert user.status_code == 200


# --- revoking ----------------------------------------------------------------------------

def test_revoking_stops_every_token_of_the_authorization_at_once(api):
    first, second = access_token(api), access_token(api)
    other_app = access_token(api, app_id=api.app("Acme Sales")["id"])
    support = api.app("Acme Support")["id"]
    # two exchanges for one app: one integration, two keys
    kids = {jwt.get_unverified_header(token)["kid"] for token in (first, second)}
    assert len(kids) == 2

    response = api.request("DELETE", "/oauth/authorization", auth=bearer(first))
    assert (response.status_code, response.json()) == (200, {})
    for token in (first, second):
        assert api.get(f"/v2/apps/{support}/users/alice", auth=bearer(token)).status_code == 401
        assert api.get("/v2/tokenInfo", auth=bearer(token)).json() == UNAUTHORIZED
    # the authorization of the other app is another integration
    assert api.get("/v2/tokenInfo", auth=bearer(other_app)).status_code == 200
    # and the client may be authorized again
    assert api.get("/v2/tokenInfo", auth=bearer(access_token(api))).status_code == 200


def test_an_authorization_is_not_listed_among_integrations(api):
    """The authorization is an integration inside the mock (its token acts as one), but no
    integration schema describes it and the official client cannot read one: not listed."""
    token = access_token(api)
    support = api.app("Acme Support")["id"]
    acme = basic(api.key("Acme"))
    listed = api.get(f"/v2/apps/{support}/integrations", auth=acme).json()["integrations"]
    assert [i for i in listed if i["type"] == client(api)["id"]] == []
    # the token still acts as its integration: it sees its own (empty) webhook list
    webhooks = api.get(f"/v2/apps/{support}/integrations/me/webhooks", auth=bearer(token))
    assert webhooks.status_code == 200 and webhooks.json()["webhooks"] == []


def test_deleting_the_app_voids_its_tokens(api):
    acme = basic(api.key("Acme"))
    app = api.post("/v2/apps", auth=acme, json={"displayName": "Temp"}).json()["app"]
    token = access_token(api, app_id=app["id"])
    assert api.get("/v2/tokenInfo", auth=bearer(token)).json()["app"]["id"] == app["id"]
    api.request("DELETE", f"/v2/apps/{app['id']}", auth=acme)
    assert api.get("/v2/tokenInfo", auth=bearer(token)).status_code == 401


@pytest.mark.parametrize("who", ["bot", "Acme Support", "Acme"])
def test_only_an_oauth_token_may_revoke(api, who):
    response = api.request("DELETE", "/oauth/authorization", auth=basic(api.key(who)))
    assert response.status_code == 403
    assert response.json() == {"errors": [{"code": "forbidden", "title": "Forbidden"}]}
    # the custom integration is still there
    assert api.get(f"/v2/apps/{api.app('Acme Support')['id']}/users/alice",
                   auth=basic(api.key("bot"))).status_code == 200


def test_revoking_without_credentials_is_a_401(api):
    response = api.request("DELETE", "/oauth/authorization")
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_the_official_client_exchanges_reads_and_revokes(api):
    sunco = pytest.importorskip("sunshine_conversations_client")
    _, query = redirected_to(authorize(api))
    oauth_api = sunco.OAuthEndpointsApi(sunco.ApiClient(sunco.Configuration(host=api.url)))
    answer = oauth_api.get_token(sunco.GetTokenRequest(code=query["code"], grant_type="authorization_code",
                                                       client_id=client(api)["id"],
                                                       client_secret=client(api)["secret"]))
    assert answer.token_type == "Bearer"
    # the client sends no credentials on tokenInfo (security: []): the caller adds the header
    info = oauth_api.get_token_info(_headers={"Authorization": f"Bearer {answer.access_token}"})
    assert info.app.id == api.app("Acme Support")["id"]

    authed = sunco.ApiClient(sunco.Configuration(host=api.url, access_token=answer.access_token))
    assert sunco.UsersApi(authed).get_user(info.app.id, "alice").user.external_id == "alice"
    assert sunco.OAuthEndpointsApi(authed).revoke_access() == {}
    with pytest.raises(sunco.ApiException) as refused:
        sunco.UsersApi(authed).get_user(info.app.id, "alice")
    assert refused.value.status == 401
