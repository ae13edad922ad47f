"""What every section requests, taken from the seed rather than written down: the first
app that has a key and a user, that key, and that user (by externalId, which the users
route accepts as well as an id)."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from servers import BenchmarkError

MESSAGE = {"author": {"type": "business"}, "content": {"type": "text", "text": "hi"}}
MESSAGE_BODY = json.dumps(MESSAGE, separators=(",", ":"))


@dataclass(frozen=True)
class Target:
    app_id: str
    key_id: str
    secret: str
    user_ref: str
    user_id: str

    @classmethod
    def from_seed(cls, seed: dict) -> "Target":
        """`seed` is the normalized seed (GET /_mocksmooch/fixtures, or store.seed)."""
        for account in seed["accounts"]:
            for app in account["apps"]:
                if app["keys"] and app["users"]:
                    user = app["users"][0]
                    return cls(app["id"], app["keys"][0]["id"], app["keys"][0]["secret"],
                               user.get("externalId") or user["id"], user["id"])
        raise BenchmarkError("the seed has no app with both a key and a user")

    @property
    def user_path(self) -> str:
        return f"/v2/apps/{self.app_id}/users/{self.user_ref}"

    @property
    def conversations_path(self) -> str:
        return f"/v2/apps/{self.app_id}/conversations"

    def messages_path(self, conversation_id: str) -> str:
        return f"/v2/apps/{self.app_id}/conversations/{conversation_id}/messages"

    @property
    def new_conversation(self) -> dict:
        """A personal conversation with the user: where the benchmark's messages go."""
        return {"type": "personal", "participants": [{"userId": self.user_id}]}

    @property
    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.key_id}:{self.secret}".encode()).decode()

    def token_request(self, expires_in: float | None = None) -> dict:
        """The body of POST /_mocksmooch/tokens for an app-scoped JWT of this key."""
        body = {"keyId": self.key_id, "scope": "app"}
        if expires_in is not None:
            body["expiresIn"] = expires_in
        return body
