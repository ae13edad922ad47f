"""v1.1 messages, the app user's conversation (read, activity), image messages and
attachments, over HTTP: under /v1.1 and /v1, with the app in the path and app-less, the
appUser rules, the one store shared with v2, and one call per operation through the
official v1 client (`smooch`)."""
from __future__ import annotations

import hashlib
import json

import pytest
import requests
import smooch
from smooch.rest import ApiException

from conftest import Api, basic
from v1_helpers import v1  # noqa: F401 (v1: a fixture)
from mocksmooch.pytest_plugin import LiveServer

DEFAULT_AVATAR = "https://www.gravatar.com/avatar/00000000000000000000000000000000.png?s=200&d=mm"
START = "2030-01-01T00:00:00.000Z"
START_SECONDS = 1893456000.0
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# --- helpers --------------------------------------------------------------------------------------

@pytest.fixture
def frozen(api):
    """The server's clock stopped at START; `advance(seconds)` moves it."""
    for change in ({"freeze": True}, {"set": START}):
        assert api.post("/_mocksmooch/clock", json=change).status_code == 200

    def advance(seconds: float) -> None:
        assert api.post("/_mocksmooch/clock", json={"advance": seconds}).status_code == 200

    return advance


def app_id(api, name="Acme Support") -> str:
    return api.app(name)["id"]


def user_id(api, external_id="alice", app="Acme Support") -> str:
    return api.user(app, external_id)["id"]


def app_auth(api, name="Acme Support") -> str:
    return basic(api.key(name))


def user_auth(api, external_id="alice") -> str:
    return api.bearer(api.key("Acme Support")["id"], "appUser", userId=external_id)


def path(api, v1="/v1.1", rest="messages", user="alice", appless=False) -> str:
    prefix = v1 if appless else f"{v1}/apps/{app_id(api)}"
    return f"{prefix}/appusers/{user}/{rest}"


def send(api, body=None, *, v1="/v1.1", user="alice", auth=None, appless=False, **fields) -> requests.Response:
    body = body if body is not None else {"role": "appUser", "type": "text", "text": "hi", **fields}
    return api.post(path(api, v1, user=user, appless=appless), auth=auth or app_auth(api), json=body)


def sent(api, **kwargs) -> dict:
    response = send(api, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()


def v1_error(response, status: int, code: str, description: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"error": {"code": code, "description": description}}


def v2_messages(api, conversation_id: str) -> list[dict]:
    response = api.get(f"/v2/apps/{app_id(api)}/conversations/{conversation_id}/messages", auth=app_auth(api))
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def upload(api, url: str, content: bytes = PNG, filename="pic.png", kind="image/png", auth=None, **form):
    return api.post(url, auth=auth or app_auth(api), files={"source": (filename, content, kind)}, data=form)


# --- messages -------------------------------------------------------------------------------------

def test_post_then_get_messages(api, v1, frozen):
    alice = user_id(api)
    v1_error(api.get(path(api, v1), auth=app_auth(api)), 404, "not_found", "Conversation not found")

    first = sent(api, v1=v1)
    conversation = first["conversation"]
    assert first["message"] == {
        "_id": first["message"]["_id"], "authorId": alice, "role": "appUser", "type": "text",
        "name": "Alice Anderson", "text": "hi", "avatarUrl": DEFAULT_AVATAR, "received": START_SECONDS,
        "source": {"type": "api"}}
    assert conversation == {"_id": conversation["_id"], "unreadCount": 0}

    frozen(1.25)
    email = "Steve@Example.com"
    digest = hashlib.md5(email.lower().encode()).hexdigest()
    reply = sent(api, v1=v1, body={"role": "appMaker", "type": "text", "text": "hello", "name": "Steve",
                                   "email": email, "metadata": {"lang": "en", "n": 3}})
    assert reply["message"] == {
        "_id": reply["message"]["_id"], "authorId": digest[:24], "role": "appMaker", "type": "text",
        "name": "Steve", "text": "hello", "email": email, "metadata": {"lang": "en", "n": 3},
        "avatarUrl": f"https://www.gravatar.com/avatar/{digest}.png?s=200&d=mm", "received": START_SECONDS + 1.25,
        "source": {"type": "api"}}
    assert reply["conversation"] == {"_id": conversation["_id"], "unreadCount": 1}

    listed = api.get(path(api, v1), auth=app_auth(api))
    assert listed.status_code == 200
    assert listed.json() == {"conversation": {"_id": conversation["_id"], "unreadCount": 1},
                             "messages": [first["message"], reply["message"]]}
    by_external_id = api.get(path(api, v1, user=alice), auth=app_auth(api)).json()
    assert [m["_id"] for m in by_external_id["messages"]] == [first["message"]["_id"], reply["message"]["_id"]]


def test_v1_and_v2_read_the_same_conversation(api, frozen):
    alice = user_id(api)
    mine = sent(api, text="from v1")
    frozen(1)
    business = sent(api, body={"role": "appMaker", "type": "text", "text": "answer", "name": "Steve"})
    conversation_id = mine["conversation"]["_id"]

    listed = api.get(f"/v2/apps/{app_id(api)}/conversations", auth=app_auth(api),
                     params={"filter[userExternalId]": "alice"}).json()["conversations"]
    assert [(c["id"], c["type"], c["isDefault"]) for c in listed] == [(conversation_id, "personal", True)]
    assert v2_messages(api, conversation_id) == [
        {"id": mine["message"]["_id"], "received": START,
         "author": {"type": "user", "userId": alice, "displayName": "Alice Anderson"},
         "content": {"type": "text", "text": "from v1"}, "source": {"type": "api"}},
        {"id": business["message"]["_id"], "received": "2030-01-01T00:00:01.000Z",
         "author": {"type": "business", "displayName": "Steve", "avatarUrl": DEFAULT_AVATAR},
         "content": {"type": "text", "text": "answer"}, "source": {"type": "api"}}]

    frozen(1)
    from_v2 = api.post(f"/v2/apps/{app_id(api)}/conversations/{conversation_id}/messages", auth=app_auth(api),
                       json={"author": {"type": "business", "displayName": "Bot"},
                             "content": {"type": "image", "mediaUrl": "https://example.org/a.png"},
                             "metadata": {"k": "v"}})
    assert from_v2.status_code == 201, from_v2.text
    last = api.get(path(api), auth=app_auth(api)).json()["messages"][-1]
    assert last == {"_id": from_v2.json()["messages"][0]["id"], "authorId": hashlib.md5(b"").hexdigest()[:24],
                    "role": "appMaker", "type": "image", "name": "Bot", "text": "https://example.org/a.png",
                    "avatarUrl": DEFAULT_AVATAR, "received": START_SECONDS + 2, "source": {"type": "api"},
                    "mediaUrl": "https://example.org/a.png", "metadata": {"k": "v"}}

    deleted = api.request("DELETE", path(api, rest=f"messages/{mine['message']['_id']}"), auth=app_auth(api))
    assert deleted.status_code == 200
    assert [m["id"] for m in v2_messages(api, conversation_id)] == [
        business["message"]["_id"], from_v2.json()["messages"][0]["id"]]


def test_message_types(api):
    action = {"type": "postback", "text": "Select", "payload": "TACOS"}
    item = {"title": "Tacos", "description": "Yum", "mediaUrl": "https://example.org/t.jpg", "actions": [action]}
    bodies = {
        "image": {"mediaUrl": "https://example.org/i.jpg", "mediaType": "image/jpeg", "altText": "an image"},
        "file": {"mediaUrl": "https://example.org/f.pdf", "text": "the file"},
        "carousel": {"items": [item, {**item, "title": "Ramen"}], "displaySettings": {"imageAspectRatio": "square"}},
        "list": {"items": [item], "actions": [{"type": "link", "text": "More", "uri": "https://example.org"}]},
        "location": {"coordinates": {"lat": 45.5, "long": -73.6}, "location": {"address": "1 Main St"}},
        "form": {"fields": [{"type": "email", "name": "email", "label": "Your email"}], "blockChatInput": True},
        "text": {"text": "Pick", "actions": [{"type": "reply", "text": "Yes", "payload": "YES"}]},
    }
    for kind, fields in bodies.items():
        posted = sent(api, body={"role": "appMaker", "type": kind, **fields})
        message = posted["message"]
        assert message["type"] == kind and message["role"] == "appMaker"
        assert {name: message[name] for name in fields} == fields
        expected_text = fields.get("text") or (fields["mediaUrl"] if kind in ("image", "file") else "")
        assert message["text"] == expected_text
    answer = sent(api, body={"role": "appUser", "type": "text", "text": "Yes", "payload": "YES"})["message"]
    assert answer["payload"] == "YES"
    stored = v2_messages(api, posted["conversation"]["_id"])
    assert [m["content"]["type"] for m in stored] == [*bodies, "text"]
    assert stored[-1]["content"] == {"type": "text", "text": "Yes", "payload": "YES"}
    assert stored[3]["content"] == {"type": "list", **bodies["list"]}


@pytest.mark.parametrize("body, description", [
    ({"type": "text", "text": "x"}, "should have required property 'role'"),
    ({"role": "whisper", "type": "text", "text": "x"},
     "role should be equal to one of the allowed values: appUser, appMaker"),
    ({"role": "appUser", "text": "x"}, "should have required property 'type'"),
    ({"role": "appUser", "type": "video"},
     "type should be equal to one of the allowed values: text, image, file, carousel, list, location, form"),
    ({"role": "appUser", "type": "formResponse", "fields": []}, "formResponse messages cannot be sent via the API"),
    ({"role": "appUser", "type": "text"}, "should have required property 'text'"),
    ({"role": "appUser", "type": "text", "text": ""}, "text should NOT be shorter than 1 characters"),
    ({"role": "appUser", "type": "text", "text": 5}, "text should be string"),
    ({"role": "appMaker", "type": "image"}, "should have required property 'mediaUrl'"),
    ({"role": "appMaker", "type": "carousel", "items": []}, "items should NOT be empty"),
    ({"role": "appMaker", "type": "list", "items": [{"title": "t"}]},
     "items[0] should have required property 'actions'"),
    ({"role": "appMaker", "type": "list", "items": [{"title": "t", "actions": [{"type": "link", "text": "x"}]}]},
     "items[0].actions[0] should have required property 'uri'"),
    ({"role": "appMaker", "type": "location", "coordinates": {"lat": 1}},
     "coordinates should have required property 'long'"),
    ({"role": "appMaker", "type": "form", "fields": [{"type": "date", "name": "d", "label": "D"}]},
     "fields[0].type should be equal to one of the allowed values: text, email, select"),
    ({"role": "appUser", "type": "text", "text": "x", "actions": [{"type": "reply", "text": "a", "payload": "a"}]},
     "Action buttons can only be attached to messages with a role of appMaker"),
    ({"role": "appMaker", "type": "text", "text": "x", "actions": [{"type": "dance", "text": "a"}]},
     "actions[0].type should be equal to one of the allowed values: buy, link, locationRequest, postback, reply, "
     "share, webview"),
    ({"role": "appMaker", "type": "text", "text": "x", "metadata": {"deep": {"a": 1}}},
     "metadata.deep should be a string, number or boolean"),
    ({"role": "appMaker", "type": "text", "text": "x", "name": 7}, "name should be string"),
])
def test_post_message_validation(api, body, description):
    v1_error(send(api, body=body), 400, "bad_request", description)
    v1_error(api.get(path(api), auth=app_auth(api)), 404, "not_found", "Conversation not found")  # nothing created


def test_post_message_errors(api):
    v1_error(send(api, user="nobody"), 404, "not_found", "App user not found")
    response = api.post(path(api), auth=app_auth(api), data="not json", headers={"Content-Type": "application/json"})
    v1_error(response, 400, "bad_request", "Request body is not valid JSON")


def test_get_messages_pages_by_timestamp(api, frozen):
    session, ids = requests.Session(), []
    url, headers = api.url + path(api), {"Authorization": app_auth(api)}
    for n in range(120):
        ids.append(session.post(url, headers=headers, json={"role": "appUser", "type": "text", "text": str(n)})
                   .json()["message"]["_id"])
        frozen(1)

    def page(**params):
        response = api.get(path(api), auth=app_auth(api), params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return [m["_id"] for m in body["messages"]], body.get("previous"), body.get("next")

    latest, previous, following = page()
    assert latest == ids[20:] and following is None
    assert previous == f"{api.url}{path(api)}?before={int(START_SECONDS) + 20}.000"
    older, previous, following = page(before=f"{START_SECONDS + 20:.3f}")
    assert older == ids[:20] and previous is None
    assert following == f"{api.url}{path(api)}?after={int(START_SECONDS) + 19}.000"
    middle, previous, following = page(after=str(int(START_SECONDS) + 9))
    assert middle == ids[10:110]
    assert previous.endswith("?before=1893456010.000") and following.endswith("?after=1893456109.000")
    assert page(after="1893456109.5")[0] == ids[110:]
    assert page(before="1893456000")[0] == []

    v1_error(api.get(path(api), auth=app_auth(api), params={"before": "1", "after": "2"}), 400, "bad_request",
             "before and after are mutually exclusive")
    v1_error(api.get(path(api), auth=app_auth(api), params={"before": "yesterday"}), 400, "bad_request",
             "before should be a Unix timestamp in seconds")


def test_delete_one_message_and_all_messages(api, v1):
    v1_error(api.request("DELETE", path(api, v1), auth=app_auth(api)), 404, "not_found", "Conversation not found")
    ids = [sent(api, v1=v1)["message"]["_id"] for _ in range(3)]
    deleted = api.request("DELETE", path(api, v1, rest=f"messages/{ids[1]}"), auth=app_auth(api))
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert [m["_id"] for m in api.get(path(api, v1), auth=app_auth(api)).json()["messages"]] == [ids[0], ids[2]]
    v1_error(api.request("DELETE", path(api, v1, rest=f"messages/{ids[1]}"), auth=app_auth(api)),
             404, "not_found", "Message not found")
    sent(api, v1=v1, user="bob")
    v1_error(api.request("DELETE", path(api, v1, user="bob", rest=f"messages/{ids[0]}"), auth=app_auth(api)),
             404, "not_found", "Message not found")

    cleared = api.request("DELETE", path(api, v1), auth=app_auth(api))
    assert (cleared.status_code, cleared.json()) == (200, {})
    after = api.get(path(api, v1), auth=app_auth(api)).json()
    assert after["messages"] == [] and after["conversation"]["unreadCount"] == 0


def test_message_limit_is_423_in_the_v1_envelope():
    server = LiveServer({"MESSAGE_LIMIT": 2})
    try:
        api = Api(server.url, server.app.extensions["mocksmooch"].store.seed)
        sent(api), sent(api)
        v1_error(send(api), 423, "locked", "Message limit of 2 per conversation reached.")
    finally:
        server.stop()


# --- the conversation: read and activity ------------------------------------------------------------------

def test_reset_unread_count(api, v1):
    v1_error(api.post(path(api, v1, rest="conversation/read"), auth=app_auth(api)), 404, "not_found",
             "Conversation not found")
    for text in ("one", "two"):
        sent(api, v1=v1, body={"role": "appMaker", "type": "text", "text": text})
    assert api.get(path(api, v1), auth=app_auth(api)).json()["conversation"]["unreadCount"] == 2
    read = api.post(path(api, v1, rest="conversation/read"), auth=app_auth(api))
    assert (read.status_code, read.json()) == (200, {})
    conversation = api.get(path(api, v1), auth=app_auth(api)).json()["conversation"]
    assert conversation["unreadCount"] == 0
    [participant] = api.get(f"/v2/apps/{app_id(api)}/conversations/{conversation['_id']}/participants",
                            auth=app_auth(api)).json()["participants"]
    assert participant["unreadCount"] == 0 and "lastRead" in participant


def test_conversation_activity(api, v1):
    url = path(api, v1, rest="conversation/activity")
    v1_error(api.post(url, auth=app_auth(api), json={"role": "appMaker", "type": "typing:start"}), 404,
             "not_found", "Conversation not found")
    conversation = sent(api, v1=v1, body={"role": "appMaker", "type": "text", "text": "hi"})["conversation"]
    for kind in ("typing:start", "typing:stop"):
        typing = api.post(url, auth=app_auth(api), json={"role": "appMaker", "type": kind, "name": "Steve"})
        assert (typing.status_code, typing.json()) == (200, {"conversation": {"_id": conversation["_id"],
                                                                              "unreadCount": 1}})
    v2_url = f"/v2/apps/{app_id(api)}/conversations/{conversation['_id']}"
    assert "businessLastRead" not in api.get(v2_url, auth=app_auth(api)).json()["conversation"]
    assert api.post(url, auth=app_auth(api), json={"role": "appMaker", "type": "conversation:read"}).status_code == 200
    assert "businessLastRead" in api.get(v2_url, auth=app_auth(api)).json()["conversation"]
    read = api.post(url, auth=app_auth(api), json={"role": "appUser", "type": "conversation:read"})
    assert read.json() == {"conversation": {"_id": conversation["_id"], "unreadCount": 0}}

    v1_error(api.post(url, auth=app_auth(api), json={"role": "appUser", "type": "typing:start"}), 400,
             "bad_request", "If the role is appUser, only conversation:read is supported.")
    v1_error(api.post(url, auth=app_auth(api), json={"role": "appMaker", "type": "typing"}), 400, "bad_request",
             "type should be equal to one of the allowed values: typing:start, typing:stop, conversation:read")
    v1_error(api.post(url, auth=app_auth(api), json={"type": "typing:start"}), 400, "bad_request",
             "should have required property 'role'")


# --- images and attachments ---------------------------------------------------------------------------------

def test_image_upload_posts_an_image_message(api, v1, frozen):
    url = path(api, v1, rest="images")
    response = upload(api, url, role="appUser", name="Ally")
    assert response.status_code == 201, response.text
    message = response.json()["message"]
    media_url = message["mediaUrl"]
    assert message == {"_id": message["_id"], "authorId": user_id(api), "role": "appUser", "type": "image",
                       "name": "Ally", "text": media_url, "avatarUrl": DEFAULT_AVATAR, "received": START_SECONDS,
                       "source": {"type": "api"}, "mediaUrl": media_url, "mediaType": "image/png"}
    assert media_url.startswith(f"{api.url}/media/apps/{app_id(api)}/") and media_url.endswith("/pic.png")
    fetched = requests.get(media_url, timeout=10)
    assert (fetched.status_code, fetched.content, fetched.headers["Content-Type"]) == (200, PNG, "image/png")
    [stored] = v2_messages(api, response.json()["conversation"]["_id"])
    assert stored["content"] == {"type": "image", "mediaUrl": media_url, "mediaType": "image/png",
                                 "mediaSize": len(PNG)}

    v1_error(upload(api, url), 400, "bad_request", "should have required property 'role'")
    v1_error(api.post(url, auth=app_auth(api), data={"role": "appMaker"}), 400, "bad_request",
             "should have required property 'source'")
    v1_error(upload(api, path(api, v1, rest="images", user="nobody"), role="appUser"), 404, "not_found",
             "App user not found")


def test_attachments_upload_and_remove(api, v1):
    url = f"{v1}/apps/{app_id(api)}/attachments"
    created = upload(api, url + "?access=public&for=message", b"%PDF-1.4", filename="doc.pdf", kind="application/pdf")
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"mediaUrl", "mediaType"} and body["mediaType"] == "application/pdf"
    assert requests.get(body["mediaUrl"], timeout=10).content == b"%PDF-1.4"

    removed = api.post(url + "/remove", auth=app_auth(api), json={"mediaUrl": body["mediaUrl"]})
    assert (removed.status_code, removed.json()) == (200, {})
    assert requests.get(body["mediaUrl"], timeout=10).status_code == 404
    v1_error(api.post(url + "/remove", auth=app_auth(api), json={"mediaUrl": body["mediaUrl"]}), 404,
             "not_found", "Attachment not found")
    v1_error(api.post(url + "/remove", auth=app_auth(api), json={}), 400, "bad_request",
             "should have required property 'mediaUrl'")
    v1_error(api.post(url + "/remove", auth=app_auth(api), json={"mediaUrl": "https://example.org/x.png"}), 400,
             "bad_request", "Unsupported media URL for attachment deletion: https://example.org/x.png")

    v1_error(upload(api, url), 400, "bad_request", "should have required property 'access'")
    v1_error(upload(api, url + "?access=private"), 400, "bad_request",
             "access should be equal to one of the allowed values: public")
    v1_error(upload(api, url + "?access=public&for=avatar"), 400, "bad_request",
             "for should be equal to one of the allowed values: message")
    v1_error(upload(api, url + "?access=public&appUserId=nobody"), 404, "not_found", "App user not found")
    v1_error(api.post(url + "?access=public", auth=app_auth(api)), 400, "bad_request",
             "should have required property 'source'")
    for_alice = upload(api, url + "?access=public&userId=alice")
    assert for_alice.status_code == 201


def test_uploads_over_10mb_are_413(api):
    big = b"\x00" * (10 * 1024 * 1024 + 1)
    url = f"/v1.1/apps/{app_id(api)}/attachments?access=public"
    v1_error(upload(api, url, big, filename="big.bin", kind="application/octet-stream"), 413, "payload_too_large",
             "Request entity too large")
    v1_error(upload(api, path(api, rest="images"), big, role="appUser"), 413, "payload_too_large",
             "Request entity too large")
    just_fits = upload(api, url, big[:-1], filename="fits.bin", kind="application/octet-stream")
    assert just_fits.status_code == 201, just_fits.text


def test_v1_uploads_are_removed_through_v2_and_back(api):
    v1_url = f"/v1.1/apps/{app_id(api)}/attachments"
    media_url = upload(api, v1_url + "?access=public").json()["mediaUrl"]
    removed = api.post(f"/v2/apps/{app_id(api)}/attachments/remove", auth=app_auth(api), json={"mediaUrl": media_url})
    assert removed.status_code == 200 and requests.get(media_url, timeout=10).status_code == 404
    v2_upload = upload(api, f"/v2/apps/{app_id(api)}/attachments?access=public").json()["attachment"]["mediaUrl"]
    assert api.post(v1_url + "/remove", auth=app_auth(api), json={"mediaUrl": v2_upload}).status_code == 200


# --- who may call, and the app-less forms -------------------------------------------------------------------

def test_appless_forms_take_the_app_from_the_credential(api, v1):
    posted = sent(api, v1=v1, appless=True)
    assert posted["message"]["authorId"] == user_id(api)
    listed = api.get(path(api, v1, appless=True), auth=app_auth(api)).json()
    assert [m["_id"] for m in listed["messages"]] == [posted["message"]["_id"]]
    for rest in ("conversation/read",):
        assert api.post(path(api, v1, rest=rest, appless=True), auth=app_auth(api)).status_code == 200
    activity = api.post(path(api, v1, rest="conversation/activity", appless=True), auth=app_auth(api),
                        json={"role": "appMaker", "type": "typing:start"})
    assert activity.status_code == 200
    image = upload(api, path(api, v1, rest="images", appless=True), role="appMaker")
    assert image.status_code == 201 and image.json()["message"]["role"] == "appMaker"
    media_url = upload(api, f"{v1}/attachments?access=public").json()["mediaUrl"]
    assert f"/media/apps/{app_id(api)}/" in media_url
    assert api.post(f"{v1}/attachments/remove", auth=app_auth(api), json={"mediaUrl": media_url}).status_code == 200
    message_id = posted["message"]["_id"]
    assert api.request("DELETE", path(api, v1, rest=f"messages/{message_id}", appless=True),
                       auth=app_auth(api)).status_code == 200
    assert api.request("DELETE", path(api, v1, appless=True), auth=app_auth(api)).status_code == 200

    acme = basic(api.key("Acme"))  # account credentials name the app in the path
    v1_error(send(api, v1=v1, appless=True, auth=acme), 403, "forbidden", "Forbidden")
    v1_error(api.post(f"{v1}/attachments?access=public", auth=acme), 403, "forbidden", "Forbidden")


def test_app_user_credentials(api, v1):
    alice = user_auth(api)
    own = sent(api, v1=v1, auth=alice, appless=True)
    assert own["message"]["role"] == "appUser"
    assert sent(api, v1=v1, auth=alice)["conversation"]["_id"] == own["conversation"]["_id"]
    as_business = {"role": "appMaker", "type": "text", "text": "I am the business"}
    v1_error(send(api, body=as_business, v1=v1, auth=alice), 403, "forbidden", "Forbidden")
    v1_error(upload(api, path(api, v1, rest="images"), auth=alice, role="appMaker"), 403, "forbidden", "Forbidden")
    v1_error(api.post(path(api, v1, rest="conversation/activity"), auth=alice,
                      json={"role": "appMaker", "type": "typing:start"}), 403, "forbidden", "Forbidden")
    assert api.post(path(api, v1, rest="conversation/activity"), auth=alice,
                    json={"role": "appUser", "type": "conversation:read"}).status_code == 200
    assert api.post(path(api, v1, rest="conversation/read"), auth=alice).status_code == 200
    assert upload(api, path(api, v1, rest="images"), auth=alice, role="appUser").status_code == 201
    assert len(api.get(path(api, v1), auth=alice).json()["messages"]) == 3

    sent(api, v1=v1, user="bob")
    for method, rest in (("GET", "messages"), ("POST", "messages"), ("DELETE", "messages"),
                         ("POST", "conversation/read"), ("POST", "images")):
        response = api.request(method, path(api, v1, rest=rest, user="bob"), auth=alice,
                               json={"role": "appUser", "type": "text", "text": "x"})
        v1_error(response, 403, "forbidden", "Forbidden")
    v1_error(api.post(f"{v1}/apps/{app_id(api)}/attachments?access=public", auth=alice), 403, "forbidden",
             "Forbidden")
    assert api.request("DELETE", path(api, v1), auth=alice).status_code == 200


def test_other_credentials(api):
    by_integration = sent(api, auth=basic(api.key("bot")), body={"role": "appMaker", "type": "text", "text": "bot"})
    assert by_integration["message"]["source"] == {"type": "api"}
    [stored] = v2_messages(api, by_integration["conversation"]["_id"])
    bot_id = api.seed["accounts"][0]["apps"][0]["integrations"][0]["id"]
    assert stored["source"] == {"type": "api", "integrationId": bot_id}
    assert send(api, auth=basic(api.key("Acme"))).status_code == 201
    v1_error(send(api, auth=basic(api.key("Globex"))), 404, "not_found", "App not found")
    v1_error(send(api, auth=app_auth(api, "Acme Sales")), 400, "bad_request",
             "AppId in path does not match supplied credentials")
    v1_error(send(api, auth=api.bearer(api.key("Acme Support")["id"], "user", externalId="alice")), 403,
             "forbidden", "Forbidden")
    assert send(api, auth="Basic Og==").status_code == 401


# --- the official v1 client -------------------------------------------------------------------------------

@pytest.fixture
def client(api):
    """smooch's process-wide Configuration holds the credentials: the app key's here, restored after."""
    configuration = smooch.Configuration()
    saved = (configuration.username, configuration.password, dict(configuration.api_key),
             dict(configuration.api_key_prefix))
    configuration.api_key.pop("Authorization", None)
    configuration.api_key_prefix.pop("Authorization", None)
    key = api.key("Acme Support")
    configuration.username, configuration.password = key["id"], key["secret"]
    yield smooch.ApiClient(host=api.url)
    configuration.username, configuration.password = saved[0], saved[1]
    configuration.api_key.clear()
    configuration.api_key.update(saved[2])
    configuration.api_key_prefix.clear()
    configuration.api_key_prefix.update(saved[3])


def test_the_official_client(api, client, tmp_path):
    conversations = smooch.ConversationApi(client)
    app = app_id(api)
    with pytest.raises(ApiException) as info:
        conversations.get_messages(app, "alice")
    assert info.value.status == 404 and json.loads(info.value.body)["error"]["code"] == "not_found"

    posted = conversations.post_message(app, "alice", smooch.MessagePost(role="appUser", type="text", text="hi"))
    assert (posted.message.role, posted.message.text, posted.message.name) == ("appUser", "hi", "Alice Anderson")
    assert isinstance(posted.message.received, float) and posted.conversation.unread_count == 0
    reply = conversations.post_message(app, "alice", smooch.MessagePost(
        role="appMaker", type="carousel", items=[smooch.MessageItem(
            title="Tacos", actions=[smooch.Action(type="postback", text="Select", payload="TACOS")])]))
    assert reply.message.items[0].actions[0].payload == "TACOS" and reply.conversation.unread_count == 1

    image = tmp_path / "pic.png"
    image.write_bytes(PNG)
    uploaded = smooch.AppUserApi(client).post_image_message(app, "alice", str(image), "appUser")
    assert uploaded.message.type == "image" and uploaded.message.media_type == "image/png"
    assert requests.get(uploaded.message.media_url, timeout=10).content == PNG

    got = conversations.get_messages(app, "alice")
    assert [m.id for m in got.messages] == [posted.message.id, reply.message.id, uploaded.message.id]
    assert got.conversation.id == posted.conversation.id and got.next is None
    assert conversations.get_messages(app, "alice", after=str(got.messages[-1].received)).messages == []

    activity = conversations.conversation_activity(app, "alice", smooch.ConversationActivity(
        role="appMaker", type="typing:start"))
    assert activity.conversation.id == posted.conversation.id
    assert conversations.reset_unread_count(app, "alice") is None
    assert conversations.get_messages(app, "alice").conversation.unread_count == 0
    assert conversations.delete_message(app, "alice", posted.message.id) is None
    assert [m.id for m in conversations.get_messages(app, "alice").messages] == [reply.message.id, uploaded.message.id]
    assert conversations.delete_messages(app, "alice") is None
    assert conversations.get_messages(app, "alice").messages == []

    attachments = smooch.AttachmentsApi(client)
    document = tmp_path / "doc.pdf"
    document.write_bytes(b"%PDF-1.4")
    attachment = attachments.upload_attachment(app, str(document), "public", _for="message", user_id="alice")
    assert attachment.media_type == "application/pdf"
    assert requests.get(attachment.media_url, timeout=10).content == b"%PDF-1.4"
    assert attachments.remove_attachment(app, smooch.AttachmentRemove(media_url=attachment.media_url)) is None
    assert requests.get(attachment.media_url, timeout=10).status_code == 404


def test_conversation_started_turns_true_with_the_first_message(api):
    auth = basic(api.key("Acme Support"))
    assert api.get("/v1.1/appusers/bob", auth=auth).json()["appUser"]["conversationStarted"] is False
    posted = api.post("/v1.1/appusers/bob/messages", auth=auth,
                      json={"role": "appUser", "type": "text", "text": "hello"})
    assert posted.status_code == 201
    assert api.get("/v1.1/appusers/bob", auth=auth).json()["appUser"]["conversationStarted"] is True
