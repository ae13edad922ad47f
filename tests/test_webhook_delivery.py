"""Webhook delivery: events POSTed to a real local receiver, and the deliveries log of the
control API (`GET/DELETE /_mocksmooch/webhooks/deliveries`).

The end-to-end tests create webhooks over HTTP and cause events with real API calls (deleting
a user, posting a message); the unit tests call `Webhooks.emit` on an in-process mock where
the test needs a payload of its own, a short timeout or a small log.
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import basic
from mocksmooch.app import create_app
from mocksmooch.webhooks import Webhooks

BOT = "e4d193f3a0b6e39fb5dac231"
HEX24 = re.compile(r"^[0-9a-f]{24}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Receiver:
    """A webhook target on 127.0.0.1: records every POST, answers `status` after `delay` s."""

    def __init__(self):
        self.calls: list[dict] = []
        self.status = 200
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def wait_for_deliveries(api, count: int, timeout: float = 10.0) -> list[dict]:
    """Poll the control API until `count` deliveries are logged and none is pending."""
    deadline = time.monotonic() + timeout
    while True:
        state = requests.get(f"{api.url}/_mocksmooch/webhooks/deliveries", timeout=10).json()
        if len(state["deliveries"]) >= count and state["pending"] == 0:
            return state["deliveries"]
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} deliveries, have {state}")
        time.sleep(0.02)


def app_path(api, name: str = "Acme Support") -> str:
    return f"/v2/apps/{api.app(name)['id']}"


def add_webhook(api, target: str, triggers: list[str], *, integration: str = BOT, app: str = "Acme Support",
                **options) -> dict:
    response = api.post(f"{app_path(api, app)}/integrations/{integration}/webhooks", auth=basic(api.key(app)),
                        json={"target": target, "triggers": triggers, **options})
    assert response.status_code == 201, response.text
    return response.json()["webhook"]


# --- end to end, over HTTP ------------------------------------------------------------------

def test_an_event_is_posted_to_each_subscribed_webhook(api, receiver):
    requests.post(f"{api.url}/_mocksmooch/clock", json={"freeze": True}, timeout=10)
    requests.post(f"{api.url}/_mocksmooch/clock", json={"set": "2030-01-02T03:04:05Z"}, timeout=10)
    subscribed = add_webhook(api, f"{receiver.url}/one", ["user:remove"])
    custom = api.post(f"{app_path(api)}/integrations", auth=basic(api.key("Acme Support")), json={
        "type": "custom", "webhooks": [{"target": f"{receiver.url}/two", "triggers": ["user:update", "user:remove"]}],
    }).json()["integration"]
    add_webhook(api, f"{receiver.url}/not-subscribed", ["conversation:message"])

    alice = api.user("Acme Support", "alice")
    deleted = api.request("DELETE", f"{app_path(api)}/users/alice", auth=basic(api.key("Acme Support")))
    assert deleted.status_code == 200
    deliveries = wait_for_deliveries(api, 2)
    assert len(deliveries) == 2 and len(receiver.calls) == 2
    by_path = {call["path"]: call for call in receiver.calls}
    assert set(by_path) == {"/one", "/two"}

    one = by_path["/one"]
    assert one["headers"]["Content-Type"] == "application/json"
    assert one["headers"]["X-API-Key"] == subscribed["secret"]
    assert by_path["/two"]["headers"]["X-API-Key"] == custom["webhooks"][0]["secret"]
    body = one["body"]
    assert list(body) == ["app", "webhook", "events"]
    assert body["app"] == {"id": api.app("Acme Support")["id"]}
    assert body["webhook"] == {"id": subscribed["id"], "version": "v2"}
    [event] = body["events"]
    assert list(event) == ["id", "createdAt", "type", "payload"]
    assert HEX24.match(event["id"]) and event["createdAt"] == "2030-01-02T03:04:05.000Z"
    assert event["type"] == "user:remove" and event["payload"]["user"]["id"] == alice["id"]
    # one event: the same id and time for every webhook
    assert by_path["/two"]["body"]["events"][0]["id"] == event["id"]

    [logged] = [d for d in deliveries if d["webhookId"] == subscribed["id"]]
    assert logged["integrationId"] == BOT and logged["target"] == f"{receiver.url}/one"
    assert logged["trigger"] == "user:remove" and logged["eventId"] == event["id"]
    assert logged["status"] == 200 and logged["error"] is None
    assert isinstance(logged["durationMs"], int) and logged["time"] == "2030-01-02T03:04:05.000Z"
    assert logged["appId"] == api.app("Acme Support")["id"] and logged["body"] == body
    assert [d["id"] for d in deliveries] == [1, 2]


def test_events_of_other_apps_and_triggers_are_not_delivered(api, receiver):
    add_webhook(api, f"{receiver.url}/acme", ["user:update"])
    api.request("DELETE", f"{app_path(api)}/users/bob", auth=basic(api.key("Acme Support")))
    api.request("DELETE", f"{app_path(api, 'Acme Sales')}/users/carol", auth=basic(api.key("Acme Sales")))
    time.sleep(0.3)
    assert wait_for_deliveries(api, 0) == [] and receiver.calls == []


def test_failures_are_logged_with_status_or_error(api, receiver):
    receiver.status = 503
    add_webhook(api, f"{receiver.url}/busy", ["user:remove"])
    add_webhook(api, closed_port_url(), ["user:remove"])
    api.request("DELETE", f"{app_path(api)}/users/alice", auth=basic(api.key("Acme Support")))
    deliveries = wait_for_deliveries(api, 2)
    busy, refused = sorted(deliveries, key=lambda d: d["status"] is None)
    assert busy["status"] == 503 and busy["error"] is None
    assert refused["status"] is None and "refused" in refused["error"].lower()
    assert len(receiver.calls) == 1  # one attempt each: no retries


def test_deliveries_keep_the_order_of_the_events(api, receiver):
    webhook = add_webhook(api, f"{receiver.url}/ordered", ["user:remove"])
    users = [api.post(f"{app_path(api)}/users", auth=basic(api.key("Acme Support")),
                      json={"externalId": f"u{n}"}).json()["user"] for n in range(8)]
    for user in users:
        api.request("DELETE", f"{app_path(api)}/users/{user['id']}", auth=basic(api.key("Acme Support")))
    deliveries = wait_for_deliveries(api, 8)
    assert [call["body"]["events"][0]["payload"]["user"]["id"] for call in receiver.calls] == [u["id"] for u in users]
    assert [d["body"]["events"][0]["payload"]["user"]["id"] for d in deliveries] == [u["id"] for u in users]
    assert {d["webhookId"] for d in deliveries} == {webhook["id"]}


def test_reset_and_delete_clear_the_deliveries(api, receiver):
    add_webhook(api, f"{receiver.url}/x", ["user:remove"])
    api.request("DELETE", f"{app_path(api)}/users/alice", auth=basic(api.key("Acme Support")))
    assert len(wait_for_deliveries(api, 1)) == 1
    cleared = requests.delete(f"{api.url}/_mocksmooch/webhooks/deliveries", timeout=10)
    assert cleared.status_code == 200 and cleared.json() == {"deliveries": [], "pending": 0}
    assert wait_for_deliveries(api, 0) == []

    api.request("DELETE", f"{app_path(api)}/users/bob", auth=basic(api.key("Acme Support")))
    assert len(wait_for_deliveries(api, 1)) == 1
    requests.post(f"{api.url}/_mocksmooch/reset", timeout=10)
    assert requests.get(f"{api.url}/_mocksmooch/webhooks/deliveries", timeout=10).json() == {
        "deliveries": [], "pending": 0}
    # the reset also removed the webhook: nothing is delivered any more
    api.request("DELETE", f"{app_path(api)}/users/alice", auth=basic(api.key("Acme Support")))
    time.sleep(0.2)
    assert wait_for_deliveries(api, 0) == []


def test_a_deleted_webhook_gets_nothing(api, receiver):
    webhook = add_webhook(api, f"{receiver.url}/gone", ["user:remove"])
    api.request("DELETE", f"{app_path(api)}/integrations/{BOT}/webhooks/{webhook['id']}",
                auth=basic(api.key("Acme Support")))
    api.request("DELETE", f"{app_path(api)}/users/alice", auth=basic(api.key("Acme Support")))
    time.sleep(0.2)
    assert wait_for_deliveries(api, 0) == [] and receiver.calls == []


def test_a_posted_message_is_delivered(api, receiver):
    webhook = add_webhook(api, f"{receiver.url}/messages", ["conversation:message"])
    auth = basic(api.key("Acme Support"))
    alice = api.user("Acme Support", "alice")
    conversation = api.post(f"{app_path(api)}/conversations", auth=auth, json={
        "type": "personal", "participants": [{"userId": alice["id"]}]}).json()["conversation"]
    message = api.post(f"{app_path(api)}/conversations/{conversation['id']}/messages", auth=auth, json={
        "author": {"type": "business"}, "content": {"type": "text", "text": "hello"}})
    assert message.status_code == 201
    # the seeded bot's webhook (nothing listens at its target) gets the event too
    [delivery] = [d for d in wait_for_deliveries(api, 2) if d["webhookId"] == webhook["id"]]
    assert delivery["webhookId"] == webhook["id"] and delivery["status"] == 200
    [event] = delivery["body"]["events"]
    assert event["payload"]["conversation"]["id"] == conversation["id"]
    assert event["payload"]["message"]["id"] == message.json()["messages"][0]["id"]
    assert event["payload"]["message"]["content"] == {"type": "text", "text": "hello"}


# --- Webhooks.emit, in process ----------------------------------------------------------------

@pytest.fixture
def local():
    """An in-process mock (no server) and a helper creating webhooks on it through Flask."""
    app = create_app()
    mock = app.extensions["mocksmooch"]
    client = app.test_client()
    key = mock.store.get("key", "app_6fdbf66a0f28ff7c6efa95b7")
    headers = {"Authorization": basic(key)}
    app_id = "0f377dc9e9a0a0215d2274f9"

    def webhook(target: str, triggers: list[str], **options) -> dict:
        response = client.post(f"/v2/apps/{app_id}/integrations/{BOT}/webhooks", headers=headers,
                               json={"target": target, "triggers": triggers, **options})
        assert response.status_code == 201, response.json
        return response.json["webhook"]

    mock.webhook = webhook
    mock.app_id = app_id
    return mock


def settled(webhooks: Webhooks, count: int, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(webhooks.deliveries()) < count or webhooks.pending():
        assert time.monotonic() < deadline, webhooks.deliveries()
        time.sleep(0.01)
    return webhooks.deliveries()


FULL_USER = {"id": "u1", "externalId": "alice", "authenticated": True, "signedUpAt": "2026-01-01T00:00:00.000Z",
             "profile": {"givenName": "Alice"}, "metadata": {}, "identities": []}
SOURCE = {"type": "web", "integrationId": "b045109606a2a042e04d66a0",
          "client": {"id": "c1", "type": "web"}, "device": {"id": "d1", "type": "browser"}}
MESSAGE_PAYLOAD = {
    "conversation": {"id": "c" * 24, "type": "personal"},
    "message": {"id": "m" * 24, "received": "2026-01-01T00:00:00.000Z",
                "author": {"type": "user", "userId": "u1", "user": FULL_USER},
                "content": {"type": "text", "text": "hi"}, "source": SOURCE},
}


def test_include_full_user_and_source_are_honoured(local, receiver):
    local.webhook(f"{receiver.url}/trimmed", ["conversation:message"])
    local.webhook(f"{receiver.url}/full", ["conversation:message"], includeFullUser=True, includeFullSource=True)
    local.webhooks.emit(local.app_id, "conversation:message", MESSAGE_PAYLOAD)
    settled(local.webhooks, 2)
    bodies = {call["path"]: call["body"]["events"][0]["payload"] for call in receiver.calls}
    assert bodies["/full"] == MESSAGE_PAYLOAD
    trimmed = bodies["/trimmed"]["message"]
    assert trimmed["author"]["user"] == {"id": "u1", "externalId": "alice", "authenticated": True}
    assert trimmed["source"] == {"type": "web", "integrationId": "b045109606a2a042e04d66a0"}
    assert trimmed["content"] == {"type": "text", "text": "hi"}
    assert MESSAGE_PAYLOAD["message"]["source"]["client"] == {"id": "c1", "type": "web"}  # the caller's dict is untouched


def test_emit_is_a_no_op_without_app_or_subscriber(local, receiver):
    local.webhook(f"{receiver.url}/x", ["conversation:read"])
    local.webhooks.emit("0" * 24, "conversation:read", {})
    local.webhooks.emit(local.app_id, "conversation:typing", {})
    local.webhooks.emit(local.app_id, "*", {})
    assert local.webhooks.pending() == 0 and local.webhooks.deliveries() == []
    local.webhooks.emit(local.app_id, "conversation:read", {"conversation": {"id": "c"}}, source_integration_id=BOT)
    [delivery] = settled(local.webhooks, 1)
    assert delivery["sourceIntegrationId"] == BOT and delivery["trigger"] == "conversation:read"


def test_a_slow_target_times_out(local, receiver):
    receiver.delay = 1.0
    webhooks = Webhooks(local.store, local.clock, timeout=0.2)
    local.webhook(f"{receiver.url}/slow", ["user:update"])
    started = time.monotonic()
    webhooks.emit(local.app_id, "user:update", {"user": {"id": "u1"}})
    assert time.monotonic() - started < 0.2  # emit does not wait for the network
    [delivery] = settled(webhooks, 1)
    assert delivery["status"] is None and "timed out" in delivery["error"]


def test_the_log_is_bounded(local, receiver):
    webhooks = Webhooks(local.store, local.clock, deliveries_kept=3)
    local.webhook(f"{receiver.url}/x", ["user:update"])
    for n in range(5):
        webhooks.emit(local.app_id, "user:update", {"user": {"id": f"u{n}"}})
    deliveries = settled(webhooks, 3)
    while len(receiver.calls) < 5:
        time.sleep(0.01)
    assert [d["id"] for d in deliveries] == [3, 4, 5]
    assert [d["body"]["events"][0]["payload"]["user"]["id"] for d in deliveries] == ["u2", "u3", "u4"]


def test_emit_during_resets_is_safe(local, receiver):
    local.webhook(f"{receiver.url}/x", ["user:update"])
    failures: list[BaseException] = []

    def emit_many():
        try:
            for n in range(200):
                local.webhooks.emit(local.app_id, "user:update", {"user": {"id": f"u{n}"}})
        except BaseException as error:  # emit must never raise
            failures.append(error)

    threads = [threading.Thread(target=emit_many) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(5):
        local.reset()
    for thread in threads:
        thread.join()
    local.reset()
    deadline = time.monotonic() + 10
    while local.webhooks.pending():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert failures == [] and local.webhooks.deliveries() == []
    # after the reset the webhook is gone: new events go nowhere
    local.webhooks.emit(local.app_id, "user:update", {"user": {"id": "late"}})
    assert local.webhooks.pending() == 0
