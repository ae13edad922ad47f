"""The SDK API (/sdk/v2) over HTTP, as the Web SDK calls it: the config, anonymous users
with session tokens, login with user JWTs, logout, the user's conversations, messages,
files and activity shared with the REST APIs, and every rejection of the contract
(notes/sdk-contract.md) in the v1 envelope."""
from __future__ import annotations

import base64
import re

import pytest
import requests

from conftest import basic
from mocksmooch.app import create_app, route_table
from test_webhook_delivery import Receiver, add_webhook, wait_for_deliveries

SITE = "b045109606a2a042e04d66a0"   # the seeded web integration of Acme Support
BOT = "e4d193f3a0b6e39fb5dac231"    # the seeded custom integration of Acme Support
START = "2030-01-01T00:00:00.000Z"
START_SECONDS = 1893456000.0
DEFAULT_AVATAR = "https://www.gravatar.com/avatar/00000000000000000000000000000000.png?s=200&d=mm"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SDK_HEADERS = {"x-smooch-sdk": "web/zendesk/1.0.0", "x-smooch-clientid": "c0ffee"}


# --- helpers ---------------------------------------------------------------------------------------

def app_id(api, name="Acme Support") -> str:
    return api.app(name)["id"]


def sdk(api, rest: str, app="Acme Support") -> str:
    return f"/sdk/v2/apps/{app_id(api, app)}{rest}"


def client(client_id="c0ffee", **extra) -> dict:
    return {"platform": "web", "id": client_id, "integrationId": SITE, **extra}


def session_auth(app_user_id: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{app_user_id}:{token}".encode()).decode()


def user_jwt(api, external_id="alice", app="Acme Support", scope="user", **extra) -> str:
    claim = {"externalId": external_id} if scope == "user" else {"userId": external_id}
    return api.bearer(api.key(app)["id"], scope, **claim, **extra)


def anonymous(api, intent="conversation:start") -> dict:
    """A new anonymous user; the answer, with `auth` (its Basic credential) added."""
    body = {"client": client()}
    if intent:
        body["intent"] = intent
    response = api.post(sdk(api, "/appusers"), json=body, headers=dict(SDK_HEADERS))
    assert response.status_code == 201, response.text
    created = response.json()
    created["auth"] = session_auth(created["appUser"]["_id"], created["sessionToken"])
    return created


def login(api, auth: str, external_id="alice", **body) -> requests.Response:
    return api.post(sdk(api, "/login"), auth=auth, headers=dict(SDK_HEADERS),
                    json={"userId": external_id, "integrationId": SITE, "client": {"id": "c0ffee", "platform": "web"},
                          **body})


def send(api, auth: str, conversation_id: str, app_user_id: str, text="hello", **message) -> requests.Response:
    return api.post(sdk(api, f"/conversations/{conversation_id}/messages"), auth=auth,
                    json={"message": {"type": "text", "text": text, **message},
                          "author": {"role": "appUser", "appUserId": app_user_id, "client": client()}})


def error(response, status: int, code: str, description: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"error": {"code": code, "description": description}}
    assert response.headers.get("X-Mocksmooch-Reason")


def journal(api) -> list[dict]:
    return requests.get(f"{api.url}/_mocksmooch/requests", timeout=10).json()["requests"]


def v2_messages(api, conversation_id: str) -> list[dict]:
    response = api.get(f"/v2/apps/{app_id(api)}/conversations/{conversation_id}/messages",
                       auth=basic(api.key("Acme Support")))
    assert response.status_code == 200, response.text
    return response.json()["messages"]


@pytest.fixture
def frozen(api):
    """The server's clock stopped at START; `advance(seconds)` moves it."""
    for change in ({"freeze": True}, {"set": START}):
        assert requests.post(f"{api.url}/_mocksmooch/clock", json=change, timeout=10).status_code == 200

    def advance(seconds: float) -> None:
        assert requests.post(f"{api.url}/_mocksmooch/clock", json={"advance": seconds}, timeout=10).status_code == 200

    return advance


# --- config -------------------------------------------------------------------------------------------

def test_config_needs_no_credentials_and_points_back_at_the_mock(api):
    response = api.get(f"/sdk/v2/integrations/{SITE}/config")
    assert response.status_code == 200, response.text
    config = response.json()["config"]
    assert config["app"]["_id"] == app_id(api) and config["app"]["name"] == "Acme Support"
    assert config["app"]["status"] == "active" and config["app"]["settings"]["multiConvoEnabled"] is False
    assert config["baseUrl"] == {"web": api.url, "android": api.url, "ios": api.url}
    assert config["integration"] == {"_id": SITE, "type": "web", "displayName": "site", **{
        k: v for k, v in config["integration"].items() if k not in ("_id", "type", "displayName")}}
    assert config["integration"]["brandColor"] == "65758e"
    assert [i["_id"] for i in config["integrations"]] == [SITE]  # the custom integration is no channel
    assert config["realtime"]["enabled"] is False and config["realtime"]["baseUrl"] == f"{api.url}/faye"
    assert journal(api)[-1]["auth"] == {"outcome": "none"}


def test_config_of_an_unknown_or_non_sdk_integration_is_404(api):
    error(api.get("/sdk/v2/integrations/5d8cff3cd55b040010928b5b/config"), 404, "not_found", "Integration not found")
    error(api.get(f"/sdk/v2/integrations/{BOT}/config"), 404, "not_found", "Integration not found")


# --- anonymous users ------------------------------------------------------------------------------------

def test_the_anonymous_flow_shares_messages_with_the_rest_api(api, frozen):
    created = anonymous(api)
    user = created["appUser"]
    assert re.fullmatch(r"[0-9a-f]{24}", user["_id"]) and "userId" not in user
    assert user["conversationStarted"] is False
    assert [(c["id"], c["platform"], c["integrationId"]) for c in user["clients"]] == [("c0ffee", "web", SITE)]
    assert isinstance(created["sessionToken"], str) and len(created["sessionToken"]) >= 32
    assert created["settings"]["realtime"]["enabled"] is False
    [conversation] = created["conversations"]
    assert conversation["isDefault"] is True and conversation["type"] == "personal"
    assert [p["appUserId"] for p in conversation["participants"]] == [user["_id"]]

    frozen(1)
    sent = send(api, created["auth"], conversation["_id"], user["_id"], "hello from the browser")
    assert sent.status_code == 201, sent.text
    [message] = sent.json()["messages"]
    assert message == {"_id": message["_id"], "authorId": user["_id"], "role": "appUser", "type": "text",
                       "name": "", "text": "hello from the browser", "avatarUrl": DEFAULT_AVATAR,
                       "received": START_SECONDS + 1, "source": {"type": "web", "integrationId": SITE}}
    assert sent.json()["conversation"]["_id"] == conversation["_id"]

    # the REST API sees the same message, and answers through the same conversation
    [seen] = v2_messages(api, conversation["_id"])
    assert seen["id"] == message["_id"] and seen["content"] == {"type": "text", "text": "hello from the browser"}
    assert seen["author"]["userId"] == user["_id"] and seen["source"] == {"type": "web", "integrationId": SITE}
    frozen(1)
    reply = api.post(f"/v2/apps/{app_id(api)}/conversations/{conversation['_id']}/messages",
                     auth=basic(api.key("Acme Support")),
                     json={"author": {"type": "business", "displayName": "Agent"},
                           "content": {"type": "text", "text": "how can we help?"}})
    assert reply.status_code == 201, reply.text

    listed = api.get(sdk(api, f"/conversations/{conversation['_id']}/messages"), auth=created["auth"])
    assert listed.status_code == 200, listed.text
    assert [(m["role"], m["text"], m["received"]) for m in listed.json()["messages"]] == [
        ("appUser", "hello from the browser", START_SECONDS + 1), ("appMaker", "how can we help?", START_SECONDS + 2)]
    assert listed.json()["messages"][1]["name"] == "Agent"
    assert listed.json()["conversation"]["unreadCount"] == 1
    assert "previous" not in listed.json() and "next" not in listed.json()

    again = api.get(sdk(api, f"/appusers/{user['_id']}"), auth=created["auth"])
    assert again.status_code == 200 and again.json()["appUser"]["conversationStarted"] is True
    assert [c["_id"] for c in again.json()["conversations"]] == [conversation["_id"]]

    entry = [e for e in journal(api) if e["path"].endswith("/messages") and e["method"] == "POST"][0]
    assert entry["auth"]["outcome"] == "allowed"
    assert entry["auth"]["principal"]["scope"] == "appUser"
    assert entry["auth"]["principal"]["method"] == "session"
    assert entry["auth"]["principal"]["user"] == user["_id"]


def test_an_anonymous_user_without_the_start_intent_has_no_conversation_yet(api):
    created = anonymous(api, intent=None)
    assert created["conversations"] == []
    path = sdk(api, f"/appusers/{created['appUser']['_id']}/conversations")
    assert api.get(path, auth=created["auth"]).json() == {"conversations": []}
    made = api.post(path, auth=created["auth"], json={"client": client()})
    assert made.status_code == 201, made.text
    conversation = made.json()["conversation"]
    assert conversation["isDefault"] is True
    # without multiConvoEnabled the user keeps its one conversation
    assert api.post(path, auth=created["auth"], json={}).json()["conversation"]["_id"] == conversation["_id"]
    assert [c["_id"] for c in api.get(path, auth=created["auth"]).json()["conversations"]] == [conversation["_id"]]


def test_creating_an_anonymous_user_checks_its_body(api):
    path = sdk(api, "/appusers")
    error(api.post(path, json={}), 400, "bad_request", "should have required property 'client'")
    error(api.post(path, json={"client": {"platform": "web"}}), 400, "bad_request",
          "client should have required property 'id'")
    error(api.post(path, json={"client": {"id": "x", "platform": "tv"}}), 400, "bad_request",
          "client.platform should be equal to one of the allowed values: web, ios, android")
    error(api.post(path, json={"client": client(integrationId=BOT)}), 404, "not_found", "Integration not found")
    error(api.post(path, json={"client": client(), "userId": "alice"}), 403, "forbidden", "Forbidden")
    error(api.post("/sdk/v2/apps/5d8cff3cd55b040010928b5b/appusers", json={"client": client()}),
          404, "not_found", "App not found")


def test_a_bad_session_token_is_401(api):
    created = anonymous(api)
    user_id = created["appUser"]["_id"]
    path = sdk(api, f"/appusers/{user_id}")
    error(api.get(path, auth=session_auth(user_id, "not-the-token")), 401, "unauthorized", "Authorization is required")
    error(api.get(path, auth=session_auth("5d8cff3cd55b040010928b5b", created["sessionToken"])),
          401, "unauthorized", "Authorization is required")
    error(api.get(path), 401, "unauthorized", "Authorization is required")
    assert journal(api)[-3]["auth"]["outcome"] == "rejected"
    assert "wrong session token" in journal(api)[-3]["auth"]["reason"]


# --- login and logout ---------------------------------------------------------------------------------------

def test_login_with_a_user_jwt_finds_the_user(api):
    response = login(api, user_jwt(api, "alice"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["appUser"]["_id"] == api.user("Acme Support", "alice")["id"]
    assert body["appUser"]["userId"] == "alice"
    assert [(c["id"], c["platform"]) for c in body["appUser"]["clients"]] == [("c0ffee", "web")]
    assert body["conversations"] == [] and body["settings"]["realtime"]["enabled"] is False
    assert "sessionToken" not in body
    entry = journal(api)[-1]
    assert entry["auth"]["outcome"] == "allowed"
    assert (entry["auth"]["principal"]["scope"], entry["auth"]["principal"]["user"]) == ("user", "alice")

    # the same install logging in again is the same device, seen again
    again = login(api, user_jwt(api, "alice")).json()["appUser"]
    assert [c["id"] for c in again["clients"]] == ["c0ffee"]


def test_login_creates_a_user_for_a_new_external_id_and_chats(api):
    auth = user_jwt(api, "zoe")
    user = login(api, auth, "zoe").json()["appUser"]
    assert user["userId"] == "zoe"
    v2_user = api.get(f"/v2/apps/{app_id(api)}/users/zoe", auth=basic(api.key("Acme Support"))).json()["user"]
    assert v2_user["id"] == user["_id"]

    made = api.post(sdk(api, f"/appusers/{user['_id']}/conversations"), auth=auth, json={"client": client()})
    assert made.status_code == 201, made.text
    conversation = made.json()["conversation"]
    assert conversation["participants"][0]["userId"] == "zoe"
    sent = send(api, auth, conversation["_id"], user["_id"], "hi as zoe")
    assert sent.status_code == 201, sent.text
    assert [m["content"]["text"] for m in v2_messages(api, conversation["_id"])] == ["hi as zoe"]
    # the user's routes also take its externalId in the path
    assert api.get(sdk(api, "/appusers/zoe"), auth=auth).json()["appUser"]["_id"] == user["_id"]


def test_login_with_a_legacy_app_user_jwt(api):
    response = login(api, user_jwt(api, "bob", scope="appUser"), "bob")
    assert response.status_code == 200, response.text
    assert response.json()["appUser"]["userId"] == "bob"


def test_login_binds_the_anonymous_user_and_spends_its_session_token(api):
    created = anonymous(api)
    anon_id = created["appUser"]["_id"]
    conversation_id = created["conversations"][0]["_id"]
    assert send(api, created["auth"], conversation_id, anon_id, "before login").status_code == 201

    auth = user_jwt(api, "zoe")
    response = login(api, auth, "zoe", appUserId=anon_id, sessionToken=created["sessionToken"])
    assert response.status_code == 200, response.text
    user = response.json()["appUser"]
    assert (user["_id"], user["userId"]) == (anon_id, "zoe")
    assert [c["_id"] for c in response.json()["conversations"]] == [conversation_id]

    error(api.get(sdk(api, f"/appusers/{anon_id}"), auth=created["auth"]),
          401, "unauthorized", "Authorization is required")
    assert "has no session token" in journal(api)[-1]["auth"]["reason"]
    # the JWT now speaks for that user and its conversation
    listed = api.get(sdk(api, f"/conversations/{conversation_id}/messages"), auth=auth)
    assert [m["text"] for m in listed.json()["messages"]] == ["before login"]
    v2_user = api.get(f"/v2/apps/{app_id(api)}/users/zoe", auth=basic(api.key("Acme Support"))).json()["user"]
    assert v2_user["id"] == anon_id


def test_login_into_an_existing_user_keeps_it_and_spends_the_anonymous_token(api):
    created = anonymous(api)
    response = login(api, user_jwt(api, "alice"), appUserId=created["appUser"]["_id"],
                     sessionToken=created["sessionToken"])
    assert response.status_code == 200, response.text
    assert response.json()["appUser"]["_id"] == api.user("Acme Support", "alice")["id"]
    error(api.get(sdk(api, f"/appusers/{created['appUser']['_id']}"), auth=created["auth"]),
          401, "unauthorized", "Authorization is required")


def test_login_with_a_wrong_session_token_or_user_id(api):
    created = anonymous(api)
    error(login(api, user_jwt(api, "zoe"), "zoe", appUserId=created["appUser"]["_id"], sessionToken="wrong"),
          401, "unauthorized", "Authorization is required")
    error(login(api, user_jwt(api, "zoe"), "alice"), 403, "forbidden", "Forbidden")
    # nothing was bound: the session token still works
    assert api.get(sdk(api, f"/appusers/{created['appUser']['_id']}"), auth=created["auth"]).status_code == 200


def test_logout(api):
    created = anonymous(api)
    path = sdk(api, f"/appusers/{created['appUser']['_id']}/logout")
    response = api.post(path, auth=created["auth"], json={"client": client()})
    assert (response.status_code, response.json()) == (200, {})
    error(api.get(sdk(api, f"/appusers/{created['appUser']['_id']}"), auth=created["auth"]),
          401, "unauthorized", "Authorization is required")

    auth = user_jwt(api, "alice")
    alice = login(api, auth).json()["appUser"]
    response = api.post(sdk(api, f"/appusers/{alice['_id']}/logout"), auth=auth, json={"client": client()})
    assert (response.status_code, response.json()) == (200, {})
    devices = api.get(f"/v2/apps/{app_id(api)}/users/alice/devices", auth=basic(api.key("Acme Support"))).json()
    assert [(d["guid"], d["status"]) for d in devices["devices"]] == [("c0ffee", "inactive")]
    error(api.post(sdk(api, f"/appusers/{alice['_id']}/logout"), json={}), 401, "unauthorized",
          "Authorization is required")


# --- the contract's rejections ---------------------------------------------------------------------------------

def test_a_bad_or_expired_user_jwt_is_401_invalid_auth(api):
    error(login(api, "Bearer not.a.jwt"), 401, "invalid_auth", "Invalid JWT")
    auth = api.bearer(api.key("Acme Support")["id"], "user", externalId="alice", expiresIn=60)
    assert login(api, auth).status_code == 200
    assert requests.post(f"{api.url}/_mocksmooch/clock", json={"advance": 61}, timeout=10).status_code == 200
    error(login(api, auth), 401, "invalid_auth", "Invalid JWT")
    alice = api.user("Acme Support", "alice")["id"]
    error(api.get(sdk(api, f"/appusers/{alice}"), auth=auth), 401, "invalid_auth", "Invalid JWT")
    assert "expired" in journal(api)[-1]["auth"]["reason"]


@pytest.mark.parametrize("owner, scope", [("Acme Support", "app"), ("Acme", "account"), ("bot", "integration")])
def test_app_account_and_integration_credentials_on_login_are_invalid_scope(api, owner, scope):
    error(login(api, api.bearer(api.key(owner)["id"], scope)), 403, "forbidden", "Invalid scope")
    error(login(api, basic(api.key(owner))), 403, "forbidden", "Invalid scope")
    assert journal(api)[-1]["auth"]["outcome"] == "rejected"
    assert journal(api)[-1]["auth"]["principal"]["scope"] == scope


def test_app_credentials_on_the_user_routes_are_invalid_scope(api):
    alice = api.user("Acme Support", "alice")["id"]
    error(api.get(sdk(api, f"/appusers/{alice}"), auth=basic(api.key("Acme Support"))),
          403, "forbidden", "Invalid scope")
    error(api.get(sdk(api, f"/appusers/{alice}"), auth=api.bearer(api.key("Acme Support")["id"], "app")),
          403, "forbidden", "Invalid scope")


def test_a_session_token_cannot_log_in(api):
    created = anonymous(api)
    error(login(api, created["auth"]), 403, "forbidden", "Invalid scope")


def test_a_jwt_of_another_app_is_400(api):
    error(login(api, user_jwt(api, "carol", app="Acme Sales"), "carol"),
          400, "bad_request", "AppId in path does not match supplied credentials")
    created = anonymous(api)
    error(api.get(sdk(api, f"/appusers/{created['appUser']['_id']}", app="Acme Sales"), auth=created["auth"]),
          400, "bad_request", "AppId in path does not match supplied credentials")


def test_another_users_app_user_and_conversation_are_403(api):
    mine, theirs = anonymous(api), anonymous(api)
    their_id, their_conversation = theirs["appUser"]["_id"], theirs["conversations"][0]["_id"]
    for method, rest in (("GET", f"/appusers/{their_id}"), ("PUT", f"/appusers/{their_id}"),
                         ("GET", f"/appusers/{their_id}/conversations"),
                         ("POST", f"/appusers/{their_id}/conversations"),
                         ("POST", f"/appusers/{their_id}/logout"),
                         ("GET", f"/appusers/{their_id}/linkrequest?integrationIds={SITE}"),
                         ("DELETE", f"/appusers/{their_id}/clients/c0ffee"),
                         ("GET", f"/conversations/{their_conversation}/messages"),
                         ("POST", f"/conversations/{their_conversation}/messages"),
                         ("POST", f"/conversations/{their_conversation}/activity"),
                         ("POST", f"/conversations/{their_conversation}/files")):
        response = api.request(method, sdk(api, rest), auth=mine["auth"], json={})
        error(response, 403, "forbidden", "Forbidden")
    # a user JWT, for a user of whom nothing exists yet, is refused alike
    error(api.get(sdk(api, f"/appusers/{their_id}"), auth=user_jwt(api, "zoe")), 403, "forbidden", "Forbidden")
    error(api.get(sdk(api, "/appusers/alice"), auth=user_jwt(api, "bob")), 403, "forbidden", "Forbidden")
    # speaking as another user in a conversation of one's own
    own = mine["conversations"][0]["_id"]
    error(send(api, mine["auth"], own, their_id), 403, "forbidden", "Forbidden")
    assert "author.appUserId" in journal(api)[-1]["auth"]["reason"]


def test_a_user_jwt_before_login_and_unknown_conversations(api):
    auth = user_jwt(api, "zoe")
    error(api.get(sdk(api, "/appusers/zoe"), auth=auth), 404, "not_found", "App user not found")
    created = anonymous(api)
    error(api.get(sdk(api, "/conversations/5d8cff3cd55b040010928b5b/messages"), auth=created["auth"]),
          404, "not_found", "Conversation not found")


def test_app_maker_messages_are_refused(api):
    created = anonymous(api)
    response = api.post(sdk(api, f"/conversations/{created['conversations'][0]['_id']}/messages"),
                        auth=created["auth"], json={"message": {"type": "text", "text": "x"},
                                                    "author": {"role": "appMaker"}})
    error(response, 403, "forbidden", "Forbidden")


# --- messages ---------------------------------------------------------------------------------------------------

def test_messages_page_by_timestamp(api, frozen):
    created = anonymous(api)
    user_id, conversation_id = created["appUser"]["_id"], created["conversations"][0]["_id"]
    for n in range(3):
        frozen(10)
        assert send(api, created["auth"], conversation_id, user_id, f"m{n}").status_code == 201
    path = sdk(api, f"/conversations/{conversation_id}/messages")
    older = api.get(path, auth=created["auth"], params={"before": START_SECONDS + 30})
    assert [m["text"] for m in older.json()["messages"]] == ["m0", "m1"]
    assert older.json()["next"].endswith(f"?after={int(START_SECONDS) + 20}.000")
    assert "previous" not in older.json()
    oldest = api.get(path, auth=created["auth"], params={"before": START_SECONDS + 20})
    assert [m["text"] for m in oldest.json()["messages"]] == ["m0"]
    newer = api.get(path, auth=created["auth"], params={"after": START_SECONDS + 10})
    assert [m["text"] for m in newer.json()["messages"]] == ["m1", "m2"]
    assert newer.json()["previous"].endswith(f"?before={int(START_SECONDS) + 20}.000")
    error(api.get(path, auth=created["auth"], params={"before": "yesterday"}), 400, "bad_request",
          "before should be a Unix timestamp in seconds")


@pytest.mark.parametrize("message, description", [
    ({}, "message should have required property 'type'"),
    ({"type": "carousel", "items": []}, "message.type should be equal to one of the allowed values: "
                                        "text, image, file, location, formResponse"),
    ({"type": "text"}, "message should have required property 'text'"),
    ({"type": "text", "text": 5}, "text should be string"),
    ({"type": "text", "text": "x" * 4097}, "message.text should NOT be longer than 4096 characters"),
    ({"type": "image"}, "message should have required property 'mediaUrl'"),
    ({"type": "location", "coordinates": {"lat": 1}}, "message.coordinates.long should be number"),
    ({"type": "formResponse", "fields": [{"type": "text"}]}, "message.fields[0] should have required property 'name'"),
])
def test_message_validation(api, message, description):
    created = anonymous(api)
    response = api.post(sdk(api, f"/conversations/{created['conversations'][0]['_id']}/messages"),
                        auth=created["auth"], json={"message": message,
                                                    "author": {"role": "appUser", "client": client()}})
    error(response, 400, "bad_request", description)


def test_other_message_types_and_metadata(api):
    created = anonymous(api)
    conversation_id = created["conversations"][0]["_id"]
    path = sdk(api, f"/conversations/{conversation_id}/messages")
    author = {"role": "appUser", "appUserId": created["appUser"]["_id"]}
    location = api.post(path, auth=created["auth"], json={"author": author, "message": {
        "type": "location", "coordinates": {"lat": 45.5, "long": -73.6}, "metadata": {"lang": "en"}}})
    assert location.status_code == 201, location.text
    [rendered] = location.json()["messages"]
    assert rendered["coordinates"] == {"lat": 45.5, "long": -73.6} and rendered["metadata"] == {"lang": "en"}

    form = api.post(f"/v2/apps/{app_id(api)}/conversations/{conversation_id}/messages",
                    auth=basic(api.key("Acme Support")),
                    json={"author": {"type": "business"}, "content": {"type": "form", "fields": [
                        {"type": "text", "name": "name", "label": "Your name"}]}}).json()["messages"][0]
    answer = api.post(path, auth=created["auth"], json={"author": author, "message": {
        "type": "formResponse", "quotedMessageId": form["id"],
        "fields": [{"type": "text", "name": "name", "label": "Your name", "text": "Zoe"}]}})
    assert answer.status_code == 201, answer.text
    stored = v2_messages(api, conversation_id)[-1]
    assert stored["content"]["type"] == "formResponse" and stored["content"]["textFallback"] == "Your name: Zoe"
    assert stored["quotedMessage"]["type"] == "message" and stored["quotedMessage"]["message"]["id"] == form["id"]


def test_files_are_stored_and_posted_as_messages(api):
    created = anonymous(api)
    conversation_id = created["conversations"][0]["_id"]
    author = '{"role": "appUser", "appUserId": "%s", "client": {"platform": "web", "id": "c0ffee"}}' % (
        created["appUser"]["_id"])
    response = api.post(sdk(api, f"/conversations/{conversation_id}/files"), auth=created["auth"],
                        files={"source": ("cat.png", PNG, "image/png")},
                        data={"author": author, "message": "{}"})
    assert response.status_code == 201, response.text
    [message] = response.json()["messages"]
    assert message["type"] == "image" and message["mediaType"] == "image/png"
    assert message["mediaUrl"].startswith(f"{api.url}/media/apps/{app_id(api)}/")
    assert requests.get(message["mediaUrl"], timeout=10).content == PNG
    [seen] = v2_messages(api, conversation_id)
    assert seen["content"]["mediaUrl"] == message["mediaUrl"] and seen["content"]["mediaSize"] == len(PNG)

    text = api.post(sdk(api, f"/conversations/{conversation_id}/files"), auth=created["auth"],
                    files={"source": ("notes.txt", b"hi", "text/plain")}, data={"author": author})
    assert text.status_code == 201 and text.json()["messages"][0]["type"] == "file"
    error(api.post(sdk(api, f"/conversations/{conversation_id}/files"), auth=created["auth"], data={"author": author}),
          400, "bad_request", "should have required property 'source'")
    error(api.post(sdk(api, f"/conversations/{conversation_id}/files"), auth=created["auth"],
                   files={"source": ("a.png", PNG, "image/png")}, data={"author": "nope"}),
          400, "bad_request", "author should be a JSON object")


def test_activity(api):
    created = anonymous(api)
    conversation_id = created["conversations"][0]["_id"]
    v2_path = f"/v2/apps/{app_id(api)}/conversations/{conversation_id}/messages"
    api.post(v2_path, auth=basic(api.key("Acme Support")),
             json={"author": {"type": "business"}, "content": {"type": "text", "text": "unread"}})
    path = sdk(api, f"/conversations/{conversation_id}/activity")
    author = {"role": "appUser", "appUserId": created["appUser"]["_id"], "client": client()}
    read = api.post(path, auth=created["auth"], json={"author": author, "activity": {"type": "conversation:read"}})
    assert read.status_code == 200, read.text
    assert read.json()["conversation"]["unreadCount"] == 0
    assert api.post(path, auth=created["auth"],
                    json={"author": author, "activity": {"type": "typing:start"}}).status_code == 200
    error(api.post(path, auth=created["auth"], json={"author": author, "activity": {"type": "dance"}}),
          400, "bad_request", "activity.type should be equal to one of the allowed values: "
                              "typing:start, typing:stop, conversation:read")
    error(api.post(path, auth=created["auth"], json={"author": author}), 400, "bad_request",
          "should have required property 'activity'")


def test_a_message_from_the_sdk_raises_the_webhook(api):
    receiver = Receiver()
    try:
        webhook = add_webhook(api, f"{receiver.url}/hook", ["conversation:message"])
        created = anonymous(api)
        user_id, conversation_id = created["appUser"]["_id"], created["conversations"][0]["_id"]
        assert send(api, created["auth"], conversation_id, user_id, "ping").status_code == 201
        deliveries = wait_for_deliveries(api, 2)  # ours, and the seeded webhook's failed one
        [delivery] = [d for d in deliveries if d["webhookId"] == webhook["id"]]
        assert delivery["status"] == 200
        [event] = delivery["body"]["events"]
        assert event["type"] == "conversation:message"
        payload = event["payload"]
        assert payload["conversation"]["id"] == conversation_id
        assert payload["message"]["content"] == {"type": "text", "text": "ping"}
        assert payload["message"]["author"]["userId"] == user_id
        assert payload["message"]["source"] == {"type": "web", "integrationId": SITE}
        assert [call["path"] for call in receiver.calls] == ["/hook"]
    finally:
        receiver.close()


# --- the user itself and its channels ------------------------------------------------------------------------------

def test_update_the_app_user(api):
    created = anonymous(api)
    path = sdk(api, f"/appusers/{created['appUser']['_id']}")
    response = api.request("PUT", path, auth=created["auth"], json={
        "givenName": "Zoe", "email": "zoe@example.com", "locale": "fr-CA", "properties": {"plan": "gold"}})
    assert response.status_code == 200, response.text
    user = response.json()["appUser"]
    assert (user["givenName"], user["email"], user["properties"]) == ("Zoe", "zoe@example.com", {"plan": "gold"})
    v2_user = api.get(f"/v2/apps/{app_id(api)}/users/{created['appUser']['_id']}",
                      auth=basic(api.key("Acme Support"))).json()["user"]
    assert v2_user["profile"] == {"givenName": "Zoe", "email": "zoe@example.com", "locale": "fr-CA"}
    assert v2_user["metadata"] == {"plan": "gold"}
    error(api.request("PUT", path, auth=created["auth"], json={"givenName": 5}), 400, "bad_request",
          "givenName should be string")


def test_link_requests_and_unlinking_channels(api):
    created = anonymous(api)
    user_id = created["appUser"]["_id"]
    telegram = api.post(f"/v2/apps/{app_id(api)}/integrations", auth=basic(api.key("Acme")),
                        json={"type": "telegram", "token": "123456:ABCdef"})
    assert telegram.status_code == 201, telegram.text
    telegram_id = telegram.json()["integration"]["id"]
    links = api.get(sdk(api, f"/appusers/{user_id}/linkrequest"), auth=created["auth"],
                    params={"integrationIds": telegram_id})
    assert links.status_code == 200, links.text
    [link] = links.json()["linkRequests"]
    assert link["integrationId"] == telegram_id and link["url"].endswith(f"?start={link['code']}")
    error(api.get(sdk(api, f"/appusers/{user_id}/linkrequest"), auth=created["auth"]),
          400, "bad_request", "should have required property 'integrationIds'")

    linked = api.post(f"/v1.1/apps/{app_id(api)}/appusers/{user_id}/channels", auth=basic(api.key("Acme")),
                      json={"type": "twilio", "phoneNumber": "+15145555555", "confirmation": {"type": "immediate"}})
    assert linked.status_code == 200, linked.text
    [channel] = [c for c in linked.json()["appUser"]["clients"] if c["platform"] == "twilio"]
    path = sdk(api, f"/appusers/{user_id}/clients")
    error(api.request("DELETE", f"{path}/c0ffee", auth=created["auth"]), 400, "bad_request",
          "Cannot remove a client of type 'sdk'")
    removed = api.request("DELETE", f"{path}/{channel['id']}", auth=created["auth"])
    assert (removed.status_code, removed.json()) == (200, {})
    clients = api.get(sdk(api, f"/appusers/{user_id}"), auth=created["auth"]).json()["appUser"]["clients"]
    assert [c["platform"] for c in clients] == ["web"]
    error(api.request("DELETE", f"{path}/{channel['id']}", auth=created["auth"]), 404, "not_found", "Client not found")


# --- the route table ---------------------------------------------------------------------------------------------

def test_every_sdk_route_states_its_credentials():
    rows = [row for row in route_table(create_app()) if row[1].startswith("/sdk/")]
    assert len(rows) == 14
    policies = {(method, path): who for method, path, who in rows}
    assert policies[("GET", "/sdk/v2/integrations/{integration_id}/config")] == "none"
    assert policies[("POST", "/sdk/v2/apps/{app_id}/appusers")] == "none"
    assert policies[("POST", "/sdk/v2/apps/{app_id}/login")] == "user, appUser (JWT signed by an app key)"
    others = {who for (method, path), who in policies.items()
              if path not in ("/sdk/v2/integrations/{integration_id}/config", "/sdk/v2/apps/{app_id}/appusers",
                              "/sdk/v2/apps/{app_id}/login")}
    assert others == {"user, appUser, session (own user)"}


def test_the_sdk_headers_are_accepted_and_not_required(api):
    created = anonymous(api)
    path = sdk(api, f"/appusers/{created['appUser']['_id']}")
    headers = {**SDK_HEADERS, "x-smooch-appid": app_id(api)}
    assert api.get(path, auth=created["auth"], headers=headers).status_code == 200
    assert api.get(path, auth=created["auth"]).status_code == 200
