"""The control API under /_mocksmooch/: no Smooch credentials, JSON in and out."""
from __future__ import annotations

from datetime import datetime

import jwt

from conftest import basic


def parse(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_health(api):
    response = api.get("/_mocksmooch/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_clock_advance_set_freeze(api):
    start = api.get("/_mocksmooch/clock").json()
    assert start["frozen"] is False
    advanced = api.post("/_mocksmooch/clock", json={"advance": 86400}).json()
    assert 86399 < parse(advanced["now"]) - parse(start["now"]) < 86460

    assert api.post("/_mocksmooch/clock", json={"set": "2030-01-02T03:04:05Z"}).status_code == 200
    frozen = api.post("/_mocksmooch/clock", json={"freeze": True}).json()
    assert frozen["frozen"] is True
    assert frozen["now"].startswith("2030-01-02T03:04:0")
    assert api.get("/_mocksmooch/clock").json()["now"] == frozen["now"]
    moved = api.post("/_mocksmooch/clock", json={"advance": 60}).json()
    assert parse(moved["now"]) - parse(frozen["now"]) == 60
    assert api.post("/_mocksmooch/clock", json={"freeze": False}).json()["frozen"] is False


def test_clock_rejects_bad_input(api):
    for body in ({}, {"advance": "10"}, {"set": "yesterday"}, {"freeze": "yes"},
                 {"advance": 1, "freeze": True}, {"rewind": 5}, {"advance": 1e300}, {"advance": -1e12},
                 {"set": "10000-01-01T00:00:00Z"}, {"set": 5}):
        response = api.post("/_mocksmooch/clock", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "bad_request"
    assert api.post("/_mocksmooch/clock", data="not json").status_code == 400
    nan = api.post("/_mocksmooch/clock", data='{"advance": NaN}', headers={"Content-Type": "application/json"})
    assert nan.status_code == 400
    assert api.get("/_mocksmooch/health").status_code == 200


def test_tokens_are_signed_with_the_key(api):
    key = api.key("Acme Support")
    response = api.post("/_mocksmooch/tokens", json={"keyId": key["id"], "scope": "user",
                                                     "externalId": "alice", "expiresIn": 60})
    assert response.status_code == 200
    token = response.json()["jwt"]
    assert jwt.get_unverified_header(token)["kid"] == key["id"]
    claims = jwt.decode(token, key["secret"], algorithms=["HS256"], options={"verify_exp": False})
    assert claims["scope"] == "user" and claims["external_id"] == "alice"
    now = parse(api.get("/_mocksmooch/clock").json()["now"])
    assert abs(claims["exp"] - (now + 60)) <= 2


def test_tokens_follow_the_server_clock(api):
    api.post("/_mocksmooch/clock", json={"set": "2031-06-01T00:00:00Z"})
    key = api.key("Acme")
    token = api.token(key["id"], "account", expiresIn=10)
    claims = jwt.decode(token, key["secret"], algorithms=["HS256"], options={"verify_exp": False})
    assert abs(claims["exp"] - (parse("2031-06-01T00:00:00Z") + 10)) <= 1
    assert api.get("/v2/apps", auth=f"Bearer {token}").status_code == 200


def test_tokens_reject_bad_input(api):
    key = api.key("Acme")["id"]
    cases = [({"scope": "app"}, 400), ({"keyId": key}, 400), ({"keyId": key, "scope": "app", "expiresIn": "1h"}, 400),
             ({"keyId": key, "scope": "app", "colour": "red"}, 400),
             ({"keyId": "app_000000000000000000000000", "scope": "app"}, 404)]
    for body, status in cases:
        response = api.post("/_mocksmooch/tokens", json=body)
        assert response.status_code == status, body
        assert response.json()["error"]["message"]


def test_fixtures_lists_seeded_keys_with_secrets(api):
    seed = api.get("/_mocksmooch/fixtures").json()
    names = [account["name"] for account in seed["accounts"]]
    assert names == ["Acme", "Globex"]
    key = seed["accounts"][0]["keys"][0]
    assert key["id"].startswith("act_") and len(key["secret"]) == 86


def test_reset_restores_state_clock_and_journal(api):
    account = basic(api.key("Acme"))
    created = api.post("/v2/apps", auth=account, json={"displayName": "Temporary"}).json()["app"]
    api.post("/_mocksmooch/clock", json={"set": "2040-01-01T00:00:00Z"})
    assert api.get("/_mocksmooch/requests").json()["requests"]

    assert api.post("/_mocksmooch/reset").status_code == 200
    assert api.get(f"/v2/apps/{created['id']}", auth=account).status_code == 404
    assert api.get("/_mocksmooch/clock").json()["now"] < "2040"
    journal = api.get("/_mocksmooch/requests").json()["requests"]
    assert [entry["path"] for entry in journal] == [f"/v2/apps/{created['id']}"]


def test_journal_records_outcomes_and_can_be_cleared(api):
    key = api.key("Acme Support")
    app_id = api.app("Acme Support")["id"]
    api.get(f"/v2/apps/{app_id}", auth=basic(key))
    api.get("/v2/apps", auth=basic(key))
    api.get(f"/v2/apps/{app_id}")
    allowed, forbidden, anonymous = api.get("/_mocksmooch/requests").json()["requests"]
    assert (allowed["status"], allowed["auth"]["outcome"], allowed["auth"]["principal"]["keyId"]) == (
        200, "allowed", key["id"])
    assert (forbidden["status"], forbidden["auth"]["outcome"]) == (403, "rejected")
    assert "scope app not allowed" in forbidden["auth"]["reason"]
    assert forbidden["auth"]["principal"]["scope"] == "app"
    assert (anonymous["status"], anonymous["auth"]["reason"]) == (401, "no Authorization header")
    assert api.request("DELETE", "/_mocksmooch/requests").status_code == 200
    assert api.get("/_mocksmooch/requests").json()["requests"] == []


def test_control_api_unknown_route_is_json_404(api):
    response = api.get("/_mocksmooch/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_reset_to_another_seed_until_the_next_reset(api):
    other = {"accounts": [{"name": "Other", "keys": [{"id": "act_" + "c" * 24, "secret": "pw"}],
                           "apps": [{"name": "Elsewhere"}]}]}
    response = api.post("/_mocksmooch/reset", json={"fixtures": other})
    assert response.status_code == 200, response.text
    assert [a["name"] for a in api.get("/_mocksmooch/fixtures").json()["accounts"]] == ["Other"]
    assert api.get("/v2/apps", auth=basic(("act_" + "c" * 24, "pw"))).status_code == 200
    assert api.get("/v2/apps", auth=basic(api.key("Acme"))).status_code == 401

    api.post("/_mocksmooch/reset")
    assert api.get("/v2/apps", auth=basic(api.key("Acme"))).status_code == 200
    assert api.get("/v2/apps", auth=basic(("act_" + "c" * 24, "pw"))).status_code == 401


def test_reset_with_invalid_fixtures_changes_nothing(api):
    created = api.post("/v2/apps", auth=basic(api.key("Acme")), json={"displayName": "Kept"}).json()["app"]
    response = api.post("/_mocksmooch/reset", json={"fixtures": {"accounts": [{"colour": "red"}]}})
    assert response.status_code == 400
    assert "accounts[0]" in response.json()["error"]["message"]
    assert api.get(f"/v2/apps/{created['id']}", auth=basic(api.key("Acme"))).status_code == 200
    assert api.post("/_mocksmooch/reset", json={"seed": {}}).status_code == 400
