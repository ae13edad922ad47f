"""The official v2 client (`sunshine-conversations-client`) against the live mock.

For each key owner (app, user account, service account, custom integration), authenticated
with Basic and with a JWT: one call that succeeds and one that is refused with the expected
status and v2 error body.  Each test builds its own Configuration and ApiClient, so nothing is
shared between tests.
"""
from __future__ import annotations

import json
import re

import pytest
import requests
import sunshine_conversations_client as sc
from sunshine_conversations_client.exceptions import (ApiException, ForbiddenException, NotFoundException,
                                                      UnauthorizedException)

# The JWT scope each key owner signs with.
SCOPE = {"Acme Support": "app", "Acme": "account", "provisioner": "account", "bot": "integration"}
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


@pytest.fixture(params=["basic", "jwt"])
def method(request):
    return request.param


def client(api, *, owner: str | None = None, method: str = "basic", key: dict | None = None,
           token: str | None = None) -> sc.ApiClient:
    """A fresh ApiClient for the mock, authenticated as `owner`'s seeded key (or `key`) by
    `method`, or with the bearer `token` as given."""
    key = key or (api.key(owner) if owner else None)
    if token is None and method == "jwt":
        token = api.token(key["id"], SCOPE[owner])
    if token is not None:
        configuration = sc.Configuration(host=api.url, access_token=token)
    else:
        configuration = sc.Configuration(host=api.url, username=key["id"], password=key["secret"])
    return sc.ApiClient(configuration)


def refused(call, exception: type[ApiException], status: int, code: str, title: str) -> ApiException:
    """`call()` raises `exception` with `status` and exactly the v2 body for (code, title)."""
    with pytest.raises(exception) as info:
        call()
    error = info.value
    assert error.status == status
    assert json.loads(error.body) == {"errors": [{"code": code, "title": title}]}
    return error


def assert_app_not_found(call) -> None:
    error = refused(call, NotFoundException, 404, "app_not_found", "App not found")
    # 404 is in get_app's typed map, so the client also parses the body into ErrorResponse.
    assert error.data is not None and error.data.errors[0].code == "app_not_found"


def create_and_read_user(api_client: sc.ApiClient, app_id: str, external_id: str) -> None:
    users = sc.UsersApi(api_client)
    body = sc.UserCreateBody(external_id=external_id, profile=sc.Profile(given_name="Erin", email="erin@x.com"),
                             metadata={"plan": "pro"})
    created = users.create_user(app_id, body)
    assert created is not None, "create_user returned None: the mock did not answer 201"
    user = created.user
    assert OBJECT_ID.match(user.id)
    assert (user.external_id, user.profile.given_name, user.metadata) == (external_id, "Erin", {"plan": "pro"})
    for ref in (external_id, user.id):
        fetched = users.get_user(app_id, ref).user
        assert (fetched.id, fetched.external_id, fetched.profile.email) == (user.id, external_id, "erin@x.com")


# --- app key (app_) ---------------------------------------------------------------------------------

def test_app_key_reads_its_app_and_round_trips_a_user(api, method):
    app_id = api.app("Acme Support")["id"]
    api_client = client(api, owner="Acme Support", method=method)
    app = sc.AppsApi(api_client).get_app(app_id).app
    assert (app.id, app.display_name) == (app_id, "Acme Support")
    alice = sc.UsersApi(api_client).get_user(app_id, "alice").user
    assert (alice.id, alice.profile.given_name) == (api.user("Acme Support", "alice")["id"], "Alice")
    create_and_read_user(api_client, app_id, "erin")


def test_app_key_cannot_list_apps(api, method):
    apps = sc.AppsApi(client(api, owner="Acme Support", method=method))
    refused(apps.list_apps, ForbiddenException, 403, "forbidden", "Forbidden")


# --- user account key (act_) ------------------------------------------------------------------------

def test_account_key_creates_reads_and_lists_apps(api, method):
    apps = sc.AppsApi(client(api, owner="Acme", method=method))
    created = apps.create_app(sc.AppCreateBody(display_name="Acme Billing"))
    assert created is not None, "create_app returned None: the mock did not answer 201"
    app_id = created.app.id
    assert OBJECT_ID.match(app_id) and created.app.display_name == "Acme Billing"
    assert apps.get_app(app_id).app.display_name == "Acme Billing"
    names = {app.id: app.display_name for app in apps.list_apps().apps}
    assert names == {api.app("Acme Support")["id"]: "Acme Support", api.app("Acme Sales")["id"]: "Acme Sales",
                     app_id: "Acme Billing"}


def test_account_key_creates_an_app_key_that_authenticates(api, method):
    account = client(api, owner="Acme", method=method)
    app_id = sc.AppsApi(account).create_app(sc.AppCreateBody(display_name="Acme Billing")).app.id
    created = sc.AppKeysApi(account).create_app_key(app_id, sc.AppKeyCreateBody(display_name="billing"))
    assert created is not None, "create_app_key returned None: the mock did not answer 201"
    key = created.key
    assert re.match(r"^app_[0-9a-f]{24}$", key.id) and key.display_name == "billing"
    assert re.match(r"^[A-Za-z0-9_-]{86}$", key.secret)
    new_key = {"id": key.id, "secret": key.secret}
    apps = sc.AppsApi(client(api, key=new_key))
    assert apps.get_app(app_id).app.display_name == "Acme Billing"
    refused(lambda: apps.get_app(api.app("Acme Support")["id"]), ForbiddenException, 403, "forbidden", "Forbidden")


def test_account_key_cannot_see_another_accounts_app(api, method):
    apps = sc.AppsApi(client(api, owner="Acme", method=method))
    assert_app_not_found(lambda: apps.get_app(api.app("Globex Help")["id"]))


# --- service account key (svc_) -------------------------------------------------------------------

def test_service_account_key_reads_granted_app_and_gets_apps_it_creates(api, method):
    apps = sc.AppsApi(client(api, owner="provisioner", method=method))
    support_id = api.app("Acme Support")["id"]
    assert apps.get_app(support_id).app.display_name == "Acme Support"
    created = apps.create_app(sc.AppCreateBody(display_name="Provisioned"))
    assert created is not None, "create_app returned None: the mock did not answer 201"
    app_id = created.app.id
    assert apps.get_app(app_id).app.display_name == "Provisioned"  # automatically granted
    assert {app.id for app in apps.list_apps().apps} == {support_id, app_id}


def test_service_account_key_cannot_see_app_outside_its_grant(api, method):
    apps = sc.AppsApi(client(api, owner="provisioner", method=method))
    assert_app_not_found(lambda: apps.get_app(api.app("Acme Sales")["id"]))


# --- custom integration key (int_) -----------------------------------------------------------------

def test_integration_key_round_trips_a_user_on_its_app(api, method):
    create_and_read_user(client(api, owner="bot", method=method), api.app("Acme Support")["id"], "erin")


def test_integration_key_cannot_read_its_app(api, method):
    apps = sc.AppsApi(client(api, owner="bot", method=method))
    refused(lambda: apps.get_app(api.app("Acme Support")["id"]), ForbiddenException, 403, "forbidden", "Forbidden")


# --- authentication failures -------------------------------------------------------------------------

def unauthorized(call) -> None:
    refused(call, UnauthorizedException, 401, "unauthorized", "Authorization is required")


def test_no_credentials(api):
    users = sc.UsersApi(sc.ApiClient(sc.Configuration(host=api.url)))
    unauthorized(lambda: users.get_user(api.app("Acme Support")["id"], "alice"))


def test_basic_with_wrong_secret(api):
    key = {"id": api.key("Acme Support")["id"], "secret": "not-the-secret"}
    unauthorized(lambda: sc.AppsApi(client(api, key=key)).get_app(api.app("Acme Support")["id"]))


def test_jwt_already_expired(api):
    token = api.token(api.key("Acme Support")["id"], "app", expiresIn=-60)
    unauthorized(lambda: sc.AppsApi(client(api, token=token)).get_app(api.app("Acme Support")["id"]))


def test_jwt_expires_when_the_clock_moves_past_exp(api):
    app_id = api.app("Acme Support")["id"]
    apps = sc.AppsApi(client(api, token=api.token(api.key("Acme Support")["id"], "app", expiresIn=60)))
    assert apps.get_app(app_id).app.id == app_id
    response = requests.post(f"{api.url}/_mocksmooch/clock", json={"advance": 120}, timeout=10)
    assert response.status_code == 200, response.text
    unauthorized(lambda: apps.get_app(app_id))
