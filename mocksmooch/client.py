"""A Python handle on a running mocksmooch, over its control API.

The pytest plugin hands tests one of these; anything else (unittest, a script) can build
one from a URL.  Everything it does is a plain HTTP call to /_mocksmooch/, so it works
the same against a server in this process and against a service container.

    mock = MockSmooch("http://127.0.0.1:8090")
    mock.reset()
    key = mock.keys["Acme Support"]                  # by owner name, or by key id
    jwt = mock.token(key=key, scope="user", user="alice", expires_in=60)
    mock.clock.advance(61)
    mock.requests.assert_called("GET", "/v2/apps/*/users/alice", status=401)
    mock.faults.add(method="POST", path="/v2/apps/*/conversations/*/messages", status=429,
                    retry_after=2, times=1)

A server started with MOCKSMOOCH_ADMIN_TOKEN wants that token on every control call: the
handle sends the one in its own environment (or `admin_token=`).
"""
from __future__ import annotations

import difflib
import fnmatch
import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request, urlopen


class ControlError(Exception):
    """The control API refused a call; `status` and `body` say why."""

    def __init__(self, method: str, path: str, status: int, body: Any):
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        super().__init__(f"{method} {path}: {status} {message or body}")
        self.status = status
        self.body = body


ADMIN_TOKEN_VARIABLE = "MOCKSMOOCH_ADMIN_TOKEN"
ADMIN_TOKEN_HEADER = "X-Mocksmooch-Admin-Token"


class MockSmooch:
    def __init__(self, url: str, *, timeout: float = 10.0, admin_token: str | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.admin_token = admin_token or os.environ.get(ADMIN_TOKEN_VARIABLE) or None
        self.clock = Clock(self)
        self.requests = Requests(self)
        self.faults = Faults(self)
        self._seed: dict | None = None

    # --- control API calls ---------------------------------------------------------------

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        """One control API call; the decoded JSON answer, or ControlError."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.admin_token:
            headers[ADMIN_TOKEN_HEADER] = self.admin_token
        request = Request(f"{self.url}/_mocksmooch{path}", data=data, method=method, headers=headers)
        try:
            with urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except HTTPError as error:
            try:
                answer = json.load(error)
            except ValueError:
                answer = error.reason
            raise ControlError(method, path, error.code, answer) from None

    def health(self) -> bool:
        try:
            return self.call("GET", "/health").get("status") == "ok"
        except (OSError, ControlError):
            return False

    def reset(self, fixtures: dict | None = None) -> None:
        """Back to the server's seed, or to `fixtures` (a fixture file's content) until the
        next reset."""
        self.call("POST", "/reset", None if fixtures is None else {"fixtures": fixtures})
        self._seed = None

    # --- the seed, by name or id ---------------------------------------------------------

    @property
    def seed(self) -> dict:
        """The normalized seed the server holds now (ids and secrets filled in)."""
        if self._seed is None:
            self._seed = self.call("GET", "/fixtures")
        return self._seed

    @property
    def accounts(self) -> Lookup:
        return Lookup("account", [(a, [a["id"], a["name"]]) for a in self.seed["accounts"]])

    @property
    def service_accounts(self) -> Lookup:
        return Lookup("service account", [(sa, [sa["id"], sa["name"]]) for a in self.seed["accounts"]
                                          for sa in a["serviceAccounts"]])

    @property
    def apps(self) -> Lookup:
        return Lookup("app", [(app, [app["id"], app["name"]]) for a in self.seed["accounts"]
                              for app in a["apps"]])

    @property
    def integrations(self) -> Lookup:
        return Lookup("integration", [(i, [i["id"], i["displayName"]]) for a in self.seed["accounts"]
                                      for app in a["apps"] for i in app["integrations"]])

    @property
    def users(self) -> Lookup:
        """Users by id or externalId, across all apps (see `user()` when two apps share one)."""
        return Lookup("user", [(u, [u["id"], u.get("externalId")]) for a in self.seed["accounts"]
                               for app in a["apps"] for u in app["users"]])

    def user(self, ref: str, *, app: str) -> dict:
        """The user `ref` (id or externalId) of the app `app` (name or id)."""
        return Lookup("user", [(u, [u["id"], u.get("externalId")]) for u in self.apps[app]["users"]])[ref]

    @property
    def keys(self) -> Lookup:
        """Keys by key id, or by their owner's name or id (then its first key).  Each key also
        says its `owner` kind (app, account, serviceAccount, integration), `ownerId` and the
        `scope` its owner gives."""
        entries = []
        for account in self.seed["accounts"]:
            entries += _owned_keys(account, "account", account["name"])
            for sa in account["serviceAccounts"]:
                entries += _owned_keys(sa, "serviceAccount", sa["name"])
            for app in account["apps"]:
                entries += _owned_keys(app, "app", app["name"])
                for integration in app["integrations"]:
                    entries += _owned_keys(integration, "integration", integration["displayName"])
        return Lookup("key", entries)

    # --- tokens --------------------------------------------------------------------------

    def token(self, key: str | dict, scope: str | None = None, *, user: str | None = None,
              expires_in: float | timedelta | None = None) -> str:
        """A JWT signed with `key`: a key, a key id, or the name of a seeded key's owner.

        `scope` defaults to the one the key's owner gives (app, account or integration);
        `user` is the `userId` of an appUser token or the `external_id` of a user token.
        """
        if isinstance(key, str):
            key = self.keys[key] if key in self.keys else {"id": key}
        scope = scope or key.get("scope")
        if scope is None:
            raise ValueError(f"key {key['id']!r} is not a seeded key: pass its scope")
        body: dict[str, Any] = {"keyId": key["id"], "scope": scope}
        if user is not None:
            body["userId" if scope == "appUser" else "externalId"] = user
        if expires_in is not None:
            body["expiresIn"] = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        return self.call("POST", "/tokens", body)["jwt"]


# The scope a key's owner gives it with Basic auth, and signs by default.
_OWNER_SCOPE = {"app": "app", "account": "account", "serviceAccount": "account", "integration": "integration"}


def _owned_keys(owner: dict, kind: str, name: str) -> list[tuple[dict, list[str]]]:
    keys = [{**key, "owner": kind, "ownerId": owner["id"], "scope": _OWNER_SCOPE[kind]}
            for key in owner.get("keys", [])]
    return [(key, [key["id"]] + ([name, owner["id"]] if n == 0 else [])) for n, key in enumerate(keys)]


class Lookup:
    """Seeded objects by id or by name; a miss says what there is."""

    def __init__(self, kind: str, entries: list[tuple[dict, list[str | None]]]):
        self.kind = kind
        self._objects = [obj for obj, _ in entries]
        self._by_ref: dict[str, list[dict]] = {}
        for obj, refs in entries:
            for ref in refs:
                if ref is not None:
                    self._by_ref.setdefault(ref, []).append(obj)

    def __getitem__(self, ref: str) -> dict:
        found = self._by_ref.get(ref, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise KeyError(f"{len(found)} seeded {self.kind}s are called {ref!r}; use an id"
                           + (" or user(ref, app=...)" if self.kind == "user" else ""))
        names = sorted({ref for ref in self._by_ref if not _looks_like_id(ref)})
        raise KeyError(f"no seeded {self.kind} {ref!r}; there are: {', '.join(names) or 'none'}")

    def __contains__(self, ref: object) -> bool:
        return len(self._by_ref.get(ref, [])) == 1 if isinstance(ref, str) else False

    def __iter__(self) -> Iterator[dict]:
        return iter(self._objects)

    def __len__(self) -> int:
        return len(self._objects)


def _looks_like_id(ref: str) -> bool:
    tail = ref.split("_", 1)[-1]
    return len(tail) >= 24 and all(c in "0123456789abcdef" for c in tail)


class Clock:
    """The server's clock: tokens expire by it."""

    def __init__(self, mock: MockSmooch):
        self._mock = mock

    def _state(self, answer: dict) -> datetime:
        return datetime.fromisoformat(answer["now"].replace("Z", "+00:00"))

    @property
    def now(self) -> datetime:
        return self._state(self._mock.call("GET", "/clock"))

    @property
    def frozen(self) -> bool:
        return self._mock.call("GET", "/clock")["frozen"]

    def advance(self, seconds: float | timedelta) -> datetime:
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        return self._state(self._mock.call("POST", "/clock", {"advance": seconds}))

    def set(self, moment: datetime | str) -> datetime:
        if isinstance(moment, datetime):
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()
        return self._state(self._mock.call("POST", "/clock", {"set": moment}))

    def freeze(self) -> datetime:
        return self._state(self._mock.call("POST", "/clock", {"freeze": True}))

    def unfreeze(self) -> datetime:
        return self._state(self._mock.call("POST", "/clock", {"freeze": False}))


class Faults:
    """Fault rules: make the API answer errors, slowly, or not at all, to test retry logic.

        rule = mock.faults.add(method="POST", path="/v2/apps/*/conversations/*/messages",
                               status=429, retry_after=2, times=1)
        ...  # your code retries
        assert mock.faults.get(rule)["fired"] == 1

    Rules are dicts as the control API shows them (`id`, `fired`, `remaining`, ...); `get` and
    `delete` take a rule or its id.  Reset clears them.
    """

    def __init__(self, mock: MockSmooch):
        self._mock = mock

    def add(self, method: str = "*", path: str = "*", *, key: str | dict | None = None,
            status: int | None = None, body: Any = None, content_type: str | None = None,
            retry_after: int | None = None, delay: float | timedelta | None = None, drop: bool = False,
            times: int | None = None, probability: float | None = None, seed: int | None = None) -> dict:
        """A rule for requests with `method` ("*": any) to paths matching `path` (a glob, as in
        `requests.find`), optionally only those whose credential names `key` (a key, a key id,
        or a seeded owner's name).  It answers `status` (with `body`, default the API's error
        envelope, and a `Retry-After` header), after `delay` seconds (alone: a slow but normal
        response), or drops the connection; `times` times at most, each time with
        `probability` (from a generator seeded with `seed`, so runs repeat)."""
        rule: dict[str, Any] = {"method": method, "path": path}
        if key is not None:
            if isinstance(key, dict):
                rule["keyId"] = key["id"]
            else:
                rule["keyId"] = self._mock.keys[key]["id"] if key in self._mock.keys else key
        if isinstance(delay, timedelta):
            delay = delay.total_seconds()
        for name, value in (("status", status), ("body", body), ("contentType", content_type),
                            ("retryAfter", retry_after), ("delay", delay), ("times", times),
                            ("probability", probability), ("seed", seed)):
            if value is not None:
                rule[name] = value
        if drop:
            rule["drop"] = True
        return self._mock.call("POST", "/faults", rule)["fault"]

    def all(self) -> list[dict]:
        return self._mock.call("GET", "/faults")["faults"]

    def __iter__(self) -> Iterator[dict]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self.all())

    def get(self, rule: str | dict) -> dict:
        return self._mock.call("GET", f"/faults/{_rule_id(rule)}")["fault"]

    def delete(self, rule: str | dict) -> dict:
        """Remove a rule; its last state (how often it fired)."""
        return self._mock.call("DELETE", f"/faults/{_rule_id(rule)}")["fault"]

    def clear(self) -> None:
        self._mock.call("DELETE", "/faults")


def _rule_id(rule: str | dict) -> str:
    return quote(rule["id"] if isinstance(rule, dict) else str(rule), safe="")


class Requests:
    """The server's request journal (the control API's own calls are not in it)."""

    def __init__(self, mock: MockSmooch):
        self._mock = mock

    def all(self) -> list[dict]:
        return self._mock.call("GET", "/requests")["requests"]

    def __iter__(self) -> Iterator[dict]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self.all())

    def clear(self) -> None:
        self._mock.call("DELETE", "/requests")

    def find(self, method: str, path: str, *, status: int | None = None,
             outcome: str | None = None) -> list[dict]:
        """Requests matching `method` and `path` (a glob: `/v2/apps/*/users`), and `status`
        and auth `outcome` ("allowed", "rejected", "none") when given."""
        return [entry for entry in self.all() if _matches(entry, method, path, status, outcome)]

    def assert_called(self, method: str, path: str, *, status: int | None = None,
                      outcome: str | None = None, times: int | None = None) -> list[dict]:
        """Assert such requests were made (`times` of them, if given); on failure, list the
        closest requests that were made."""
        entries = self.all()
        found = [entry for entry in entries if _matches(entry, method, path, status, outcome)]
        if (times is None and found) or (times is not None and len(found) == times):
            return found
        wanted = _describe_wanted(method, path, status, outcome)
        count = f"{times} time(s), found {len(found)}" if times is not None else "at least once, found none"
        raise AssertionError(f"expected {wanted} {count}.\n{_closest(entries, method, path)}")

    def assert_not_called(self, method: str, path: str, *, status: int | None = None,
                          outcome: str | None = None) -> None:
        found = self.find(method, path, status=status, outcome=outcome)
        if found:
            lines = "\n".join(f"  {_describe(entry)}" for entry in found)
            raise AssertionError(f"expected no {_describe_wanted(method, path, status, outcome)}, "
                                 f"found {len(found)}:\n{lines}")


def _matches(entry: dict, method: str, path: str, status: int | None, outcome: str | None) -> bool:
    return (entry["method"] == method.upper() and fnmatch.fnmatchcase(entry["path"], path)
            and (status is None or entry["status"] == status)
            and (outcome is None or entry["auth"]["outcome"] == outcome))


def _describe_wanted(method: str, path: str, status: int | None, outcome: str | None) -> str:
    text = f"{method.upper()} {path}"
    if status is not None:
        text += f" -> {status}"
    if outcome is not None:
        text += f" ({outcome})"
    return text


def _describe(entry: dict) -> str:
    auth = entry["auth"]
    who = ""
    if auth.get("principal"):
        who = f" as {auth['principal']['keyId']} ({auth['principal']['scope']})"
    reason = f": {auth['reason']}" if auth["outcome"] == "rejected" and auth.get("reason") else ""
    return f"{entry['method']} {entry['path']} -> {entry['status']} {auth['outcome']}{who}{reason}"


def _closest(entries: list[dict], method: str, path: str, count: int = 5) -> str:
    if not entries:
        return "No requests were made."
    target = f"{method.upper()} {path}"
    ranked = sorted(entries, key=lambda e: -difflib.SequenceMatcher(None, target, f"{e['method']} {e['path']}")
                    .ratio())
    lines = "\n".join(f"  {_describe(entry)}" for entry in ranked[:count])
    return f"Closest of the {len(entries)} request(s) made:\n{lines}"
