"""All state, behind one interface.

Records of every kind live in one SQLite table as JSON bodies, indexed by what the API
looks them up by: kind and id, the owning record (`parent`: the app of a user, the account
of an app), an optional second unique name within the parent (`alt`: a user's externalId)
and creation order (`seq`, for stable listing and cursors).  The database is in memory;
the seeded state is kept as a pristine copy, so a reset is one SQLite backup: atomic and
fast.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

from . import ids
from .auth import Key

_SCHEMA = """
CREATE TABLE records (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    parent TEXT,
    alt    TEXT,
    body   TEXT NOT NULL
);
CREATE UNIQUE INDEX records_id ON records (kind, id);
CREATE UNIQUE INDEX records_alt ON records (kind, parent, alt) WHERE alt IS NOT NULL;
CREATE INDEX records_children ON records (kind, parent, seq);
CREATE INDEX records_parent ON records (parent);
"""


class Conflict(Exception):
    """A record with the same id, or the same alt within its parent, exists already."""


class Store:
    """`base_seed` is what the mock started with and what a plain reset returns to; a reset
    may also load another seed (a test's own fixture file), which stays until the next reset."""

    PRISTINE_CACHE = 4  # seeded databases kept, so switching between a few seeds stays cheap

    def __init__(self, seed: dict):
        self.base_seed = seed
        self.seed = seed
        self._lock = threading.RLock()
        self._depth = 0
        self._pristine: OrderedDict[str, sqlite3.Connection] = OrderedDict()
        self._db = _connect()
        self.reset()

    def reset(self, seed: dict | None = None) -> None:
        """Back to a seed (the base seed by default), atomically: readers see the old state
        or the new, never a mix."""
        seed = self.base_seed if seed is None else seed
        pristine = self._pristine_for(seed)
        with self._lock:
            pristine.backup(self._db)
            self.seed = seed

    def _pristine_for(self, seed: dict) -> sqlite3.Connection:
        fingerprint = hashlib.sha256(json.dumps(seed, sort_keys=True).encode()).hexdigest()
        with self._lock:
            if fingerprint in self._pristine:
                self._pristine.move_to_end(fingerprint)
                return self._pristine[fingerprint]
        pristine = _connect()
        with pristine:
            pristine.executescript(_SCHEMA)
        _load_seed(pristine, seed)
        with self._lock:
            self._pristine[fingerprint] = pristine
            while len(self._pristine) > self.PRISTINE_CACHE:
                self._pristine.popitem(last=False)[1].close()
        return pristine

    def exclusive(self) -> threading.RLock:
        """Hold off every other reader and writer, e.g. while the rest of the mock resets too."""
        return self._lock

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Several writes that land together or not at all; nested calls join the outer one."""
        with self._lock:
            if self._depth:
                yield self
                return
            self._depth += 1
            try:
                with self._db:
                    yield self
            finally:
                self._depth -= 1

    # --- records -----------------------------------------------------------------

    def get(self, kind: str, record_id: str) -> dict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM records WHERE kind = ? AND id = ?", (kind, record_id)).fetchone()
        return json.loads(row[0]) if row else None

    def get_by_alt(self, kind: str, parent: str, alt: str) -> dict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM records WHERE kind = ? AND parent = ? AND alt = ?",
                (kind, parent, alt)).fetchone()
        return json.loads(row[0]) if row else None

    def children(self, kind: str, parent: str | None = None) -> list[dict]:
        """All records of `kind` (under `parent`, if given) in creation order."""
        with self._lock:
            if parent is None:
                rows = self._db.execute(
                    "SELECT body FROM records WHERE kind = ? ORDER BY seq", (kind,)).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT body FROM records WHERE kind = ? AND parent = ? ORDER BY seq",
                    (kind, parent)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self, kind: str, parent: str) -> int:
        """How many records of `kind` `parent` owns, without reading them."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM records WHERE kind = ? AND parent = ?",
                                    (kind, parent)).fetchone()[0]

    def insert(self, kind: str, body: dict, *, parent: str | None = None, alt: str | None = None) -> dict:
        with self.transaction():
            _insert(self._db, kind, body, parent, alt)
        return body

    def update(self, kind: str, body: dict, *, alt: str | None = None) -> dict:
        with self.transaction():
            try:
                self._db.execute("UPDATE records SET body = ?, alt = ? WHERE kind = ? AND id = ?",
                                 (json.dumps(body), alt, kind, body["id"]))
            except sqlite3.IntegrityError:
                raise Conflict(f"{kind} {alt!r} exists already") from None
        return body

    def delete(self, kind: str, record_id: str) -> None:
        """Delete a record and, transitively, every record it owns."""
        with self.transaction():
            self._db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, record_id))
            doomed = [record_id]
            while doomed:
                marks = ",".join("?" * len(doomed))
                children = [row[0] for row in self._db.execute(
                    f"SELECT id FROM records WHERE parent IN ({marks})", doomed)]
                self._db.execute(f"DELETE FROM records WHERE parent IN ({marks})", doomed)
                doomed = children

    # --- what the auth core asks (auth.Directory) ----------------------------------

    def find_key(self, key_id: str) -> Key | None:
        record = self.get("key", key_id)
        if record is None:
            return None
        return Key(id=record["id"], secret=record["secret"], owner=record["owner"],
                   account_id=record["accountId"], app_id=record.get("appId"),
                   service_account_id=record.get("serviceAccountId"),
                   integration_id=record.get("integrationId"))

    def find_app_account(self, app_id: str) -> str | None:
        app = self.get("app", app_id)
        return app["accountId"] if app else None

    def service_account_has_app(self, service_account_id: str, app_id: str) -> bool:
        service_account = self.get("serviceAccount", service_account_id)
        return service_account is not None and app_id in service_account["apps"]

    def service_account_account(self, service_account_id: str) -> str | None:
        service_account = self.get("serviceAccount", service_account_id)
        return service_account["accountId"] if service_account else None

    def user_is(self, app_id: str, user_ref: str, identity: str) -> bool:
        user = self.find_user(app_id, user_ref)
        if user is None:  # no such user (yet): only its own externalId may name it
            return user_ref == identity
        return user.get("externalId") == identity

    # --- apps and grants ------------------------------------------------------------

    def add_app(self, app: dict, *, created_by: str | None = None) -> dict:
        """Store a new app of `app["accountId"]`; a service account that creates an app is
        granted it ("A service account is automatically granted access to any apps it creates")."""
        with self.transaction():
            self.insert("app", app, parent=app["accountId"])
            if created_by is not None:
                service_account = self.get("serviceAccount", created_by)
                service_account["apps"].append(app["id"])
                self.update("serviceAccount", service_account)
        return app

    def apps_of(self, account_id: str, service_account_id: str | None = None) -> list[dict]:
        """The account's apps in creation order; only those granted to the service account, if given."""
        apps = self.children("app", account_id)
        if service_account_id is None:
            return apps
        return [app for app in apps if self.service_account_has_app(service_account_id, app["id"])]

    # --- users, by id or externalId --------------------------------------------------

    def find_user(self, app_id: str, user_ref: str) -> dict | None:
        """The user of `app_id` whose id, or else whose externalId, is `user_ref`."""
        user = self.get("user", user_ref)
        if user is not None and user["appId"] == app_id:
            return user
        return self.get_by_alt("user", app_id, user_ref)


def _connect() -> sqlite3.Connection:
    # One connection shared by the server's threads, serialized by the store's lock.
    return sqlite3.connect(":memory:", check_same_thread=False)


def _insert(db: sqlite3.Connection, kind: str, body: dict, parent: str | None, alt: str | None) -> None:
    try:
        db.execute(
            "INSERT INTO records (kind, id, parent, alt, body) VALUES (?, ?, ?, ?, ?)",
            (kind, body["id"], parent, alt, json.dumps(body)))
    except sqlite3.IntegrityError:
        raise Conflict(f"{kind} {alt or body['id']!r} exists already") from None


def _load_seed(db: sqlite3.Connection, seed: dict) -> None:
    """Turn the normalized seed (see fixtures.load) into records."""
    with db:
        for account in seed["accounts"]:
            account_id = account["id"]
            _insert(db, "account", {"id": account_id, "name": account["name"]}, None, None)
            for key in account["keys"]:
                _insert(db, "key", _key(key, "account", account_id), account_id, None)
            for app in account["apps"]:
                _load_app(db, app, account_id)
            for service_account in account["serviceAccounts"]:
                sa_id = service_account["id"]
                _insert(db, "serviceAccount", {
                    "id": sa_id, "name": service_account["name"], "accountId": account_id,
                    "apps": list(service_account["apps"])}, account_id, None)
                for key in service_account["keys"]:
                    _insert(db, "key", _key(key, "serviceAccount", account_id, serviceAccountId=sa_id),
                            sa_id, None)
        for client in seed.get("oauthClients", []):
            _insert(db, "oauthClient", _oauth_client(client), None, None)


def _load_app(db: sqlite3.Connection, app: dict, account_id: str) -> None:
    app_id = app["id"]
    _insert(db, "app", {"id": app_id, "name": app["name"], "accountId": account_id,
                        "metadata": app.get("metadata"), "settings": app.get("settings", {}),
                        "appToken": ids.app_token(derived_from=app_id)},
            account_id, None)
    for key in app["keys"]:
        _insert(db, "key", _key(key, "app", account_id, appId=app_id), app_id, None)
    for integration in app["integrations"]:
        integration_id = integration["id"]
        _insert(db, "integration", {"id": integration_id, "type": integration["type"],
                                    "displayName": integration["displayName"], "appId": app_id},
                app_id, None)
        for key in integration["keys"]:
            _insert(db, "key", _key(key, "integration", account_id, appId=app_id,
                                    integrationId=integration_id), integration_id, None)
        for webhook in integration.get("webhooks", []):
            _insert(db, "webhook", {**webhook, "appId": app_id, "integrationId": integration_id,
                                    "version": "v2"}, integration_id, None)
    for user in app["users"]:
        devices = user.get("devices", [])
        record = {key: value for key, value in user.items() if key != "devices"}
        _insert(db, "user", {**record, "appId": app_id}, app_id, user.get("externalId"))
        for device in devices:
            _load_device(db, app_id, user, device)


def _load_device(db: sqlite3.Connection, app_id: str, user: dict, device: dict) -> None:
    """A seeded SDK device, with the `sdk` client of the user it belongs to (one per device:
    each SDK install is its own client, as the SDK API creates them)."""
    seen = user["signedUpAt"]
    client = {"id": device["clientId"], "appId": app_id, "userId": user["id"], "type": "sdk",
              "status": "active", "lastSeen": seen, "linkedAt": seen, "platform": device["type"],
              "info": {}, "raw": {}}
    if device.get("integrationId"):
        client["integrationId"] = device["integrationId"]
    _insert(db, "client", client, user["id"], None)
    record = {"id": device["id"], "appId": app_id, "userId": user["id"], "type": device["type"],
              "guid": device["guid"], "clientId": device["clientId"], "status": "active", "lastSeen": seen,
              "info": {}, **{name: device[name] for name in ("integrationId", "pushNotificationToken", "appVersion")
                             if device.get(name)}}
    _insert(db, "device", record, user["id"], None)


def _oauth_client(client: dict) -> dict:
    """A partner's OAuth client: not owned by any account, it may be authorized for any app."""
    return {"id": client["id"], "secret": client["secret"], "name": client["name"],
            "redirectUris": list(client.get("redirectUris", []))}


def _key(key: dict, owner: str, account_id: str, **bound_to: str) -> dict:
    return {"id": key["id"], "secret": key["secret"], "name": key["name"], "owner": owner,
            "accountId": account_id, **bound_to}
