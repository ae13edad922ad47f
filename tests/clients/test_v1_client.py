"""The official v1.1 client (`smooch`) against the live mock.

For each key owner (app, user account, service account, custom integration), authenticated
with Basic and with a JWT: one call that succeeds and one that is refused with the expected
status and v1 error body; then the appUser JWT, and the JWTs the API itself hands out.

`smooch.Configuration()` is a process-wide singleton whose credentials are read at request
time, so the `v1` fixture clears them before each test and restores them after, and every API
object gets an explicit `smooch.ApiClient(host=...)` (the singleton's host is frozen at the
first API object built without one).
"""
from __future__ import annotations

import json
import re

import jwt
import pytest
import smooch
from smooch.rest import ApiException

# The JWT scope each key owner signs with.
SCOPE = {"Acme Support": "app", "Acme": "account", "provisioner": "account", "bot": "integration"}
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


class V1:
    """The singleton's credentials, and API objects bound to the mock."""

    def __init__(self, api, configuration):
        self.api = api
        self.configuration = configuration
        api_client = smooch.ApiClient(host=api.url)
        self.apps = smooch.AppApi(api_client)
        self.app_users = smooch.AppUserApi(api_client)
        self.service_accounts = smooch.ServiceAccountApi(api_client)

    def clear(self) -> None:
        self.configuration.username = ""
        self.configuration.password = ""
        self.configuration.api_key.pop("Authorization", None)
        self.configuration.api_key_prefix.pop("Authorization", None)

    def use_basic(self, key: dict) -> None:
        self.clear()
        self.configuration.username, self.configuration.password = key["id"], key["secret"]

    def use_jwt(self, token: str) -> None:
        self.clear()
        self.configuration.api_key["Authorization"] = token
        self.configuration.api_key_prefix["Authorization"] = "Bearer"

    def use(self, owner: str, method: str) -> None:
        """Authenticate as `owner`'s seeded key, by Basic or with a JWT of its scope."""
        key = self.api.key(owner)
        if method == "basic":
            self.use_basic(key)
        else:
            self.use_jwt(self.api.token(key["id"], SCOPE[owner]))


@pytest.fixture
def v1(api):
    configuration = smooch.Configuration()
    saved = (configuration.username, configuration.password, dict(configuration.api_key),
             dict(configuration.api_key_prefix))
    client = V1(api, configuration)
    client.clear()
    yield client
    configuration.username, configuration.password = saved[0], saved[1]
    configuration.api_key.clear()
    configuration.api_key.update(saved[2])
    configuration.api_key_prefix.clear()
    configuration.api_key_prefix.update(saved[3])


@pytest.fixture(params=["basic", "jwt"])
def method(request):
    return request.param


def refused(call, status: int, code: str, description: str) -> None:
    """`call()` raises ApiException with `status` and exactly the v1 body for (code, description)."""
    with pytest.raises(ApiException) as info:
        call()
    assert info.value.status == status
    assert json.loads(info.value.body) == {"error": {"code": code, "description": description}}


def forbidden(call) -> None:
    refused(call, 403, "forbidden", "Forbidden")


def decode(token: str, secret: str) -> tuple[dict, dict]:
    """(header, payload) of a JWT, after checking its HS256 signature with `secret`."""
    return jwt.get_unverified_header(token), jwt.decode(token, secret, algorithms=["HS256"])


def assert_alice(v1, app_id: str) -> None:
    seeded = v1.api.user("Acme Support", "alice")
    alice = v1.app_users.get_app_user(app_id, "alice").app_user
    assert (alice.id, alice.user_id, alice.given_name, alice.email) == (
        seeded["id"], "alice", "Alice", "alice@example.com")
    assert alice.conversation_started is False and alice.properties == {}


# --- user account key (act_) --------------------------------------------------------------------------

def test_account_key_creates_lists_and_reads_apps(v1, method):
    v1.use("Acme", method)
    app = v1.apps.create_app(smooch.AppCreate(name="Acme Billing")).app
    assert OBJECT_ID.match(app.id) and app.name == "Acme Billing"
    assert re.match(r"^[0-9a-z]{25}$", app.app_token)
    listed = v1.apps.list_apps()
    assert {a.id: a.name for a in listed.apps} == {
        v1.api.app("Acme Support")["id"]: "Acme Support", v1.api.app("Acme Sales")["id"]: "Acme Sales",
        app.id: "Acme Billing"}
    assert (listed.has_more, listed.offset) == (False, 0)
    fetched = v1.apps.get_app(app.id).app
    assert (fetched.id, fetched.name, fetched.app_token) == (app.id, "Acme Billing", app.app_token)


def test_account_key_mints_an_app_jwt_that_works(v1, method):
    v1.use("Acme", method)
    app_id = v1.apps.create_app(smooch.AppCreate(name="Acme Billing")).app.id
    erin = v1.app_users.pre_create_app_user(app_id, smooch.AppUserPreCreate(user_id="erin")).app_user
    key = v1.apps.create_secret_key(app_id, smooch.SecretKeyCreate(name="billing")).key
    assert re.match(r"^app_[0-9a-f]{24}$", key.id) and key.name == "billing"
    assert re.match(r"^[A-Za-z0-9_-]{86}$", key.secret)
    token = v1.apps.get_app_jwt(app_id, key.id).jwt
    header, payload = decode(token, key.secret)
    assert header["kid"] == key.id and payload["scope"] == "app"

    v1.use_jwt(token)
    fetched = v1.app_users.get_app_user(app_id, "erin").app_user
    assert (fetched.id, fetched.user_id) == (erin.id, "erin")
    refused(lambda: v1.app_users.get_app_user(v1.api.app("Acme Support")["id"], "alice"),
            400, "bad_request", "AppId in path does not match supplied credentials")


def test_account_key_manages_service_accounts_and_their_jwts(v1, method):
    v1.use("Acme", method)
    service_account = v1.service_accounts.create_service_account(smooch.ServiceAccountCreate(name="deployer"))
    sa = service_account.service_account
    assert OBJECT_ID.match(sa.id) and sa.name == "deployer"
    names = {s.name for s in v1.service_accounts.list_service_accounts().service_accounts}
    assert names == {"provisioner", "deployer"}
    key = v1.service_accounts.create_secret_key(sa.id, smooch.SecretKeyCreate(name="deploy")).key
    assert re.match(r"^svc_[0-9a-f]{24}$", key.id) and key.name == "deploy"
    token = v1.service_accounts.get_jwt(sa.id, key.id).jwt
    header, payload = decode(token, key.secret)
    assert header["kid"] == key.id and payload["scope"] == "account"

    v1.use_jwt(token)  # a new service account is granted no app
    assert v1.apps.list_apps().apps == []
    created = v1.apps.create_app(smooch.AppCreate(name="Deployed")).app
    assert [a.id for a in v1.apps.list_apps().apps] == [created.id]


def test_account_key_cannot_see_another_accounts_app(v1, method):
    v1.use("Acme", method)
    refused(lambda: v1.apps.get_app(v1.api.app("Globex Help")["id"]), 404, "not_found", "App not found")


# --- app key (app_) -----------------------------------------------------------------------------------

def test_app_key_reads_creates_and_updates_app_users(v1, method):
    v1.use("Acme Support", method)
    app_id = v1.api.app("Acme Support")["id"]
    assert_alice(v1, app_id)
    body = smooch.AppUserPreCreate(user_id="erin", given_name="Erin", email="erin@x.com")
    erin = v1.app_users.pre_create_app_user(app_id, body).app_user
    assert OBJECT_ID.match(erin.id) and (erin.user_id, erin.given_name, erin.surname) == ("erin", "Erin", None)
    update = smooch.AppUserUpdate(surname="Evans", properties={"plan": "pro"})
    updated = v1.app_users.update_app_user(app_id, "erin", update).app_user
    assert (updated.id, updated.given_name, updated.surname, updated.properties) == (
        erin.id, "Erin", "Evans", {"plan": "pro"})
    fetched = v1.app_users.get_app_user(app_id, erin.id).app_user
    assert (fetched.user_id, fetched.surname, fetched.email, fetched.properties) == (
        "erin", "Evans", "erin@x.com", {"plan": "pro"})


def test_app_key_cannot_list_apps(v1, method):
    v1.use("Acme Support", method)
    forbidden(v1.apps.list_apps)


# --- service account key (svc_) ------------------------------------------------------------------------

def test_service_account_key_reads_granted_app(v1, method):
    v1.use("provisioner", method)
    app_id = v1.api.app("Acme Support")["id"]
    app = v1.apps.get_app(app_id).app
    assert (app.id, app.name) == (app_id, "Acme Support")
    assert re.match(r"^[0-9a-z]{25}$", app.app_token)


def test_service_account_key_cannot_manage_service_accounts(v1, method):
    v1.use("provisioner", method)
    forbidden(v1.service_accounts.list_service_accounts)


# --- custom integration key (int_) ---------------------------------------------------------------------

def test_integration_key_reads_app_user(v1, method):
    v1.use("bot", method)
    assert_alice(v1, v1.api.app("Acme Support")["id"])


def test_integration_key_cannot_read_its_app(v1, method):
    v1.use("bot", method)
    forbidden(lambda: v1.apps.get_app(v1.api.app("Acme Support")["id"]))


# --- appUser JWT (signed by the app key) ----------------------------------------------------------------

def use_alice_jwt(v1) -> str:
    v1.use_jwt(v1.api.token(v1.api.key("Acme Support")["id"], "appUser", userId="alice"))
    return v1.api.app("Acme Support")["id"]


def test_app_user_jwt_reads_its_own_user(v1):
    assert_alice(v1, use_alice_jwt(v1))


def test_app_user_jwt_cannot_read_another_user(v1):
    app_id = use_alice_jwt(v1)
    forbidden(lambda: v1.app_users.get_app_user(app_id, "bob"))


# --- authentication failures -------------------------------------------------------------------------------

def unauthorized(call) -> None:
    refused(call, 401, "unauthorized", "Authorization is required")


def test_no_credentials_sends_empty_basic(v1):
    """With nothing configured the client still sends `Basic Og==`."""
    unauthorized(lambda: v1.app_users.get_app_user(v1.api.app("Acme Support")["id"], "alice"))


def test_basic_with_wrong_secret(v1):
    v1.use_basic({"id": v1.api.key("Acme Support")["id"], "secret": "not-the-secret"})
    unauthorized(lambda: v1.app_users.get_app_user(v1.api.app("Acme Support")["id"], "alice"))


def test_jwt_without_kid(v1):
    v1.use_jwt(jwt.encode({"scope": "app"}, v1.api.key("Acme Support")["secret"], algorithm="HS256"))
    refused(lambda: v1.app_users.get_app_user(v1.api.app("Acme Support")["id"], "alice"),
            401, "invalid_auth", "Invalid JWT header. Missing key id (kid)")


def test_jwt_already_expired(v1):
    v1.use_jwt(v1.api.token(v1.api.key("Acme Support")["id"], "app", expiresIn=-60))
    refused(lambda: v1.app_users.get_app_user(v1.api.app("Acme Support")["id"], "alice"),
            401, "invalid_auth", "Invalid JWT")


def test_each_test_starts_without_credentials(v1):
    """Whatever an earlier test configured, the fixture has cleared the singleton."""
    configuration = smooch.Configuration()
    assert (configuration.username, configuration.password) == ("", "")
    assert "Authorization" not in configuration.api_key and "Authorization" not in configuration.api_key_prefix
    assert v1.apps.api_client.host == v1.api.url
