"""v2 conversations, participants, messages, activities and switchboard actions, over HTTP.

Most tests use the session server (`api`).  Three need more than it gives, so they start
their own in-process server: a low MESSAGE_LIMIT (the 423), a second custom integration
(switchboard rules between two integrations), and a look at the webhook events emitted
(recorded by replacing the server's `webhooks.emit`).
"""
from __future__ import annotations

import copy
import json

import pytest
import requests
import sunshine_conversations_client as sc

from conftest import Api, basic
from mocksmooch import fixtures, ids
from mocksmooch.pytest_plugin import LiveServer

DEFAULT_AVATAR = "https://www.gravatar.com/avatar/00000000000000000000000000000000.png?s=200&d=mm"
MISSING = "5d8cff3cd55b040010928b5b"


# --- helpers ------------------------------------------------------------------------------------

def base(api, app="Acme Support") -> str:
    return f"/v2/apps/{api.app(app)['id']}/conversations"


def app_auth(api, app="Acme Support") -> str:
    return basic(api.key(app))


def create(api, auth=None, *, kind="personal", users=("alice",), subscribe=None, **fields) -> dict:
    participants = []
    for user in users:
        entry = {"userExternalId": user}
        if subscribe is not None or kind == "sdkGroup":
            entry["subscribeSDKClient"] = bool(subscribe)
        participants.append(entry)
    response = api.post(base(api), auth=auth or app_auth(api),
                        json={"type": kind, "participants": participants, **fields})
    assert response.status_code == 201, response.text
    return response.json()["conversation"]


def post(api, conversation_id, *, author=None, content=None, auth=None, **extra) -> requests.Response:
    body = {"author": author or {"type": "business"}, "content": content or {"type": "text", "text": "hi"}, **extra}
    return api.post(f"{base(api)}/{conversation_id}/messages", auth=auth or app_auth(api), json=body)


def error(response, status: int, code: str, title: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"errors": [{"code": code, "title": title}]}


def advance(api, seconds: float) -> None:
    assert requests.post(f"{api.url}/_mocksmooch/clock", json={"advance": seconds}, timeout=10).status_code == 200


def add_users(api, count: int) -> list[str]:
    names = [f"extra{n}" for n in range(count)]
    for name in names:
        assert api.post(f"/v2/apps/{api.app('Acme Support')['id']}/users", auth=app_auth(api),
                        json={"externalId": name}).status_code == 201
    return names


# --- conversations ---------------------------------------------------------------------------------

def test_personal_conversations_and_the_default_one(api):
    first = create(api, displayName="Support", description="Help for Alice", iconUrl="https://x.test/i.png",
                   metadata={"lang": "en"})
    assert len(first["id"]) == 24 and first["type"] == "personal" and first["isDefault"] is True
    assert (first["displayName"], first["description"], first["iconUrl"], first["metadata"]) == (
        "Support", "Help for Alice", "https://x.test/i.png", {"lang": "en"})
    assert first["createdAt"] == first["lastUpdatedAt"] and first["createdAt"].endswith("Z")
    second = create(api)
    assert second["isDefault"] is False and "metadata" not in second and "displayName" not in second
    assert api.get(f"{base(api)}/{first['id']}", auth=app_auth(api)).json()["conversation"] == first

    alice = api.user("Acme Support", "alice")
    for params in ({"filter[userId]": alice["id"]}, {"filter[userExternalId]": "alice"},
                   {"filter": json.dumps({"userExternalId": "alice"})}):  # the official client's form
        listed = api.get(base(api), auth=app_auth(api), params=params).json()
        assert [c["id"] for c in listed["conversations"]] == [first["id"], second["id"]], params
        assert listed["meta"] == {"hasMore": False}
    paged = api.get(base(api), auth=app_auth(api), params={"filter[userExternalId]": "alice", "page[size]": 1}).json()
    assert [c["id"] for c in paged["conversations"]] == [first["id"]] and paged["meta"]["hasMore"] is True
    bob = api.get(base(api), auth=app_auth(api), params={"filter[userExternalId]": "bob"}).json()
    assert bob["conversations"] == []


def test_create_conversation_validation(api):
    cases = [
        ({}, "should have required property 'type'"),
        ({"type": "group"}, "type should be equal to one of the allowed values"),
        ({"type": "personal"}, "should have required property 'participants'"),
        ({"type": "personal", "participants": []}, "participants should NOT have fewer than 1 items"),
        ({"type": "personal", "participants": [{"userExternalId": "alice"}, {"userExternalId": "bob"}]},
         "participants should NOT have more than 1 items"),
        ({"type": "sdkGroup", "participants": [{"userExternalId": "alice", "subscribeSDKClient": False}] * 11},
         "participants should NOT have more than 10 items"),
        ({"type": "personal", "participants": ["alice"]}, "participants[0] should be object"),
        ({"type": "personal", "participants": [{}]},
         "participants[0]: One of userId or userExternalId is required, but not both."),
        ({"type": "personal", "participants": [{"userId": "x", "userExternalId": "alice"}]},
         "participants[0]: One of userId or userExternalId is required, but not both."),
        ({"type": "sdkGroup", "participants": [{"userExternalId": "alice"}]},
         "participants[0] should have required property 'subscribeSDKClient'"),
        ({"type": "sdkGroup", "participants": [{"userExternalId": "alice", "subscribeSDKClient": "yes"}]},
         "participants[0].subscribeSDKClient should be boolean"),
        ({"type": "sdkGroup", "participants": [{"userExternalId": "alice", "subscribeSDKClient": True},
                                               {"userId": api.user("Acme Support", "alice")["id"],
                                                "subscribeSDKClient": True}]},
         "participants should NOT have duplicate items"),
        ({"type": "sdkGroup", "displayName": ""}, "displayName should NOT be shorter than 1 characters"),
        ({"type": "sdkGroup", "description": "x" * 101}, "description should NOT be longer than 100 characters"),
        ({"type": "sdkGroup", "iconUrl": "not a url"}, 'iconUrl should match format "uri"'),
        ({"type": "sdkGroup", "metadata": {"big": "x" * 5000}},
         "Conversation metadata is limited to 4096 bytes in size."),
    ]
    for body, title in cases:
        error(api.post(base(api), auth=app_auth(api), json=body), 400, "bad_request", title)
    for participant in ({"userExternalId": "nobody"}, {"userId": MISSING},
                        {"userId": api.user("Acme Sales", "carol")["id"]}):  # a user of another app
        error(api.post(base(api), auth=app_auth(api), json={"type": "personal", "participants": [participant]}),
              404, "user_not_found", "User not found")


def test_sdk_group_without_participants(api):
    group = create(api, kind="sdkGroup", users=())
    assert group["type"] == "sdkGroup" and group["isDefault"] is False
    listed = api.get(f"{base(api)}/{group['id']}/participants", auth=app_auth(api)).json()
    assert listed == {"participants": [], "meta": {"hasMore": False}, "links": {}}


def test_list_conversations_needs_one_user_filter(api):
    alice = api.user("Acme Support", "alice")
    for params in ({}, {"filter[userId]": alice["id"], "filter[userExternalId]": "alice"},
                   {"filter[displayName]": "x"}):
        error(api.get(base(api), auth=app_auth(api), params=params), 400, "bad_request",
              "Invalid filter query parameters")
    for params in ({"filter[userExternalId]": "nobody"}, {"filter[userId]": "alice"}):  # userId is an id
        error(api.get(base(api), auth=app_auth(api), params=params), 404, "user_not_found", "User not found")
    create(api)
    error(api.get(base(api), auth=app_auth(api), params={"filter[userExternalId]": "alice", "page[size]": 0}),
          400, "bad_request", "Invalid page query parameters")


def test_update_conversation(api):
    conversation = create(api, displayName="Before", metadata={"a": 1})
    url = f"{base(api)}/{conversation['id']}"
    patched = api.request("PATCH", url, auth=app_auth(api),
                          json={"displayName": "After", "description": "Now described", "metadata": None})
    assert patched.status_code == 200
    updated = patched.json()["conversation"]
    assert (updated["displayName"], updated["description"]) == ("After", "Now described")
    assert "metadata" not in updated and updated["lastUpdatedAt"] == conversation["lastUpdatedAt"]
    cleared = api.request("PATCH", url, auth=app_auth(api), json={"displayName": None}).json()["conversation"]
    assert "displayName" not in cleared and cleared["description"] == "Now described"
    assert api.get(url, auth=app_auth(api)).json()["conversation"] == cleared
    error(api.request("PATCH", url, auth=app_auth(api), json={"displayName": 5}), 400, "bad_request",
          "displayName should be string")
    error(api.request("PATCH", url, auth=app_auth(api), json={"iconUrl": "x" * 2049}), 400, "bad_request",
          "iconUrl should NOT be longer than 2048 characters")
    error(api.request("PATCH", f"{base(api)}/{MISSING}", auth=app_auth(api), json={}), 404,
          "conversation_not_found", "Conversation not found")


def test_delete_conversation_but_never_the_default(api):
    default = create(api)
    error(api.request("DELETE", f"{base(api)}/{default['id']}", auth=app_auth(api)), 400, "bad_request",
          f"Conversation {default['id']} cannot be deleted because it is the default.")
    other = create(api)
    assert post(api, other["id"]).status_code == 201
    deleted = api.request("DELETE", f"{base(api)}/{other['id']}", auth=app_auth(api))
    assert (deleted.status_code, deleted.json()) == (200, {})
    for path in ("", "/messages", "/participants"):
        error(api.get(f"{base(api)}/{other['id']}{path}", auth=app_auth(api)), 404, "conversation_not_found",
              "Conversation not found")
    listed = api.get(base(api), auth=app_auth(api), params={"filter[userExternalId]": "alice"}).json()
    assert [c["id"] for c in listed["conversations"]] == [default["id"]]


# --- participants -----------------------------------------------------------------------------------

def test_join_list_and_leave_a_group(api):
    group = create(api, kind="sdkGroup", users=("alice",))
    url = f"{base(api)}/{group['id']}"
    bob = api.user("Acme Support", "bob")
    joined = api.post(f"{url}/join", auth=app_auth(api), json={"userId": bob["id"], "subscribeSDKClient": True})
    assert joined.status_code == 201
    participant = joined.json()["participant"]
    assert participant["userId"] == bob["id"] and participant["userExternalId"] == "bob"
    assert participant["unreadCount"] == 0
    [association] = participant["clientAssociations"]
    assert association["type"] == "sdk" and len(association["clientId"]) == 24

    listed = api.get(f"{url}/participants", auth=app_auth(api)).json()
    assert [p["userExternalId"] for p in listed["participants"]] == ["alice", "bob"]
    assert listed["participants"][1] == participant
    alice_participant = listed["participants"][0]
    assert alice_participant["clientAssociations"] == []
    page = api.get(f"{url}/participants", auth=app_auth(api), params={"page[size]": 1}).json()
    assert [p["id"] for p in page["participants"]] == [alice_participant["id"]] and page["meta"]["hasMore"] is True

    error(api.post(f"{url}/join", auth=app_auth(api), json={"userExternalId": "bob", "subscribeSDKClient": False}),
          400, "bad_request", "User is already a participant of the conversation")
    error(api.post(f"{url}/join", auth=app_auth(api), json={"userExternalId": "bob"}), 400, "bad_request",
          "should have required property 'subscribeSDKClient'")
    error(api.post(f"{url}/join", auth=app_auth(api), json={"subscribeSDKClient": True}), 400, "bad_request",
          "One of userId or userExternalId is required, but not both.")
    error(api.post(f"{url}/join", auth=app_auth(api), json={"userExternalId": "nobody", "subscribeSDKClient": True}),
          404, "user_not_found", "User not found")
    personal = create(api)
    error(api.post(f"{base(api)}/{personal['id']}/join", auth=app_auth(api),
                   json={"userExternalId": "bob", "subscribeSDKClient": True}),
          400, "bad_request", "Participants can only be added to sdkGroup conversations")

    left = api.post(f"{url}/leave", auth=app_auth(api), json={"userExternalId": "bob"})
    assert (left.status_code, left.json()) == (200, {})
    error(api.post(f"{url}/leave", auth=app_auth(api), json={"userExternalId": "bob"}), 404, "not_found",
          "User is not a member of the conversation")
    assert api.post(f"{url}/leave", auth=app_auth(api), json={"participantId": alice_participant["id"]}).status_code == 200
    assert api.get(f"{url}/participants", auth=app_auth(api)).json()["participants"] == []
    error(api.post(f"{url}/leave", auth=app_auth(api), json={"participantId": alice_participant["id"]}), 404,
          "not_found", "User is not a member of the conversation")
    error(api.post(f"{url}/leave", auth=app_auth(api), json={"userId": MISSING}), 404, "user_not_found",
          "User not found")
    error(api.post(f"{url}/leave", auth=app_auth(api), json={"userId": bob["id"], "userExternalId": "bob"}),
          400, "bad_request", "One of userId, userExternalId or participantId is required, but only one.")
    error(api.post(f"{base(api)}/{personal['id']}/leave", auth=app_auth(api), json={"userExternalId": "alice"}),
          400, "bad_request", "Participants can only be removed from sdkGroup conversations")


def test_a_group_has_at_most_ten_participants(api):
    users = ["alice", "bob", *add_users(api, 9)]
    group = create(api, kind="sdkGroup", users=users[:10])
    assert len(api.get(f"{base(api)}/{group['id']}/participants", auth=app_auth(api)).json()["participants"]) == 10
    error(api.post(f"{base(api)}/{group['id']}/join", auth=app_auth(api),
                   json={"userExternalId": users[10], "subscribeSDKClient": False}),
          400, "bad_request", "Too many participants")


def test_participants_whose_user_was_deleted_are_not_listed(api):
    group = create(api, kind="sdkGroup", users=("alice", "bob"))
    app_id = api.app("Acme Support")["id"]
    assert api.request("DELETE", f"/v2/apps/{app_id}/users/bob", auth=app_auth(api)).status_code == 200
    listed = api.get(f"{base(api)}/{group['id']}/participants", auth=app_auth(api)).json()
    assert [p["userExternalId"] for p in listed["participants"]] == ["alice"]
    assert post(api, group["id"]).status_code == 201


# --- messages -----------------------------------------------------------------------------------------

def test_post_and_list_messages(api):
    conversation = create(api)
    url = f"{base(api)}/{conversation['id']}"
    advance(api, 60)
    business = post(api, conversation["id"], author={"type": "business", "displayName": "Acme", "subtypes": ["AI"]},
                    metadata={"ticket": 7})
    assert business.status_code == 201
    [sent] = business.json()["messages"]
    assert len(sent["id"]) == 24 and sent["received"].endswith("Z")
    assert sent["author"] == {"type": "business", "subtypes": ["AI"], "displayName": "Acme",
                              "avatarUrl": DEFAULT_AVATAR}
    assert sent["content"] == {"type": "text", "text": "hi"}
    assert sent["source"] == {"type": "api:conversations"} and sent["metadata"] == {"ticket": 7}
    after_business = api.get(url, auth=app_auth(api)).json()["conversation"]
    assert after_business["lastUpdatedAt"] == sent["received"] != conversation["createdAt"]
    [alice] = api.get(f"{url}/participants", auth=app_auth(api)).json()["participants"]
    assert alice["unreadCount"] == 1 and "lastRead" not in alice

    advance(api, 1)
    reply = post(api, conversation["id"], author={"type": "user", "userExternalId": "alice"},
                 content={"type": "text", "text": "hello"}, auth=basic(api.key("bot")))
    assert reply.status_code == 201
    [answer] = reply.json()["messages"]
    alice_user = api.user("Acme Support", "alice")
    assert answer["author"] == {"type": "user", "userId": alice_user["id"], "displayName": "Alice Anderson"}
    assert answer["source"] == {"type": "api:conversations",
                                "integrationId": api.app("Acme Support")["integrations"][0]["id"]}
    [alice] = api.get(f"{url}/participants", auth=app_auth(api)).json()["participants"]
    assert alice["unreadCount"] == 0 and alice["lastRead"] == answer["received"]

    listed = api.get(f"{url}/messages", auth=app_auth(api)).json()
    assert listed == {"messages": [sent, answer], "meta": {"hasMore": False}, "links": {}}


def test_messages_are_ordered_by_received(api):
    conversation = create(api)
    first = post(api, conversation["id"], content={"type": "text", "text": "first"}).json()["messages"][0]
    advance(api, -3600)  # a clock set back: the next message was received before the first
    earlier = post(api, conversation["id"], content={"type": "text", "text": "earlier"}).json()["messages"][0]
    listed = api.get(f"{base(api)}/{conversation['id']}/messages", auth=app_auth(api)).json()["messages"]
    assert [m["id"] for m in listed] == [earlier["id"], first["id"]]


def test_message_content_types(api):
    conversation = create(api)
    link = {"type": "link", "text": "Open", "uri": "https://x.test"}
    contents = [
        {"type": "text", "text": "Pick one", "actions": [{"type": "reply", "text": "Yes", "payload": "YES"}]},
        {"type": "text", "htmlText": "<b>bold</b>"},
        {"type": "image", "mediaUrl": "https://x.test/a.png", "altText": "a"},
        {"type": "file", "mediaUrl": "https://x.test/a.pdf"},
        {"type": "carousel", "items": [{"title": "One", "actions": [link]}]},
        {"type": "list", "items": [{"title": "One", "actions": [link]}], "actions": [link]},
        {"type": "location", "coordinates": {"lat": 45.5, "long": -73}},
        {"type": "form", "fields": [{"type": "text", "name": "name", "label": "Name"}]},
        {"type": "template", "template": {"name": "welcome"}},
    ]
    for content in contents:
        response = post(api, conversation["id"], content=content)
        assert response.status_code == 201, (content, response.text)
        assert response.json()["messages"][0]["content"] == content
    markdown = post(api, conversation["id"], content={"type": "text", "markdownText": "**hi**"})
    assert markdown.json()["messages"][0]["content"] == {"type": "text", "text": "**hi**"}


def test_post_message_validation(api):
    conversation = create(api)
    text = {"type": "text", "text": "x"}
    cases = [
        ({"content": text}, "should have required property 'author'"),
        ({"author": {"type": "business"}}, "should have required property 'content'"),
        ({"author": {}, "content": text}, "author should have required property 'type'"),
        ({"author": {"type": "bot"}, "content": text}, "author.type should be equal to one of the allowed values"),
        ({"author": {"type": "user"}, "content": text},
         "author: One of userId or userExternalId is required, but not both."),
        ({"author": {"type": "business", "avatarUrl": "nope"}, "content": text},
         'author.avatarUrl should match format "uri"'),
        ({"author": {"type": "business", "subtypes": ["agent"]}, "content": text},
         "author.subtypes[0] should be equal to one of the allowed values"),
        ({"author": {"type": "business"}, "content": {}}, "content should have required property 'type'"),
        ({"author": {"type": "business"}, "content": {"type": "video"}},
         "content.type should be equal to one of the allowed values"),
        ({"author": {"type": "business"}, "content": {"type": "text"}}, "content should have required property 'text'"),
        ({"author": {"type": "business"}, "content": {"type": "text", "text": "x" * 4097}},
         "content.text should NOT be longer than 4096 characters"),
        ({"author": {"type": "business"}, "content": {"type": "text", "htmlText": "a", "markdownText": "a"}},
         "content: htmlText and markdownText cannot be used together"),
        ({"author": {"type": "business"}, "content": {"type": "image"}},
         "content should have required property 'mediaUrl'"),
        ({"author": {"type": "business"}, "content": {"type": "carousel", "items": []}},
         "content.items should NOT have fewer than 1 items"),
        ({"author": {"type": "business"}, "content": {"type": "carousel", "items": [{"title": "t"}]}},
         "content.items[0] should have required property 'actions'"),
        ({"author": {"type": "business"},
          "content": {"type": "text", "text": "x", "actions": [{"type": "link", "text": "Open"}]}},
         "content.actions[0] should have required property 'uri'"),
        ({"author": {"type": "business"}, "content": {"type": "location", "coordinates": {"lat": 1}}},
         "content.coordinates should have required property 'long'"),
        ({"author": {"type": "business"}, "content": {"type": "form", "fields": [{"type": "date"}]}},
         "content.fields[0].type should be equal to one of the allowed values"),
        ({"author": {"type": "business"}, "content": {"type": "formResponse", "fields": []}},
         "formResponse messages cannot be sent via the API"),
        ({"author": {"type": "business"}, "content": text, "metadata": {"big": "x" * 5000}},
         "Message metadata is limited to 4096 bytes in size."),
    ]
    url = f"{base(api)}/{conversation['id']}/messages"
    for body, title in cases:
        error(api.post(url, auth=app_auth(api), json=body), 400, "bad_request", title)
    error(post(api, conversation["id"], author={"type": "user", "userExternalId": "nobody"}), 404,
          "user_not_found", "User not found")
    error(post(api, conversation["id"], author={"type": "user", "userExternalId": "bob"}), 404, "not_found",
          "User is not a member of the conversation")
    error(post(api, MISSING), 404, "conversation_not_found", "Conversation not found")
    assert api.get(url, auth=app_auth(api)).json()["messages"] == []


def test_list_messages_pages_backwards_100_at_a_time(api):
    conversation = create(api)
    url = f"{base(api)}/{conversation['id']}/messages"
    session = requests.Session()
    ids_sent = []
    for n in range(120):
        response = session.post(api.url + url, headers={"Authorization": app_auth(api)},
                                json={"author": {"type": "business"}, "content": {"type": "text", "text": str(n)}})
        ids_sent.append(response.json()["messages"][0]["id"])

    latest = api.get(url, auth=app_auth(api), params={"page[size]": 5}).json()  # page[size] does not apply
    assert [m["id"] for m in latest["messages"]] == ids_sent[20:]
    assert latest["meta"] == {"hasMore": True, "beforeCursor": ids_sent[20]}
    assert latest["links"]["prev"].endswith(f"page%5Bbefore%5D={ids_sent[20]}") and "next" not in latest["links"]

    older = api.get(url, auth=app_auth(api), params={"page[before]": ids_sent[20]}).json()
    assert [m["id"] for m in older["messages"]] == ids_sent[:20]
    assert older["meta"] == {"hasMore": False, "afterCursor": ids_sent[19]} and "prev" not in older["links"]

    newer = api.get(url, auth=app_auth(api), params={"page": json.dumps({"after": ids_sent[9]})}).json()
    assert [m["id"] for m in newer["messages"]] == ids_sent[10:110]
    assert newer["meta"] == {"hasMore": True, "afterCursor": ids_sent[109], "beforeCursor": ids_sent[10]}
    last = api.get(url, auth=app_auth(api), params={"page[after]": ids_sent[109]}).json()
    assert [m["id"] for m in last["messages"]] == ids_sent[110:] and last["meta"]["hasMore"] is False

    for params in ({"page[after]": ids_sent[0], "page[before]": ids_sent[5]}, {"page[before]": MISSING}):
        error(api.get(url, auth=app_auth(api), params=params), 400, "bad_request", "Invalid page query parameters")


def test_delete_one_message_and_all_messages(api):
    conversation = create(api)
    url = f"{base(api)}/{conversation['id']}/messages"
    sent = [post(api, conversation["id"]).json()["messages"][0]["id"] for _ in range(3)]
    deleted = api.request("DELETE", f"{url}/{sent[1]}", auth=app_auth(api))
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert [m["id"] for m in api.get(url, auth=app_auth(api)).json()["messages"]] == [sent[0], sent[2]]
    error(api.request("DELETE", f"{url}/{sent[1]}", auth=app_auth(api)), 404, "not_found", "Message not found")
    other = create(api)
    error(api.request("DELETE", f"{base(api)}/{other['id']}/messages/{sent[0]}", auth=app_auth(api)), 404,
          "not_found", "Message not found")

    cleared = api.request("DELETE", url, auth=app_auth(api))
    assert (cleared.status_code, cleared.json()) == (200, {})
    assert api.get(url, auth=app_auth(api)).json()["messages"] == []
    [alice] = api.get(f"{base(api)}/{conversation['id']}/participants", auth=app_auth(api)).json()["participants"]
    assert alice["unreadCount"] == 0


def test_message_limit_answers_423_until_the_messages_are_deleted():
    server = LiveServer({"MESSAGE_LIMIT": 3})
    try:
        api = Api(server.url, server.app.extensions["mocksmooch"].store.seed)
        conversation = create(api)
        for _ in range(3):
            assert post(api, conversation["id"]).status_code == 201
        error(post(api, conversation["id"]), 423, "locked", "Message limit of 3 per conversation reached.")
        assert api.request("DELETE", f"{base(api)}/{conversation['id']}/messages", auth=app_auth(api)).status_code == 200
        assert post(api, conversation["id"]).status_code == 201
    finally:
        server.stop()


# --- activities -----------------------------------------------------------------------------------------

def test_activities_mark_the_conversation_read(api):
    conversation = create(api)
    url = f"{base(api)}/{conversation['id']}"
    post(api, conversation["id"])
    post(api, conversation["id"])
    [alice] = api.get(f"{url}/participants", auth=app_auth(api)).json()["participants"]
    assert alice["unreadCount"] == 2

    read = api.post(f"{url}/activity", auth=app_auth(api),
                    json={"author": {"type": "user", "userExternalId": "alice"}, "type": "conversation:read"})
    assert (read.status_code, read.json()) == (200, {})
    [alice] = api.get(f"{url}/participants", auth=app_auth(api)).json()["participants"]
    assert alice["unreadCount"] == 0 and alice["lastRead"].endswith("Z")

    assert "businessLastRead" not in api.get(url, auth=app_auth(api)).json()["conversation"]
    for kind in ("conversation:read", "typing:start", "typing:stop"):
        response = api.post(f"{url}/activity", auth=app_auth(api), json={"author": {"type": "business"}, "type": kind})
        assert response.status_code == 200, kind
    assert api.get(url, auth=app_auth(api)).json()["conversation"]["businessLastRead"].endswith("Z")

    cases = [({"author": {"type": "business"}}, "should have required property 'type'"),
             ({"type": "conversation:read"}, "should have required property 'author'"),
             ({"author": {"type": "business"}, "type": "typing"}, "type should be equal to one of the allowed values"),
             ({"author": {"type": "user", "userExternalId": "alice"}, "type": "typing:start"},
              "If the author type is user, only conversation:read is supported.")]
    for body, title in cases:
        error(api.post(f"{url}/activity", auth=app_auth(api), json=body), 400, "bad_request", title)
    error(api.post(f"{url}/activity", auth=app_auth(api),
                   json={"author": {"type": "user", "userExternalId": "bob"}, "type": "conversation:read"}),
          404, "not_found", "User is not a member of the conversation")


# --- download and conversion events ------------------------------------------------------------------------

def test_download_message_ref_and_conversion_events(api):
    conversation = create(api)
    url = f"{base(api)}/{conversation['id']}"
    alice = api.user("Acme Support", "alice")
    reference = {"url": "https://icloud.test/x", "bid": "b", "key": "k", "signature": "s", "owner": "o"}
    downloaded = api.post(f"{url}/download", auth=app_auth(api),
                          json={"userId": alice["id"], "apple": {"interactiveDataRef": reference}})
    assert (downloaded.status_code, downloaded.json()) == (200, {})
    error(api.post(f"{url}/download", auth=app_auth(api), json={}), 400, "bad_request",
          "should have required property 'userId'")
    error(api.post(f"{url}/download", auth=app_auth(api),
                   json={"userId": alice["id"], "apple": {"interactiveDataRef": {"url": "u"}}}),
          400, "bad_request", "apple.interactiveDataRef should have required property 'bid'")
    error(api.post(f"{url}/download", auth=app_auth(api), json={"userId": MISSING}), 404, "user_not_found",
          "User not found")

    events = {"instagram": {"payload": {"data": [{"event_name": "Purchase"}, {"event_name": "Lead"}]}}}
    converted = api.post(f"{url}/conversionEvents", auth=app_auth(api), json=events)
    assert converted.status_code == 200
    body = converted.json()["conversionEvents"]
    assert body["eventsReceived"] == 2 and body["datasetId"].isdigit() and len(body["datasetId"]) == 16
    error(api.post(f"{url}/conversionEvents", auth=app_auth(api), json={}), 400, "bad_request",
          "should match exactly one schema in oneOf")
    error(api.post(f"{url}/conversionEvents", auth=app_auth(api), json={"messenger": {"payload": {}}}), 400,
          "bad_request", "messenger.payload should have required property 'data'")


# --- who may call, and unknown conversations -----------------------------------------------------------------

ROUTES = [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/join"), ("GET", "/participants"),
          ("POST", "/leave"), ("POST", "/messages"), ("GET", "/messages"), ("DELETE", "/messages"),
          ("DELETE", f"/messages/{MISSING}"), ("POST", "/activity"), ("POST", "/passControl"),
          ("POST", "/offerControl"), ("POST", "/acceptControl"), ("POST", "/releaseControl"),
          ("POST", "/download"), ("POST", "/conversionEvents")]
VALID_BODIES = {"/join": {"userExternalId": "alice", "subscribeSDKClient": True}, "/leave": {"userExternalId": "alice"},
                "/messages": {"author": {"type": "business"}, "content": {"type": "text", "text": "x"}},
                "/activity": {"author": {"type": "business"}, "type": "typing:start"},
                "/passControl": {"switchboardIntegration": "next"},
                "/offerControl": {"switchboardIntegration": "next"}, "/download": {"userId": MISSING},
                "/conversionEvents": {"whatsapp": {"payload": {"data": []}}}}


@pytest.mark.parametrize("method, path", ROUTES, ids=[f"{m} {p or '/'}" for m, p in ROUTES])
def test_unknown_conversation_is_404_on_every_route(api, method, path):
    body = VALID_BODIES.get(path, {}) if method in ("POST", "PATCH") else None
    response = api.request(method, f"{base(api)}/{MISSING}{path}", auth=app_auth(api), json=body)
    error(response, 404, "conversation_not_found", "Conversation not found")


def test_who_may_call(api):
    conversation = create(api)
    url = f"{base(api)}/{conversation['id']}"
    for auth in (basic(api.key("Acme")), basic(api.key("provisioner")), basic(api.key("bot")),
                 api.bearer(api.key("Acme Support")["id"], "app"), api.bearer(api.key("bot")["id"], "integration")):
        assert api.get(url, auth=auth).status_code == 200
    error(api.get(url, auth=app_auth(api, "Acme Sales")), 403, "forbidden", "Forbidden")
    error(api.get(url, auth=basic(api.key("Globex"))), 404, "app_not_found", "App not found")
    error(api.get(url, auth=basic(api.key("Globex Help"))), 403, "forbidden", "Forbidden")
    error(api.get(url), 401, "unauthorized", "Authorization is required")
    # a conversation of Acme Support is not one of Acme Sales, even for the account that owns both
    error(api.get(f"{base(api, 'Acme Sales')}/{conversation['id']}", auth=basic(api.key("Acme"))), 404,
          "conversation_not_found", "Conversation not found")


def test_the_official_client_reads_what_it_created(api):
    app_id = api.app("Acme Support")["id"]
    key = api.key("Acme Support")
    client = sc.ApiClient(sc.Configuration(host=api.url, username=key["id"], password=key["secret"]))
    conversations, messages = sc.ConversationsApi(client), sc.MessagesApi(client)
    participants = sc.ParticipantsApi(client)
    created = conversations.create_conversation(app_id, sc.ConversationCreateBody(
        type="sdkGroup", display_name="Team",
        participants=[sc.ParticipantSubSchema(sc.ParticipantWithUserExternalId(
            user_external_id="alice", subscribe_sdk_client=True))]))
    assert created is not None, "create_conversation returned None: the mock did not answer 201"
    conversation = created.conversation
    assert (conversation.type, conversation.display_name, conversation.is_default) == ("sdkGroup", "Team", False)
    posted = messages.post_message(app_id, conversation.id, sc.MessagePost(
        author=sc.Author(type="user", user_external_id="alice"),
        content=sc.Content(sc.TextMessage(type="text", text="hello"))))
    assert posted.messages[0].content.actual_instance.text == "hello"
    listed = messages.list_messages(app_id, conversation.id)
    assert [m.id for m in listed.messages] == [posted.messages[0].id] and listed.meta.has_more is False
    joined = participants.join_conversation(app_id, conversation.id, sc.ParticipantJoinBody(
        user_external_id="bob", subscribe_sdk_client=False))
    assert joined.participant.user_external_id == "bob"
    listed_participants = participants.list_participants(app_id, conversation.id).participants
    assert [p.user_external_id for p in listed_participants] == ["alice", "bob"]
    assert listed_participants[0].client_associations[0].type == "sdk"
    found = conversations.list_conversations(app_id, sc.ConversationListFilter(user_external_id="bob"))
    assert [c.id for c in found.conversations] == [conversation.id]


# --- a server of our own: webhook events, switchboards between two integrations ------------------------------

@pytest.fixture(scope="module")
def own_server():
    """The default seed plus a second custom integration, "agent", in Acme Support."""
    seed = json.loads(fixtures.DEFAULT_SEED.read_text())
    app = next(app for account in seed["accounts"] for app in account["apps"] if app["name"] == "Acme Support")
    app["integrations"].append({"type": "custom", "displayName": "agent", "keys": [{}]})
    server = LiveServer({"FIXTURES_JSON": seed})
    yield server
    server.stop()


class Own:
    """The own server, reset: HTTP helpers (`api`), its store, and the webhook events emitted."""

    def __init__(self, server):
        self.mock = server.app.extensions["mocksmooch"]
        assert requests.post(f"{server.url}/_mocksmooch/reset", timeout=10).status_code == 200
        self.api = Api(server.url, self.mock.store.seed)
        self.events: list[tuple[str, dict, str | None]] = []
        self.mock.webhooks.emit = self._record

    def _record(self, app_id, trigger, payload, *, source_integration_id=None):
        assert app_id == self.api.app("Acme Support")["id"]
        self.events.append((trigger, copy.deepcopy(payload), source_integration_id))

    def triggers(self) -> list[str]:
        return [trigger for trigger, _, _ in self.events]

    def integration(self, name: str) -> dict:
        return next(i for i in self.api.app("Acme Support")["integrations"] if i["displayName"] == name)

    def switchboard(self, *, enabled=True) -> dict[str, dict]:
        """A switchboard bot -> agent (bot's next), bot the default; made in the store, so these
        tests do not depend on the switchboard routes."""
        store, app_id = self.mock.store, self.api.app("Acme Support")["id"]
        switchboard = {"id": ids.object_id(), "appId": app_id, "enabled": enabled}
        store.insert("switchboard", switchboard, parent=app_id)
        members = {}
        for name in ("bot", "agent"):
            member = {"id": ids.object_id(), "appId": app_id, "switchboardId": switchboard["id"], "name": name,
                      "integrationId": self.integration(name)["id"], "integrationType": "custom",
                      "deliverStandbyEvents": False, "messageHistoryCount": 0}
            store.insert("switchboardIntegration", member, parent=switchboard["id"], alt=name)
            members[name] = member
        members["bot"]["nextSwitchboardIntegrationId"] = members["agent"]["id"]
        store.update("switchboardIntegration", members["bot"], alt="bot")
        switchboard["defaultSwitchboardIntegrationId"] = members["bot"]["id"]
        store.update("switchboard", switchboard)
        return members


@pytest.fixture
def own(own_server):
    return Own(own_server)


def summary(member: dict) -> dict:
    return {"id": member["id"], "name": member["name"], "integrationId": member["integrationId"],
            "integrationType": member["integrationType"]}


def test_webhook_events_of_conversations_and_messages(own):
    api = own.api
    alice = api.user("Acme Support", "alice")
    personal = create(api, metadata={"lang": "en"})
    trigger, payload, source = own.events[-1]
    assert trigger == "conversation:create" and source is None
    assert payload["conversation"] == {"id": personal["id"], "type": "personal", "metadata": {"lang": "en"}}
    assert payload["creationReason"] == "none" and payload["source"] == {"type": "api:conversations"}
    assert payload["user"]["id"] == alice["id"] and payload["user"]["externalId"] == "alice"

    post(api, personal["id"], author={"type": "user", "userExternalId": "alice"}, auth=basic(api.key("bot")))
    trigger, payload, source = own.events[-1]
    assert trigger == "conversation:message" and source == own.integration("bot")["id"]
    message = payload["message"]
    assert message["author"]["type"] == "user" and message["author"]["user"]["externalId"] == "alice"
    assert message["content"] == {"type": "text", "text": "hi"}
    assert message["source"] == {"type": "api:conversations", "integrationId": own.integration("bot")["id"]}

    group = create(api, kind="sdkGroup", users=("alice",))
    api.post(f"{base(api)}/{group['id']}/join", auth=app_auth(api), json={"userExternalId": "bob", "subscribeSDKClient": False})
    api.post(f"{base(api)}/{group['id']}/leave", auth=app_auth(api), json={"userExternalId": "bob"})
    api.post(f"{base(api)}/{group['id']}/activity", auth=app_auth(api),
             json={"author": {"type": "user", "userExternalId": "alice"}, "type": "conversation:read"})
    api.post(f"{base(api)}/{group['id']}/activity", auth=app_auth(api),
             json={"author": {"type": "business"}, "type": "typing:start"})  # users' activities only
    api.request("DELETE", f"{base(api)}/{group['id']}", auth=app_auth(api))
    assert own.triggers()[2:] == ["conversation:create", "conversation:join", "conversation:leave",
                                  "conversation:read", "conversation:remove"]
    join, leave, read, remove = (payload for _, payload, _ in own.events[3:])
    assert "user" not in own.events[2][1]  # a group's creation names no user
    assert join["user"]["externalId"] == "bob" and leave["user"]["externalId"] == "bob"
    assert read["activity"]["type"] == "conversation:read" and read["activity"]["author"]["user"]["id"] == alice["id"]
    assert remove == {"conversation": {"id": group["id"], "type": "sdkGroup"}}


def test_switchboard_control_between_two_integrations(own):
    api = own.api
    members = own.switchboard()
    bot, agent = basic(api.key("bot")), basic(api.key("agent"))
    conversation = create(api)
    assert conversation["activeSwitchboardIntegration"] == summary(members["bot"])  # the default, from the start
    url = f"{base(api)}/{conversation['id']}"

    def state():
        current = api.get(url, auth=app_auth(api)).json()["conversation"]
        return current.get("activeSwitchboardIntegration", {}).get("name"), \
            current.get("pendingSwitchboardIntegration", {}).get("name")

    # offer to agent; only agent may accept it
    assert api.post(f"{url}/offerControl", auth=bot, json={"switchboardIntegration": "agent",
                                                           "metadata": {"why": "human"}}).status_code == 200
    assert state() == ("bot", "agent")
    trigger, payload, _ = own.events[-1]
    assert trigger == "switchboard:offerControl" and payload["metadata"] == {"why": "human"}
    assert payload["conversation"]["pendingSwitchboardIntegration"] == summary(members["agent"])
    error(api.post(f"{url}/acceptControl", auth=bot, json={}), 403, "forbidden", "Forbidden")
    assert api.post(f"{url}/acceptControl", auth=agent, json={}).status_code == 200
    assert state() == ("agent", None)
    error(api.post(f"{url}/offerControl", auth=app_auth(api), json={"switchboardIntegration": "agent"}), 400,
          "bad_request", "Cannot offer control to the active switchboard integration.")
    error(api.post(f"{url}/acceptControl", auth=app_auth(api), json={}), 400, "bad_request",
          "There is no pendingSwitchboardIntegration")

    # release: only by the active integration, or by the app
    error(api.post(f"{url}/releaseControl", auth=bot), 403, "forbidden", "Forbidden")
    assert api.post(f"{url}/releaseControl", auth=agent).status_code == 200
    assert state() == (None, None)
    assert own.events[-1][1]["conversation"] == {"id": conversation["id"], "type": "personal"}
    error(api.post(f"{url}/releaseControl", auth=agent), 403, "forbidden", "Forbidden")
    post(api, conversation["id"], author={"type": "user", "userExternalId": "alice"})
    assert state() == ("bot", None)  # a user message brings the default back

    # pass control by name, by id, by "next"; by an ambiguous integrationType
    for target, expected in (("agent", "agent"), (members["bot"]["id"], "bot"), ("next", "agent")):
        assert api.post(f"{url}/passControl", auth=app_auth(api),
                        json={"switchboardIntegration": target}).status_code == 200, target
        assert state() == (expected, None)
    error(api.post(f"{url}/passControl", auth=app_auth(api), json={"switchboardIntegration": "next"}), 400,
          "bad_request", "Switchboard invalid target")  # agent has no next
    error(api.post(f"{url}/passControl", auth=app_auth(api), json={"switchboardIntegration": "custom"}), 400,
          "bad_request", "Switchboard invalid target")  # two of that type
    error(api.post(f"{url}/passControl", auth=app_auth(api), json={"switchboardIntegration": "zd:answerBot"}), 404,
          "switchboard_integration_not_found", "SwitchboardIntegration not found")
    error(api.post(f"{url}/passControl", auth=app_auth(api), json={}), 400, "bad_request",
          "should have required property 'switchboardIntegration'")
    assert api.post(f"{url}/releaseControl", auth=app_auth(api)).status_code == 200
    assert own.triggers()[-1] == "switchboard:releaseControl"


def test_switchboard_actions_need_an_enabled_switchboard(own):
    api = own.api
    conversation = create(api)
    url = f"{base(api)}/{conversation['id']}"
    error(api.post(f"{url}/passControl", auth=app_auth(api), json={"switchboardIntegration": "bot"}), 404,
          "switchboard_not_found", "Switchboard not found")
    own.switchboard(enabled=False)
    assert "activeSwitchboardIntegration" not in create(api)
    error(api.post(f"{url}/passControl", auth=app_auth(api), json={"switchboardIntegration": "bot"}), 400,
          "bad_request", "Switchboard is not enabled")


def test_switchboard_made_through_its_routes(own):
    """The same rules, with the switchboard made through the v2 switchboard routes."""
    api = own.api
    app_id = api.app("Acme Support")["id"]
    made = api.post(f"/v2/apps/{app_id}/switchboards", auth=app_auth(api), json={})
    if made.status_code == 404:
        pytest.skip("POST /v2/apps/{appId}/switchboards answers 404: the switchboard routes are not built yet")
    assert made.status_code == 201, made.text
    switchboard = made.json()["switchboard"]
    members = {}
    for name in ("agent", "bot"):
        response = api.post(f"/v2/apps/{app_id}/switchboards/{switchboard['id']}/switchboardIntegrations",
                            auth=app_auth(api), json={"name": name, "integrationId": own.integration(name)["id"],
                                                      "deliverStandbyEvents": False})
        assert response.status_code == 201, response.text
        members[name] = response.json()["switchboardIntegration"]
    enabled = api.request("PATCH", f"/v2/apps/{app_id}/switchboards/{switchboard['id']}", auth=app_auth(api),
                          json={"enabled": True, "defaultSwitchboardIntegrationId": members["bot"]["id"]})
    assert enabled.status_code == 200, enabled.text

    conversation = create(api)
    assert conversation["activeSwitchboardIntegration"] == summary(members["bot"])
    url = f"{base(api)}/{conversation['id']}"
    assert api.post(f"{url}/passControl", auth=basic(api.key("bot")),
                    json={"switchboardIntegration": "agent"}).status_code == 200
    error(api.post(f"{url}/releaseControl", auth=basic(api.key("bot"))), 403, "forbidden", "Forbidden")
    assert api.post(f"{url}/releaseControl", auth=basic(api.key("agent"))).status_code == 200
    assert "activeSwitchboardIntegration" not in api.get(url, auth=app_auth(api)).json()["conversation"]
