"""CORS as a browser sees it: real HTTP, real Origin headers, preflights as browsers send them.

The session server runs the default, `dev` mode with any origin allowed; the production
rules and an origin list get servers of their own, and the CLI test starts
`mocksmooch serve` as a user does.
"""
from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time

import jwt
import pytest
import requests

from conftest import basic
from mocksmooch.app import route_table
from mocksmooch.client import MockSmooch
from mocksmooch.pytest_plugin import LiveServer

PAGE = "http://localhost:3000"  # a developer's single-page app
SDK_HEADERS = ["authorization", "content-type", "x-smooch-sdk", "x-smooch-appid",
               "x-smooch-clientid", "x-zendesk-integrationid"]
METHODS = {"get", "post", "put", "patch", "delete", "options"}
SITE = "b045109606a2a042e04d66a0"  # the seeded web SDK integration of Acme Support


def preflight(url: str, path: str, *, origin: str | None = PAGE, method: str = "POST",
              headers: str = "authorization,content-type,x-smooch-sdk,x-smooch-appid,x-smooch-clientid",
              private_network: bool = False) -> requests.Response:
    """The OPTIONS request a browser sends before a cross-origin call with custom headers."""
    sent = {"Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}
    if origin is not None:
        sent["Origin"] = origin
    if private_network:
        sent["Access-Control-Request-Private-Network"] = "true"
    return requests.options(url + path, headers=sent, timeout=10)


def listed(response: requests.Response, header: str) -> list[str]:
    return [part.strip().lower() for part in response.headers.get(header, "").split(",") if part.strip()]


def assert_cors(response: requests.Response, origin: str = PAGE) -> None:
    """The headers that let a page at `origin` read this actual response."""
    assert response.headers.get("Access-Control-Allow-Origin") == origin, dict(response.headers)
    assert "origin" in listed(response, "Vary")
    assert "x-mocksmooch-reason" in listed(response, "Access-Control-Expose-Headers")


def assert_no_cors(response: requests.Response) -> None:
    cors = {name: value for name, value in response.headers.items() if name.lower().startswith("access-control-")}
    assert cors == {}, cors


# --- preflights (dev mode, any origin) ---------------------------------------------------

@pytest.mark.parametrize("path", [
    "/sdk/v2/apps/0f377dc9e9a0a0215d2274f9/appusers",
    f"/sdk/v2/integrations/{SITE}/config",
    "/sdk/no/such/route",
    "/v1/appusers/alice",
    "/v1.1/apps/0f377dc9e9a0a0215d2274f9/appusers/alice/messages",
    "/v2/apps/0f377dc9e9a0a0215d2274f9/users",
    "/v2/no/such/route",
    "/_mocksmooch/tokens",
])
def test_preflight_is_answered_on_every_browser_facing_prefix(api, path):
    response = preflight(api.url, path)
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["Access-Control-Allow-Origin"] == PAGE
    assert "origin" in listed(response, "Vary")
    assert set(listed(response, "Access-Control-Allow-Methods")) == METHODS
    assert set(SDK_HEADERS) <= set(listed(response, "Access-Control-Allow-Headers"))
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_preflight_for_a_method_the_route_does_not_have_is_still_answered(api):
    app_id = api.app("Acme Support")["id"]
    response = preflight(api.url, f"/v2/apps/{app_id}/users/alice/conversations", method="PUT")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == PAGE


def test_dev_preflight_echoes_the_headers_the_page_asks_for(api):
    response = preflight(api.url, "/v2/apps", headers="Authorization, X-Request-Id, x-my-tracing")
    allowed = listed(response, "Access-Control-Allow-Headers")
    assert {"authorization", "x-request-id", "x-my-tracing"} <= set(allowed)
    assert set(SDK_HEADERS) <= set(allowed)


def test_private_network_access_preflight_is_honoured(api):
    asked = preflight(api.url, "/sdk/v2/apps/0f377dc9e9a0a0215d2274f9/appusers",
                      origin="https://shop.example.com", private_network=True)
    assert asked.status_code == 204
    assert asked.headers["Access-Control-Allow-Private-Network"] == "true"
    assert asked.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    not_asked = preflight(api.url, "/sdk/v2/apps/0f377dc9e9a0a0215d2274f9/appusers")
    assert "Access-Control-Allow-Private-Network" not in not_asked.headers


def test_origin_null_of_a_file_page_is_reflected_when_any_origin_is_allowed(api):
    response = preflight(api.url, "/v2/apps", origin="null")
    assert response.headers["Access-Control-Allow-Origin"] == "null"


def test_options_without_origin_is_not_a_preflight(api):
    response = preflight(api.url, "/v2/apps", origin=None)
    assert response.status_code == 204
    assert_no_cors(response)
    assert "no Origin header" in response.headers["X-Mocksmooch-Reason"]


def test_paths_outside_the_browser_facing_prefixes_get_no_cors(api):
    response = preflight(api.url, "/oauth/token")
    assert_no_cors(response)
    token = requests.post(api.url + "/oauth/token", headers={"Origin": PAGE}, json={}, timeout=10)
    assert token.status_code == 400
    assert_no_cors(token)


# --- actual responses in dev mode: every status, errors included ---------------------------

def test_dev_mode_sends_cors_on_a_success(api):
    app_id = api.app("Acme Support")["id"]
    response = api.get(f"/v2/apps/{app_id}/users/alice", auth=basic(api.key("Acme Support")),
                       headers={"Origin": PAGE})
    assert response.status_code == 200
    assert_cors(response)
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_dev_mode_sends_cors_on_the_expired_jwt_401_so_the_sdk_renews_its_token(api):
    token = api.bearer(api.key("Acme Support")["id"], "appUser", userId="alice", expiresIn=60)
    requests.post(api.url + "/_mocksmooch/clock", json={"advance": 61}, timeout=10).raise_for_status()
    response = api.get("/v1.1/appusers/alice", auth=token, headers={"Origin": PAGE})
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "invalid_auth", "description": "Invalid JWT"}}
    assert_cors(response)
    assert "expired" in response.headers["X-Mocksmooch-Reason"]


@pytest.mark.parametrize("case", ["no credentials 401", "app key on an account route 403",
                                  "unknown user 404", "unknown route 404", "wrong method 405"])
def test_dev_mode_sends_cors_on_errors(api, case):
    app_id = api.app("Acme Support")["id"]
    key = basic(api.key("Acme Support"))
    method, path, auth, status = {
        "no credentials 401": ("GET", f"/v2/apps/{app_id}/users/alice", None, 401),
        "app key on an account route 403": ("GET", "/v2/apps", key, 403),
        "unknown user 404": ("GET", f"/v2/apps/{app_id}/users/nobody", key, 404),
        "unknown route 404": ("GET", "/v2/nowhere", key, 404),
        "wrong method 405": ("PUT", "/v2/apps", key, 405),
    }[case]
    response = api.request(method, path, auth=auth, headers={"Origin": PAGE})
    assert response.status_code == status
    assert_cors(response)


def test_control_api_sends_cors(api):
    response = requests.post(api.url + "/_mocksmooch/tokens", headers={"Origin": PAGE}, timeout=10,
                             json={"keyId": api.key("Acme Support")["id"], "scope": "user", "externalId": "alice"})
    assert response.status_code == 200
    assert_cors(response)


def test_no_origin_no_cors_headers_but_vary(api):
    response = api.get("/v2/apps", auth=basic(api.key("Acme")))
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "origin" in listed(response, "Vary")


def test_a_page_on_the_mock_itself_is_same_origin(api):
    response = api.get("/v2/apps", auth=basic(api.key("Acme")), headers={"Origin": api.url})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "X-Mocksmooch-Reason" not in response.headers


# --- a list of allowed origins ------------------------------------------------------------

@pytest.fixture(scope="module")
def listed_origins():
    server = LiveServer({"CORS_ORIGINS": "http://localhost:3000, https://*.example.test/"})
    yield server
    server.stop()


@pytest.mark.parametrize("origin", ["http://localhost:3000", "https://shop.example.test",
                                    "https://a.b.example.test"])
def test_listed_origins_are_reflected(listed_origins, origin):
    response = preflight(listed_origins.url, "/sdk/v2/apps/0f377dc9e9a0a0215d2274f9/appusers", origin=origin)
    assert response.headers["Access-Control-Allow-Origin"] == origin
    actual = requests.get(listed_origins.url + "/v2/apps", headers={"Origin": origin}, timeout=10)
    assert actual.status_code == 401
    assert_cors(actual, origin)


@pytest.mark.parametrize("origin", ["http://localhost:3001", "https://localhost:3000", "http://example.test",
                                    "https://evil.test", "null"])
def test_an_unlisted_origin_gets_no_cors_headers_and_a_reason(listed_origins, origin):
    response = preflight(listed_origins.url, "/v2/apps", origin=origin, private_network=True)
    assert response.status_code == 204
    assert_no_cors(response)
    reason = response.headers["X-Mocksmooch-Reason"]
    assert f"origin {origin} is not allowed" in reason and "MOCKSMOOCH_CORS_ORIGINS" in reason
    actual = requests.get(listed_origins.url + "/v2/apps", headers={"Origin": origin}, timeout=10)
    assert_no_cors(actual)
    # the auth refusal still comes first; the CORS refusal is appended
    assert actual.headers["X-Mocksmooch-Reason"].startswith("no Authorization header; CORS: origin ")


def test_the_origin_list_also_guards_the_control_api(listed_origins):
    response = requests.get(listed_origins.url + "/_mocksmooch/fixtures", headers={"Origin": "https://evil.test"},
                            timeout=10)
    assert response.status_code == 200
    assert_no_cors(response)


# --- production mode: as the real service -------------------------------------------------

@pytest.fixture(scope="module")
def production_server():
    server = LiveServer({"CORS": "production"})
    yield server
    server.stop()


@pytest.fixture
def production(production_server):
    mock = MockSmooch(production_server.url)
    mock.reset()
    mock.app = production_server.app
    return mock


def test_production_preflights_are_answered_without_knowing_the_credential(production):
    for path in ("/sdk/v2/apps/0f377dc9e9a0a0215d2274f9/appusers", "/v1.1/appusers/alice", "/v2/apps"):
        response = preflight(production.url, path, private_network=True,
                             headers="authorization,content-type,x-smooch-sdk,x-my-tracing")
        assert response.status_code == 204
        assert response.headers["Access-Control-Allow-Origin"] == PAGE
        assert set(listed(response, "Access-Control-Allow-Methods")) == METHODS
        # exactly the SDK's headers: a header the real API does not list is not echoed
        assert listed(response, "Access-Control-Allow-Headers") == SDK_HEADERS
        assert "Access-Control-Allow-Credentials" not in response.headers
        assert response.headers["Access-Control-Allow-Private-Network"] == "true"


def test_production_control_api_keeps_dev_rules(production):
    response = preflight(production.url, "/_mocksmooch/clock", headers="content-type,x-my-tracing")
    assert "x-my-tracing" in listed(response, "Access-Control-Allow-Headers")
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    clock = requests.get(production.url + "/_mocksmooch/clock", headers={"Origin": PAGE}, timeout=10)
    assert_cors(clock)


def _get(production, path: str, auth: str | None) -> requests.Response:
    headers = {"Origin": PAGE}
    if auth is not None:
        headers["Authorization"] = auth
    return requests.get(production.url + path, headers=headers, timeout=10)


def test_production_appuser_jwt_gets_cors(production):
    token = production.token("Acme Support", "appUser", user="alice")
    response = _get(production, "/v1.1/appusers/alice", f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["appUser"]["userId"] == "alice"
    assert_cors(response)
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_production_user_jwt_gets_cors_even_when_refused(production):
    """A user-scoped credential is allowed CORS; the 403 for another user must reach the page."""
    app_id = production.apps["Acme Support"]["id"]
    alice = f"Bearer {production.token('Acme Support', 'appUser', user='alice')}"
    refused = _get(production, f"/v1.1/apps/{app_id}/appusers/bob", alice)
    assert refused.status_code == 403
    assert_cors(refused)
    user = f"Bearer {production.token('Acme Support', 'user', user='alice')}"
    v2 = _get(production, f"/v2/apps/{app_id}/users/alice", user)
    assert v2.status_code == 403  # v2 REST routes do not take user scope
    assert_cors(v2)


@pytest.mark.parametrize("owner, path, status", [
    ("Acme Support", "/v2/apps/0f377dc9e9a0a0215d2274f9/users/alice", 200),      # app key
    ("Acme", "/v2/apps", 200),                                                  # account key
    ("provisioner", "/v2/apps", 200),                                           # service account key
    ("bot", "/v2/apps/0f377dc9e9a0a0215d2274f9/users/alice", 200),              # integration key
    ("Acme Support", "/v2/apps", 403),                                          # app key, refused
])
@pytest.mark.parametrize("method", ["basic", "jwt"])
def test_production_app_account_and_integration_credentials_get_no_cors(production, owner, path, status, method):
    key = production.keys[owner]
    auth = basic(key) if method == "basic" else f"Bearer {production.token(owner)}"
    response = _get(production, path, auth)
    assert response.status_code == status
    assert_no_cors(response)
    assert "origin" in listed(response, "Vary")
    reason = response.headers["X-Mocksmooch-Reason"]
    assert f"CORS: no headers in production mode: {key['scope']}-scoped credentials" in reason


def test_production_expired_jwt_401_has_no_cors(production):
    token = production.token("Acme Support", "appUser", user="alice", expires_in=60)
    assert_cors(_get(production, "/v1.1/appusers/alice", f"Bearer {token}"))
    production.clock.advance(61)
    response = _get(production, "/v1.1/appusers/alice", f"Bearer {token}")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "invalid_auth", "description": "Invalid JWT"}}
    assert_no_cors(response)
    reason = response.headers["X-Mocksmooch-Reason"]
    assert reason.startswith("jwt expired at ") and "sunshine-conversations-web#707" in reason


def test_production_failed_authentication_has_no_cors(production):
    key = production.keys["Acme Support"]
    forged = jwt.encode({"scope": "appUser", "userId": "alice"}, "not the secret of this key, but long enough", headers={"kid": key["id"]})
    for auth in (f"Bearer {forged}", basic((key["id"], "wrong")), None):
        response = _get(production, "/v1.1/appusers/alice", auth)
        assert response.status_code == 401
        assert_no_cors(response)


def _require_sdk(production) -> None:
    if not any(path.startswith("/sdk/") for _, path, _ in route_table(production.app)):
        pytest.skip("the SDK API (/sdk/v2) is not served yet, so its routes cannot be called; "
                    "the credential cases on /v1.1 and /v2 cover the other production rules")


def _sdk(production, method: str, path: str, auth: str | None = None, **kwargs) -> requests.Response:
    """A call as the Web Messenger makes it (smooch-auth.md 6.2), from a page at PAGE."""
    headers = {"Origin": PAGE, "x-smooch-sdk": "web/zendesk/1.0.0", "x-smooch-clientid": "client-1",
               "x-smooch-appid": "0f377dc9e9a0a0215d2274f9"}
    if auth is not None:
        headers["Authorization"] = auth
    return requests.request(method, production.url + "/sdk/v2" + path, headers=headers, timeout=10, **kwargs)


CLIENT = {"platform": "web", "id": "client-1", "integrationId": SITE}


def test_production_unauthenticated_sdk_routes_get_cors(production):
    _require_sdk(production)
    config = _sdk(production, "GET", f"/integrations/{SITE}/config")
    assert config.status_code == 200
    assert_cors(config)
    app_id = production.apps["Acme Support"]["id"]
    created = _sdk(production, "POST", f"/apps/{app_id}/appusers", json={"client": CLIENT})
    assert created.ok, created.text
    assert_cors(created)
    # the anonymous user's session token (Basic appUserId:sessionToken) is an appUser credential
    session = "Basic " + base64.b64encode(
        f"{created.json()['appUser']['_id']}:{created.json()['sessionToken']}".encode()).decode()
    again = _sdk(production, "GET", f"/apps/{app_id}/appusers/{created.json()['appUser']['_id']}", session)
    assert again.status_code == 200
    assert_cors(again)


def test_production_sdk_login_gets_cors_for_a_user_jwt_only(production):
    _require_sdk(production)
    app_id = production.apps["Acme Support"]["id"]
    body = {"userId": "alice", "client": CLIENT}
    user = f"Bearer {production.token('Acme Support', 'user', user='alice')}"
    logged_in = _sdk(production, "POST", f"/apps/{app_id}/login", user, json=body)
    assert logged_in.status_code == 200
    assert_cors(logged_in)
    app = f"Bearer {production.token('Acme Support')}"
    refused = _sdk(production, "POST", f"/apps/{app_id}/login", app, json=body)
    assert refused.status_code == 403  # "Invalid scope", which a browser never gets to read
    assert_no_cors(refused)


def test_production_without_origin_sends_nothing(production):
    token = production.token("Acme Support", "appUser", user="alice")
    response = requests.get(production.url + "/v1.1/appusers/alice", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "X-Mocksmooch-Reason" not in response.headers


# --- the command line ---------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(args: list[str], env: dict) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "mocksmooch", "serve", "--port", str(port), *args],
                               env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read()}")
        try:
            if requests.get(url + "/_mocksmooch/health", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("server did not become healthy")


@pytest.mark.parametrize("args, env", [
    (["--cors", "production", "--cors-origins", "http://localhost:3000,http://127.0.0.1:5173"], {}),
    ([], {"MOCKSMOOCH_CORS": "production", "MOCKSMOOCH_CORS_ORIGINS": "http://localhost:3000,http://127.0.0.1:5173"}),
    (["--cors", "production", "--cors-origins", "http://localhost:3000"],
     {"MOCKSMOOCH_CORS": "dev", "MOCKSMOOCH_CORS_ORIGINS": "*"}),  # the options win over the env
], ids=["options", "env", "options-over-env"])
def test_serve_cors_options_reach_the_server(args, env):
    process, url = _serve(args, env)
    try:
        mock = MockSmooch(url)
        app_key = mock.keys["Acme Support"]
        by_app_key = requests.get(f"{url}/v2/apps/{mock.apps['Acme Support']['id']}/users/alice", timeout=5,
                                  auth=(app_key["id"], app_key["secret"]), headers={"Origin": PAGE})
        assert by_app_key.status_code == 200
        assert_no_cors(by_app_key)  # production mode
        token = mock.token("Acme Support", "appUser", user="alice")
        by_user = requests.get(f"{url}/v1.1/appusers/alice", timeout=5,
                               headers={"Origin": PAGE, "Authorization": f"Bearer {token}"})
        assert_cors(by_user)
        unlisted = requests.get(f"{url}/v1.1/appusers/alice", timeout=5,
                                headers={"Origin": "http://localhost:8000", "Authorization": f"Bearer {token}"})
        assert_no_cors(unlisted)
        assert "origin http://localhost:8000 is not allowed" in unlisted.headers["X-Mocksmooch-Reason"]
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_serve_defaults_to_dev_mode_with_any_origin():
    process, url = _serve([], {"MOCKSMOOCH_CORS": "", "MOCKSMOOCH_CORS_ORIGINS": ""})
    try:
        key = MockSmooch(url).keys["Acme"]
        response = requests.get(url + "/v2/apps", auth=(key["id"], key["secret"]), timeout=5,
                                headers={"Origin": "https://anything.example"})
        assert response.status_code == 200
        assert_cors(response, "https://anything.example")
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.mark.parametrize("args, env, message", [
    (["--cors", "staging"], {}, "argument --cors: invalid"),
    ([], {"MOCKSMOOCH_CORS": "staging"}, "MOCKSMOOCH_CORS='staging': must be one of dev, production"),
    (["--cors-origins", "http://localhost:3000/app"], {},
     "'http://localhost:3000/app' is not an origin; an origin is scheme://host[:port] with no path"),
    ([], {"MOCKSMOOCH_CORS_ORIGINS": "localhost:3000"}, "'localhost:3000' is not an origin"),
    (["--cors-origins", " , "], {}, "names no origin; use * for any origin"),
])
def test_serve_refuses_bad_cors_settings(args, env, message):
    result = subprocess.run([sys.executable, "-m", "mocksmooch", "serve", "--port", "0", *args],
                            capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_serve_help_names_the_cors_options_and_variables():
    result = subprocess.run([sys.executable, "-m", "mocksmooch", "serve", "--help"], capture_output=True,
                            text=True, timeout=60)
    help_text = " ".join(result.stdout.split())
    for text in ("--cors {dev,production}", "MOCKSMOOCH_CORS,", "--cors-origins", "MOCKSMOOCH_CORS_ORIGINS"):
        assert text in help_text

