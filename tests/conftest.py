"""Tests talk to a live mocksmooch over real HTTP with real headers, as users' code does.

The server is the pytest plugin's own (mocksmooch.pytest_plugin): one per session, reset
before each test.
"""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass

import pytest
import requests


@dataclass
class Api:
    """A thin HTTP client over the live server, with the seeded names at hand."""

    url: str
    seed: dict

    def request(self, method: str, path: str, *, auth: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if auth is not None:
            headers["Authorization"] = auth
        return requests.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def token(self, key_id: str, scope: str, **claims) -> str:
        admin = os.environ.get("MOCKSMOOCH_ADMIN_TOKEN")
        response = requests.post(f"{self.url}/_mocksmooch/tokens", json={"keyId": key_id, "scope": scope, **claims},
                                 headers={"X-Mocksmooch-Admin-Token": admin} if admin else {}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["jwt"]

    def bearer(self, key_id: str, scope: str, **claims) -> str:
        return "Bearer " + self.token(key_id, scope, **claims)

    # --- the default seed, by name ---
    def account(self, name: str) -> dict:
        return next(a for a in self.seed["accounts"] if a["name"] == name)

    def app(self, name: str) -> dict:
        return next(app for a in self.seed["accounts"] for app in a["apps"] if app["name"] == name)

    def key(self, owner_name: str) -> dict:
        """The first key of the account, service account, app or integration called `owner_name`."""
        for account in self.seed["accounts"]:
            owners = [account, *account["serviceAccounts"], *account["apps"]]
            owners += [i for app in account["apps"] for i in app["integrations"]]
            for owner in owners:
                if owner.get("name", owner.get("displayName")) == owner_name and owner["keys"]:
                    return owner["keys"][0]
        raise KeyError(owner_name)

    def user(self, app_name: str, external_id: str) -> dict:
        return next(u for u in self.app(app_name)["users"] if u.get("externalId") == external_id)

    def service_account(self, name: str) -> dict:
        return next(sa for a in self.seed["accounts"] for sa in a["serviceAccounts"] if sa["name"] == name)


def basic(key: dict | tuple[str, str]) -> str:
    key_id, secret = (key["id"], key["secret"]) if isinstance(key, dict) else key
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()


@pytest.fixture
def api(mocksmooch):
    """The plugin's live server, reset to the default seed, with HTTP helpers."""
    return Api(mocksmooch.url, mocksmooch.seed)


pytest_plugins = ["pytester"]
