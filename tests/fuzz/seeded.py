"""What the fuzz tests share: the error envelope each path must answer in, and the seeded
credentials and ids that take a generated request past the guard and into a route."""
from __future__ import annotations

import base64
import json

import requests

from mocksmooch.api.errors import api_version


def envelope_problem(path: str, status: int, body) -> str | None:
    """Why `body` is not the error envelope of `path`'s API version (None if it is):
    v2 and OAuth {"errors": [{"code", "title"}]}, v1.1 and SDK {"error": {"code",
    "description"}}, control API and the rest {"error": {"code", "message"}}; each text a
    non-empty string, nothing else in the body."""

    def strings(mapping, names) -> bool:
        return isinstance(mapping, dict) and set(mapping) == set(names) and all(
            isinstance(mapping[name], str) and mapping[name] for name in names)

    version = api_version(path)
    if version == "v2":
        ok = isinstance(body, dict) and set(body) == {"errors"} and isinstance(body["errors"], list) \
            and len(body["errors"]) >= 1 and all(strings(error, ("code", "title")) for error in body["errors"])
        expected = '{"errors": [{"code", "title"}]}'
    else:
        names = ("code", "description") if version == "v1" else ("code", "message")
        ok = isinstance(body, dict) and set(body) == {"error"} and strings(body["error"], names)
        expected = '{"error": {"%s", "%s"}}' % names
    return None if ok else f"{status} on {path}: expected {expected}, got {json.dumps(body)[:300]}"


def strict_json(text: str):
    """The body parsed as JSON as JavaScript and the official clients read it: NaN and
    Infinity are not JSON."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def basic(key: dict) -> str:
    return "Basic " + base64.b64encode(f"{key['id']}:{key['secret']}".encode()).decode()


GARBAGE_ID = "5d8cff3cd55b040010928b5b"


class Seeded:
    """The default seed's keys, and ids for path parameters: the app Acme Support, its
    users alice and bob, its custom integration bot with its webhook, the service account
    provisioner; a conversation of alice's (with a message) is made on first use."""

    def __init__(self, mock):
        self.mock = mock
        seed = mock.seed
        acme = next(a for a in seed["accounts"] if a["name"] == "Acme")
        app = next(a for a in acme["apps"] if a["name"] == "Acme Support")
        bot = next(i for i in app["integrations"] if i.get("displayName") == "bot")
        alice = next(u for u in app["users"] if u.get("externalId") == "alice")
        bob = next(u for u in app["users"] if u.get("externalId") == "bob")
        provisioner = acme["serviceAccounts"][0]
        self.app_id, self.alice_id = app["id"], alice["id"]
        self.keys = {"account": acme["keys"][0], "app": app["keys"][0], "integration": bot["keys"][0]}
        self.values = {
            "app_id": [app["id"]], "user_ref": ["alice", alice["id"], "bob"], "app_user_id": [alice["id"]],
            "zendesk_id": [bob["zendeskId"]], "integration_id": [bot["id"]],
            "webhook_id": [bot["webhooks"][0]["id"]],
            "key_id": [app["keys"][0]["id"], bot["keys"][0]["id"], provisioner["keys"][0]["id"]],
            "sa_id": [provisioner["id"]], "device_id": [bob["devices"][0]["id"]],
            "name": ["dashboard.js", "style.css"],
        }
        self._made: dict[str, str] = {}

    def credential(self, security: list[dict]) -> str | None:
        """A credential for an operation's `security` (the OpenAPI document's): alice's user
        JWT on the SDK API, else the app key, the account key or the integration key,
        whichever the route accepts first."""
        schemes = {name: scopes for block in security for name, scopes in block.items()}
        if not schemes:
            return None
        if "user" in schemes.get("bearerAuth", []):
            if "user" not in self._made:
                self._made["user"] = "Bearer " + self.mock.token("Acme Support", "user", user="alice")
            return self._made["user"]
        for scope in ("app", "account", "integration"):
            if scope in schemes.get("basicAuth", []):
                return basic(self.keys[scope])
        return None

    def choices(self, name: str) -> list[str]:
        """Seeded values for the path parameter `name` (none for those it has no record of)."""
        if name == "conversation_id":
            return [self._conversation()]
        if name == "message_id":
            return [self._message()]
        return self.values.get(name, [])

    def _v2(self, path: str, body: dict) -> dict:
        response = requests.post(f"{self.mock.url}/v2/apps/{self.app_id}{path}", json=body, timeout=10,
                                 headers={"Authorization": basic(self.keys["app"])})
        assert response.status_code == 201, response.text
        return response.json()

    def _conversation(self) -> str:
        if "conversation" not in self._made:
            self._made["conversation"] = self._v2("/conversations", {
                "type": "personal", "participants": [{"userId": self.alice_id}]})["conversation"]["id"]
        return self._made["conversation"]

    def _message(self) -> str:
        if "message" not in self._made:
            self._made["message"] = self._v2(f"/conversations/{self._conversation()}/messages", {
                "author": {"type": "business"}, "content": {"type": "text", "text": "hello"}})["messages"][0]["id"]
        return self._made["message"]
