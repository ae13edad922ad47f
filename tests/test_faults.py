"""Fault injection (/_mocksmooch/faults): errors, slow answers and dropped connections on
purpose, for users' retry logic.  Over real HTTP, on the plugin's server (Werkzeug) and on
`mocksmooch serve` (waitress)."""
from __future__ import annotations

import random
import threading
from base64 import b64encode
import time
from textwrap import dedent

import pytest
import requests

from conftest import basic
from mocksmooch import faults as faults_module
from mocksmooch.client import ControlError
from test_cli import Served

FAULTS = "/_mocksmooch/faults"


def add(api, **rule) -> dict:
    response = api.post(FAULTS, json=rule)
    assert response.status_code == 201, response.text
    return response.json()["fault"]


def alice(api) -> str:
    return f"/v2/apps/{api.app('Acme Support')['id']}/users/alice"


def journal(api) -> list[dict]:
    return api.get("/_mocksmooch/requests").json()["requests"]


# --- what a rule answers -----------------------------------------------------------------------

def test_429_with_retry_after_once_then_the_real_answer(api):
    auth = basic(api.key("Acme Support"))
    rule = add(api, method="GET", path="/v2/apps/*/users/*", status=429, retryAfter=2, times=1)
    assert rule["id"] == "f1" and rule["fired"] == 0 and rule["remaining"] == 1

    first = api.get(alice(api), auth=auth)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "2"
    assert first.json() == {"errors": [{"code": "too_many_requests",
                                        "title": "You are calling our APIs more frequently than we allow."}]}
    assert first.headers["X-Mocksmooch-Reason"] == "fault f1 injected"
    second = api.get(alice(api), auth=auth)
    assert second.status_code == 200 and second.json()["user"]["externalId"] == "alice"
    assert "Retry-After" not in second.headers

    [listed] = api.get(FAULTS).json()["faults"]
    assert (listed["fired"], listed["remaining"]) == (1, 0)
    hit, passed = journal(api)
    assert hit["status"] == 429 and hit["fault"] == {"id": "f1", "status": 429, "retryAfter": 2}
    assert hit["auth"]["outcome"] == "none"  # the fault struck before authentication
    assert passed["status"] == 200 and "fault" not in passed and passed["auth"]["outcome"] == "allowed"


@pytest.mark.parametrize("status, code, title", [
    (500, "internal_error", "Internal server error"),
    (502, "bad_gateway", "Bad Gateway"),
    (503, "service_unavailable", "Service Unavailable"),
    (504, "gateway_timeout", "Gateway Timeout"),
    (404, "not_found", "Resource not found"),
    (599, "error", "Error 599"),
])
def test_default_body_is_the_error_envelope_of_the_path_version(api, status, code, title):
    add(api, path="*", status=status)
    v2 = api.get("/v2/apps")
    assert v2.status_code == status and v2.json() == {"errors": [{"code": code, "title": title}]}
    v1 = api.get("/v1.1/appusers/alice")
    assert v1.status_code == status and v1.json() == {"error": {"code": code, "description": title}}
    sdk = api.get(f"/sdk/v2/integrations/{api.app('Acme Support')['integrations'][1]['id']}/config")
    assert sdk.status_code == status and sdk.json()["error"]["code"] == code


def test_a_body_of_its_own_json_or_text(api):
    add(api, method="POST", path="/v2/apps", status=503, body={"errors": [{"code": "x", "title": "down"}]}, times=1)
    add(api, method="POST", path="/v2/apps", status=502, body="<html><h1>502 Bad Gateway</h1></html>",
        contentType="text/html; charset=utf-8", times=1)
    add(api, method="POST", path="/v2/apps", status=500, body="upstream reset", times=1)
    auth = basic(api.key("Acme"))
    json_body = api.post("/v2/apps", auth=auth, json={"displayName": "A"})
    assert (json_body.status_code, json_body.json()) == (503, {"errors": [{"code": "x", "title": "down"}]})
    html = api.post("/v2/apps", auth=auth, json={"displayName": "A"})
    assert html.status_code == 502 and html.headers["Content-Type"] == "text/html; charset=utf-8"
    assert html.text == "<html><h1>502 Bad Gateway</h1></html>"
    text = api.post("/v2/apps", auth=auth, json={"displayName": "A"})
    assert (text.status_code, text.text, text.headers["Content-Type"]) == (500, "upstream reset",
                                                                            "text/plain; charset=utf-8")
    created = api.post("/v2/apps", auth=auth, json={"displayName": "A"})
    assert created.status_code == 201
    names = [a["displayName"] for a in api.get("/v2/apps", auth=auth).json()["apps"]]
    assert names.count("A") == 1  # the faulted creates never reached the store


def test_a_delay_alone_slows_the_normal_answer(api):
    add(api, method="GET", path="/v2/apps/*/users/alice", delay=0.4)
    started = time.monotonic()
    response = api.get(alice(api), auth=basic(api.key("Acme Support")))
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200 and response.json()["user"]["externalId"] == "alice"
    [entry] = journal(api)
    assert entry["fault"] == {"id": "f1", "delay": 0.4}
    assert entry["auth"]["outcome"] == "allowed" and entry["durationMs"] >= 400


def test_a_delay_then_an_error(api):
    add(api, path="/v2/*", status=503, delay=0.3, times=1)
    started = time.monotonic()
    response = api.get("/v2/apps", auth=basic(api.key("Acme")))
    assert time.monotonic() - started >= 0.3 and response.status_code == 503
    assert journal(api)[0]["fault"] == {"id": "f1", "status": 503, "delay": 0.3}


def test_a_slow_answer_trips_the_client_timeout(api):
    add(api, path="/v2/apps", delay=1.5, times=1)
    with pytest.raises(requests.Timeout):
        requests.get(api.url + "/v2/apps", auth=(api.key("Acme")["id"], api.key("Acme")["secret"]), timeout=0.3)


def dropped(url: str, session: requests.Session | None = None, method: str = "GET", **kwargs) -> float:
    """Seconds until the client saw the connection close without an answer."""
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError) as raised:
        (session or requests).request(method, url, timeout=5, **kwargs)
    assert "without response" in str(raised.value) or "reset" in str(raised.value).lower(), raised.value
    return time.monotonic() - started


def test_drop_closes_the_connection_without_an_answer(api):
    add(api, method="GET", path="/v2/apps", drop=True, times=2)
    add(api, method="POST", path="/v2/apps", drop=True, times=1)
    assert dropped(api.url + "/v2/apps") < 2  # at once: the client does not wait for its timeout
    with requests.Session() as keep_alive:
        assert dropped(api.url + "/v2/apps", keep_alive) < 2
        assert dropped(api.url + "/v2/apps", keep_alive, "POST", json={"displayName": "x" * 50_000}) < 2
        assert keep_alive.get(api.url + "/v2/apps", timeout=5).status_code == 401  # served again
    entries = journal(api)
    assert [e["status"] for e in entries] == [None, None, None, 401]
    assert entries[0]["fault"] == {"id": "f1", "drop": True} and entries[2]["fault"]["id"] == "f2"
    assert [rule["fired"] for rule in api.get(FAULTS).json()["faults"]] == [2, 1]


def test_faults_under_waitress():
    """`mocksmooch serve` runs on waitress: the same rules, the same answers, the connection
    dropped without a 500."""
    server = Served({})
    try:
        server.wait_healthy()
        rules = [{"method": "GET", "path": "/v2/apps", "drop": True, "times": 1},
                 {"method": "GET", "path": "/v2/apps", "status": 429, "retryAfter": 1, "times": 1},
                 {"method": "GET", "path": "/v2/apps", "delay": 0.3, "times": 1}]
        for rule in rules:
            assert requests.post(server.url + FAULTS, json=rule, timeout=5).status_code == 201
        with requests.Session() as session:
            assert dropped(server.url + "/v2/apps", session) < 2
            limited = session.get(server.url + "/v2/apps", timeout=5)
            assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
            assert limited.json()["errors"][0]["code"] == "too_many_requests"
            started = time.monotonic()
            assert session.get(server.url + "/v2/apps", timeout=5).status_code == 401
            assert time.monotonic() - started >= 0.3
        assert requests.post(server.url + FAULTS, json={"path": "/v1.1/*", "drop": True}, timeout=5).ok
        assert dropped(server.url + "/v1.1/apps", method="POST", json={"a": "b" * 50_000}) < 2
        entries = requests.get(server.url + "/_mocksmooch/requests", timeout=5).json()["requests"]
        assert [(e["status"], e.get("fault", {}).get("id")) for e in entries] == [
            (None, "f1"), (429, "f2"), (401, "f3"), (None, "f4")]
    finally:
        output = server.stop()
    assert "GET /v2/apps dropped none" in output and "[fault f1]" in output
    assert "Internal" not in output and "Traceback" not in output


# --- which requests a rule hits ----------------------------------------------------------------

def test_method_and_path_glob(api):
    add(api, method="post", path="/v2/apps/*/users", status=500)
    support = api.app("Acme Support")["id"]
    auth = basic(api.key("Acme Support"))
    assert api.post(f"/v2/apps/{support}/users", auth=auth, json={"externalId": "zed"}).status_code == 500
    assert api.get(f"/v2/apps/{support}/users/alice", auth=auth).status_code == 200  # other method and path
    assert api.get(FAULTS).json()["faults"][0]["method"] == "POST"


def test_a_rule_can_target_one_key(api):
    support_key = api.key("Acme Support")
    add(api, path="/v2/*", keyId=support_key["id"], status=503)
    url = alice(api)
    assert api.get(url, auth=basic(support_key)).status_code == 503
    assert api.get(url, auth=api.bearer(support_key["id"], "app")).status_code == 503  # the JWT's kid
    assert api.get(url, auth=basic((support_key["id"], "wrong secret"))).status_code == 503  # before auth
    assert api.get(url, auth=basic(api.key("Acme"))).status_code == 200  # another key
    assert api.get(url).status_code == 401  # no credential
    assert api.get(url, auth="Bearer not.a.jwt").status_code == 401


def test_the_first_rule_that_fires_wins(api):
    first = add(api, path="/v2/apps", status=502, times=1)
    second = add(api, path="/v2/*", status=503, times=2)
    statuses = [api.get("/v2/apps").status_code for _ in range(4)]
    assert statuses == [502, 503, 503, 401]
    listed = {rule["id"]: rule["fired"] for rule in api.get(FAULTS).json()["faults"]}
    assert listed == {first["id"]: 1, second["id"]: 2}


def test_times_is_exact_under_concurrency(api):
    add(api, path="/v2/apps", status=503, times=25)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker():
        with requests.Session() as session:
            for _ in range(10):
                status = session.get(api.url + "/v2/apps", timeout=10).status_code
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) == [401, 503]
    assert statuses.count(503) == 25 and len(statuses) == 80
    assert api.get(FAULTS).json()["faults"][0]["fired"] == 25


def test_probability_is_seeded_so_runs_repeat(api):
    def run() -> list[int]:
        add(api, path="/v2/apps", status=503, probability=0.3, seed=42)
        return [api.get("/v2/apps").status_code for _ in range(60)]

    first = run()
    generator = random.Random(42)
    assert first == [503 if generator.random() < 0.3 else 401 for _ in range(60)]
    assert 5 < first.count(503) < 35
    assert api.post("/_mocksmooch/reset").status_code == 200
    assert run() == first


def test_default_seeds_repeat_after_a_reset_or_a_clear(api):
    def seeds() -> list[int]:
        return [add(api, path="/v2/apps", status=503, probability=0.5)["seed"] for _ in range(3)]

    before = seeds()
    assert len(set(before)) == 3
    api.post("/_mocksmooch/reset")
    assert seeds() == before
    api.request("DELETE", FAULTS)
    assert seeds() == before


def test_the_control_api_and_the_dashboard_are_never_faulted(api):
    add(api, path="*", status=503)
    add(api, path="/v2/*", drop=True)
    assert api.get("/_mocksmooch/health").json() == {"status": "ok"}
    assert api.get("/_mocksmooch/").status_code == 200
    assert api.post("/_mocksmooch/tokens", json={"keyId": api.key("Acme")["id"], "scope": "account"}).ok
    assert api.get("/v1.1/appusers/alice").status_code == 503


def test_cors_preflights_only_for_rules_that_name_options(api):
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
    add(api, path="/v2/*", status=503)
    answer = api.request("OPTIONS", "/v2/apps", headers=dict(preflight))
    assert answer.status_code == 204 and answer.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    add(api, method="OPTIONS", path="/v2/*", status=502)
    assert api.request("OPTIONS", "/v2/apps", headers=dict(preflight)).status_code == 502


# --- the registry ------------------------------------------------------------------------------

def test_list_get_delete_clear_and_reset(api):
    one = add(api, path="/v2/apps", status=500)
    two = add(api, method="DELETE", path="/v1.1/*", delay=0.01, times=3, probability=0.5, seed=7)
    assert two == {"id": "f2", "method": "DELETE", "path": "/v1.1/*", "keyId": None, "status": None,
                   "body": None, "contentType": None, "retryAfter": None, "delay": 0.01, "drop": False,
                   "times": 3, "probability": 0.5, "seed": 7, "fired": 0, "remaining": 3}
    assert [rule["id"] for rule in api.get(FAULTS).json()["faults"]] == ["f1", "f2"]
    assert api.get(f"{FAULTS}/f2").json() == {"fault": two}

    api.get("/v2/apps")
    deleted = api.request("DELETE", f"{FAULTS}/{one['id']}")
    assert deleted.status_code == 200 and deleted.json()["fault"]["fired"] == 1
    assert api.get("/v2/apps").status_code == 401  # gone
    for missing in (api.request("DELETE", f"{FAULTS}/f1"), api.get(f"{FAULTS}/nope")):
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "fault_not_found"

    assert api.request("DELETE", FAULTS).json() == {"faults": []}
    assert api.get(FAULTS).json() == {"faults": []}
    assert add(api, path="/v2/apps", status=500)["id"] == "f3"  # an old id never names a new rule
    api.post("/_mocksmooch/reset")
    assert api.get(FAULTS).json() == {"faults": []}
    assert api.get("/v2/apps").status_code == 401
    assert add(api, path="/v2/apps", status=500)["id"] == "f1"


@pytest.mark.parametrize("rule, field", [
    ({}, "status"),
    ({"path": "/v2/apps"}, "status"),
    ({"status": 200}, "status"),
    ({"status": 600}, "status"),
    ({"status": "503"}, "status"),
    ({"status": True}, "status"),
    ({"status": 503.5}, "status"),
    ({"method": "FETCH", "status": 500}, "method"),
    ({"method": 5, "status": 500}, "method"),
    ({"path": "v2/apps", "status": 500}, "path"),
    ({"path": "", "status": 500}, "path"),
    ({"path": ["/v2"], "status": 500}, "path"),
    ({"path": "/" + "a" * 2000, "status": 500}, "path"),
    ({"path": "/_mocksmooch/health", "status": 500}, "path"),
    ({"path": "/_mocksmooch", "status": 500}, "path"),
    ({"keyId": "", "status": 500}, "keyId"),
    ({"keyId": 12, "status": 500}, "keyId"),
    ({"status": 500, "drop": True}, "drop"),
    ({"drop": "yes"}, "drop"),
    ({"delay": -1}, "delay"),
    ({"delay": 301}, "delay"),
    ({"delay": "1"}, "delay"),
    ({"delay": True}, "delay"),
    ({"body": {"a": 1}}, "body"),
    ({"retryAfter": 1, "delay": 1}, "retryAfter"),
    ({"status": 429, "retryAfter": -1}, "retryAfter"),
    ({"status": 429, "retryAfter": 1.5}, "retryAfter"),
    ({"status": 429, "retryAfter": "soon"}, "retryAfter"),
    ({"status": 500, "contentType": "text/html"}, "contentType"),
    ({"status": 500, "body": "x", "contentType": "text/html\r\nX-Evil: 1"}, "contentType"),
    ({"status": 500, "body": "x", "contentType": "text/html\u00e9"}, "contentType"),
    ({"status": 500, "body": "x", "contentType": 5}, "contentType"),
    ({"status": 500, "times": 0}, "times"),
    ({"status": 500, "times": 1.5}, "times"),
    ({"status": 500, "times": "once"}, "times"),
    ({"status": 500, "probability": 1.5}, "probability"),
    ({"status": 500, "probability": -0.1}, "probability"),
    ({"status": 500, "probability": "half"}, "probability"),
    ({"status": 500, "seed": "abc"}, "seed"),
    ({"status": 500, "seed": 1.5}, "seed"),
    ({"status": 500, "colour": "red"}, "colour"),
    ({"status": 500, "id": "mine"}, "id"),
])
def test_bad_rules_are_400_naming_the_field(api, rule, field):
    response = api.post(FAULTS, json=rule)
    assert response.status_code == 400, (rule, response.text)
    error = response.json()["error"]
    assert error["code"] == "bad_request" and error["message"].startswith(f"{field}: "), error
    assert api.get(FAULTS).json() == {"faults": []}


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"a string"', "null", '{"status": NaN}',
                                 '{"delay": Infinity}', '{"status": 500, "body": {"x": NaN}}', "{" * 5000,
                                 '{"status": 500, "body": ' + "[" * 5000 + "]" * 5000 + "}"])
def test_unreadable_rule_bodies_are_400(api, raw):
    response = api.post(FAULTS, data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"


def test_an_oversized_rule_is_413(api):
    response = api.post(FAULTS, json={"status": 500, "body": "x" * 200_000})
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    with pytest.raises(faults_module.FaultError, match="^body: "):  # the same limit in Python
        faults_module.Faults().add({"status": 500, "body": "x" * 200_000})


@pytest.mark.parametrize("header, key_id", [
    ("Basic " + b64encode(b"app_1:secret").decode(), "app_1"),
    ("basic " + b64encode(b"app_1:se:cret").decode(), "app_1"),
    ("Bearer eyJhbGciOiJIUzI1NiIsImtpZCI6ImFwcF8yIn0.e30.sig", "app_2"),
    ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", None),
    ("Bearer eyJraWQiOjV9.e30.x", None),  # kid not a string
    ("Bearer W10.e30.x", None),  # header is a JSON array
    ("Bearer %%%.e30.x", None),
    ("Basic !!!!", None),
    ("Basic " + b64encode(b"\xff\xfe:x").decode(), None),
    ("Basic " + b64encode(b":secret").decode(), None),
    ("Digest abc", None),
    ("", None),
    (None, None),
])
def test_the_key_id_is_read_cheaply_and_never_fails(header, key_id):
    assert faults_module.credential_key_id(header) == key_id


# --- through the pytest plugin's handle --------------------------------------------------------

def test_the_handle_adds_lists_gets_deletes_and_clears(mocksmooch):
    app_id = mocksmooch.apps["Acme Support"]["id"]
    key = mocksmooch.keys["Acme Support"]
    rule = mocksmooch.faults.add(method="POST", path="/v2/apps/*/conversations/*/messages", status=429,
                                 retry_after=2, times=1)
    assert (rule["status"], rule["retryAfter"], rule["times"], rule["keyId"]) == (429, 2, 1, None)
    by_owner = mocksmooch.faults.add(path="/v2/*", key="Acme", delay=0.01)
    assert by_owner["keyId"] == mocksmooch.keys["Acme"]["id"]

    alice = mocksmooch.users["alice"]
    conversation = requests.post(f"{mocksmooch.url}/v2/apps/{app_id}/conversations", auth=(key["id"], key["secret"]),
                                 json={"type": "personal", "participants": [{"userId": alice["id"]}]}, timeout=10)
    assert conversation.status_code == 201, conversation.text
    url = f"{mocksmooch.url}/v2/apps/{app_id}/conversations/{conversation.json()['conversation']['id']}/messages"
    message = {"author": {"type": "business"}, "content": {"type": "text", "text": "hi"}}
    limited = requests.post(url, auth=(key["id"], key["secret"]), json=message, timeout=10)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert requests.post(url, auth=(key["id"], key["secret"]), json=message, timeout=10).status_code == 201

    assert mocksmooch.faults.get(rule)["fired"] == 1
    assert [r["id"] for r in mocksmooch.faults] == [rule["id"], by_owner["id"]] and len(mocksmooch.faults) == 2
    [entry] = mocksmooch.requests.find("POST", "/v2/apps/*/conversations/*/messages", status=429)
    assert entry["fault"]["id"] == rule["id"]
    assert mocksmooch.faults.delete(rule["id"])["fired"] == 1
    with pytest.raises(ControlError) as missing:
        mocksmooch.faults.get(rule)
    assert missing.value.status == 404
    with pytest.raises(ControlError) as bad:
        mocksmooch.faults.add(path="/v2/*", status=200)
    assert bad.value.status == 400 and "status:" in str(bad.value)
    mocksmooch.faults.clear()
    assert mocksmooch.faults.all() == []


# The README's recipe (section "In pytest"), run as a user's suite runs it.
RECIPE = '''
import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def test_my_client_retries_after_a_429(mocksmooch):
    app_id = mocksmooch.apps["Acme Support"]["id"]
    key = mocksmooch.keys["Acme Support"]
    rule = mocksmooch.faults.add(method="GET", path="/v2/apps/*/users/*", status=429, retry_after=1, times=1)

    session = requests.Session()  # your client, with its retry policy
    session.mount("http://", HTTPAdapter(max_retries=Retry(total=3, status_forcelist=[429])))
    response = session.get(f"{mocksmooch.url}/v2/apps/{app_id}/users/alice", auth=(key["id"], key["secret"]))

    assert response.status_code == 200
    assert mocksmooch.faults.get(rule)["fired"] == 1
    [limited] = mocksmooch.requests.find("GET", "/v2/apps/*/users/alice", status=429)
    assert limited["fault"] == {"id": rule["id"], "status": 429, "retryAfter": 1}


def test_my_client_gives_up_on_a_dropped_connection(mocksmooch):
    mocksmooch.faults.add(method="POST", path="/v2/apps", drop=True)
    key = mocksmooch.keys["Acme"]
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{mocksmooch.url}/v2/apps", auth=(key["id"], key["secret"]), json={"displayName": "x"})


def test_my_client_times_out_on_a_slow_answer(mocksmooch):
    mocksmooch.faults.add(path="/v2/apps", delay=2, times=1)
    key = mocksmooch.keys["Acme"]
    with pytest.raises(requests.Timeout):
        requests.get(f"{mocksmooch.url}/v2/apps", auth=(key["id"], key["secret"]), timeout=0.5)
'''


def test_the_readme_recipe_passes(pytester, monkeypatch):
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_retries=dedent(RECIPE))
    started = time.monotonic()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=3)
    assert time.monotonic() - started >= 1  # urllib3 honoured the Retry-After
