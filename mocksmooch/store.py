"""All state, behind one interface.

Records of every kind live in one SQLite table as JSON bodies, indexed by what the API
looks them up by: kind and id, the owning record (`parent`: the app of a user, the account
of an app), an optional second unique name within the parent (`alt`: a user's externalId)
and creation order (`seq`, for stable listing and cursors).

The database is in memory by default.  Given a file (`mocksmooch serve --state FILE`), it
lives there instead and survives restarts: WAL journal, every write committed before its
response is sent, so a killed server loses nothing it acknowledged.  Either way the seeded
state is kept as an in-memory pristine copy, and a reset is one SQLite backup of it onto the
live database: one transaction, so readers (and a crash) see the old state or the new,
never a mix.  Only the records persist: the journal, the clock and webhook deliveries are
the running process's own.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

from . import ids
from .auth import Key

log = logging.getLogger("mocksmooch.store")

# `meta` says what a file is and which seed its records were built from (copied in by each
# reset along with the records, so the two never disagree).
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
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
""" + """
CREATE TABLE counts (
    kind   TEXT NOT NULL,
    parent TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (kind, parent)
) WITHOUT ROWID;
CREATE TRIGGER counts_insert AFTER INSERT ON records WHEN NEW.parent IS NOT NULL BEGIN
    INSERT INTO counts (kind, parent, n) VALUES (NEW.kind, NEW.parent, 1)
        ON CONFLICT (kind, parent) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER counts_delete AFTER DELETE ON records WHEN OLD.parent IS NOT NULL BEGIN
    UPDATE counts SET n = n - 1 WHERE kind = OLD.kind AND parent = OLD.parent;
END;
"""
# `counts`, kept by triggers: how many records of a kind a parent owns, without counting
# them (a conversation's messages are counted on every post, against the message limit).
_COUNTS_SCHEMA = _SCHEMA[_SCHEMA.index("CREATE TABLE counts"):]

STATE_FORMAT = "mocksmooch state"
STATE_VERSION = "1"  # bump when records written by an older version cannot be read as they are

# WAL with synchronous=NORMAL: a commit is written to the WAL file (the OS holds it) before
# the response goes out, so it survives the process being killed, SIGKILL included; only a
# power loss or kernel crash could drop the last commits (never corrupt the file).  FULL
# would add an fsync per write for that case, which a test double's state is not worth.
SYNCHRONOUS = "NORMAL"


READ_CACHE_SIZE = 10_000  # records; a full cache stops filling until the next write
_UNREAD = object()


class Conflict(Exception):
    """A record with the same id, or the same alt within its parent, exists already."""


class StateFileError(Exception):
    """A state file that cannot be used (not SQLite, corrupt, another program's, unwritable);
    the message names the file and says why."""


def fingerprint(seed: dict) -> str:
    return hashlib.sha256(json.dumps(seed, sort_keys=True).encode()).hexdigest()


class Store:
    """`base_seed` is what the mock started with and what a plain reset returns to; a reset
    may also load another seed (a test's own fixture file), which stays until the next reset.

    `path`: keep the records in that SQLite file.  A missing or empty file is seeded; an
    existing one is kept as it is (raises StateFileError if it cannot be used)."""

    PRISTINE_CACHE = 4  # seeded databases kept, so switching between a few seeds stays cheap

    def __init__(self, seed: dict, path: str | os.PathLike | None = None):
        self.base_seed = seed
        self.seed = seed
        # Hashing a seed serializes it whole: a third of a reset of 20,000 users.  The base
        # seed, which every plain reset returns to, is hashed once.
        self.base_fingerprint = fingerprint(seed)
        self.path = None if path is None else os.fspath(path)
        self._lock = threading.RLock()
        self._depth = 0
        self.version = 0  # bumped by every write and reset (auth.Directory.version)
        # Bodies read by id or alt since the last write, as their JSON text (None: no such
        # record).  Requests mostly read the same few records (the caller's key, app and user);
        # a hit costs neither the lock nor SQLite, which lets other threads run meanwhile.
        self._reads: dict[tuple, str | None] = {}
        self._pristine: OrderedDict[str, sqlite3.Connection] = OrderedDict()
        if self.path is None:
            self._db = _connect(":memory:")
            self.reset()
            return
        self._db = _open_state_file(self.path)
        try:
            self._adopt_state_file()
            _make_private(self.path)
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise _state_file_error(self.path, error) from None
        except BaseException:
            self._db.close()
            raise

    def _adopt_state_file(self) -> None:
        """Seed a new file; keep an existing one's records, and the seed they came from
        (what `GET /_mocksmooch/fixtures` shows) until the next reset."""
        if not _tables(self._db):
            self.reset()
            return
        meta = dict(self._db.execute("SELECT name, value FROM meta"))
        if meta.get("version") != STATE_VERSION:
            raise StateFileError(f"state file {self.path}: written in state format {meta.get('version')!r}, "
                                 f"this mocksmooch reads {STATE_VERSION!r} (remove it to start over)")
        try:
            self.seed, seeded_from = json.loads(meta["seed"]), meta["seedFingerprint"]
        except (KeyError, ValueError):
            raise StateFileError(f"state file {self.path}: corrupt (its meta table lacks the seed); "
                                 "remove it to start over from the seed") from None
        if "counts" not in _tables(self._db):  # written before counts were kept: count once
            with self._db:
                self._db.executescript("BEGIN;" + _COUNTS_SCHEMA + "INSERT INTO counts (kind, parent, n) "
                                       "SELECT kind, parent, COUNT(*) FROM records WHERE parent IS NOT NULL "
                                       "GROUP BY kind, parent; COMMIT;")
        if seeded_from != self.base_fingerprint:
            log.warning("mocksmooch: state file %s kept as it is, though its records grew from another seed "
                        "than this start's fixtures (%s, not %s); POST /_mocksmooch/reset returns to this start's",
                        self.path, seeded_from[:12], self.base_fingerprint[:12])

    def close(self) -> None:
        with self._lock:
            self._db.close()
            for pristine in self._pristine.values():
                pristine.close()
            self._pristine.clear()

    def reset(self, seed: dict | None = None) -> None:
        """Back to a seed (the base seed by default), atomically: readers see the old state
        or the new, never a mix.  The backup writes the whole pristine copy in one step, i.e.
        one write transaction on the live database (through the WAL in file mode), so a crash
        mid-reset leaves the old state or the new one too."""
        if seed is None:
            seed, seed_fingerprint = self.base_seed, self.base_fingerprint
        else:
            seed_fingerprint = fingerprint(seed)
        pristine = self._pristine_for(seed, seed_fingerprint)
        with self._lock:
            pristine.backup(self._db, pages=-1)
            self.seed = seed
            self.version += 1
            self._reads.clear()

    def _pristine_for(self, seed: dict, seed_fingerprint: str) -> sqlite3.Connection:
        with self._lock:
            if seed_fingerprint in self._pristine:
                self._pristine.move_to_end(seed_fingerprint)
                return self._pristine[seed_fingerprint]
        pristine = _connect(":memory:")
        with pristine:
            pristine.executescript(_SCHEMA)
        _load_seed(pristine, seed)
        with pristine:
            pristine.executemany("INSERT INTO meta (name, value) VALUES (?, ?)", [
                ("format", STATE_FORMAT), ("version", STATE_VERSION),
                ("seedFingerprint", seed_fingerprint), ("seed", json.dumps(seed))])
        with self._lock:
            self._pristine[seed_fingerprint] = pristine
            while len(self._pristine) > self.PRISTINE_CACHE:
                self._pristine.popitem(last=False)[1].close()
        return pristine

    def exclusive(self) -> threading.RLock:
        """Hold off every other reader and writer, e.g. while the rest of the mock resets too."""
        return self._lock

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Several writes that land together or not at all; nested calls join the outer one.

        The read cache is emptied as the transaction starts (so it cannot answer for records
        being written) and as it ends (for what was read meanwhile, which a rollback may undo);
        while it is open, nothing enters the cache."""
        with self._lock:
            if self._depth:
                yield self
                return
            self._depth += 1
            self._reads.clear()
            try:
                with self._db:
                    yield self
            finally:
                self._depth -= 1
                self.version += 1
                self._reads.clear()

    # --- records -----------------------------------------------------------------

    def get(self, kind: str, record_id: str) -> dict | None:
        return self._read(("id", kind, record_id),
                          "SELECT body FROM records WHERE kind = ? AND id = ?", (kind, record_id))

    def get_of_app(self, kind: str, record_id: str, app_id: str) -> dict | None:
        """The record of `kind` with this id if it belongs to app `app_id`: to a caller of
        another app, a record that exists is as missing as one that does not."""
        record = self.get(kind, record_id)
        return record if record is not None and record.get("appId") == app_id else None

    def get_by_alt(self, kind: str, parent: str, alt: str) -> dict | None:
        return self._read(("alt", kind, parent, alt),
                          "SELECT body FROM records WHERE kind = ? AND parent = ? AND alt = ?",
                          (kind, parent, alt))

    def _read(self, cache_key: tuple, query: str, params: tuple) -> dict | None:
        """One record, a fresh copy each time (callers change what they get)."""
        text = self._reads.get(cache_key, _UNREAD)
        if text is _UNREAD:
            with self._lock:
                row = self._db.execute(query, params).fetchone()
                text = row[0] if row else None
                if not self._depth and len(self._reads) < READ_CACHE_SIZE:
                    self._reads[cache_key] = text
        return json.loads(text) if text is not None else None

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

    def page(self, kind: str, parent: str, *, after: str | None = None, before: str | None = None,
             size: int) -> tuple[list[dict], bool, bool]:
        """Up to `size` records of `kind` under `parent`, in creation order, right after or
        right before the record with id `after` / `before` (else the first ones), read by
        the creation-order index without reading the rest: (records, more before, more
        after).  Raises LookupError for a cursor that is not one of those records."""
        query = "SELECT body FROM records WHERE kind = ? AND parent = ?"
        with self._lock:
            cursor = after if after is not None else before
            if cursor is not None:
                row = self._db.execute("SELECT seq FROM records WHERE kind = ? AND parent = ? AND id = ?",
                                       (kind, parent, cursor)).fetchone()
                if row is None:
                    raise LookupError(cursor)
            if before is not None:
                rows = self._db.execute(query + " AND seq < ? ORDER BY seq DESC LIMIT ?",
                                        (kind, parent, row[0], size + 1)).fetchall()
                more_before, more_after, rows = len(rows) > size, True, rows[:size][::-1]
            else:
                rows = self._db.execute(query + " AND seq > ? ORDER BY seq LIMIT ?",
                                        (kind, parent, row[0] if after is not None else 0, size + 1)).fetchall()
                more_before, more_after, rows = after is not None and bool(rows), len(rows) > size, rows[:size]
        return [json.loads(row[0]) for row in rows], more_before, more_after

    def count(self, kind: str, parent: str) -> int:
        """How many records of `kind` `parent` owns, without reading them."""
        with self._lock:
            row = self._db.execute("SELECT n FROM counts WHERE kind = ? AND parent = ?", (kind, parent)).fetchone()
        return row[0] if row else 0

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


def _connect(target: str) -> sqlite3.Connection:
    # One connection shared by the server's threads, serialized by the store's lock.
    return sqlite3.connect(target, check_same_thread=False)


def _open_state_file(path: str) -> sqlite3.Connection:
    """Open (creating it owner-only: it holds key secrets) and check a state file; every way
    it can fail becomes a StateFileError naming the file."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as error:
        raise StateFileError(f"state file {path}: cannot create or open it ({error.strerror or error})") from None
    try:
        db = _connect(path)
    except sqlite3.Error as error:
        raise StateFileError(f"state file {path}: cannot open it ({error})") from None
    try:
        tables = _tables(db)  # the first read: says whether it is SQLite at all
        if tables and not ({"records", "meta"} <= tables and db.execute(
                "SELECT 1 FROM meta WHERE name = 'format' AND value = ?", (STATE_FORMAT,)).fetchone()):
            # checked before anything is written: another program's database is left as it is
            raise StateFileError(f"state file {path}: not a mocksmooch state file (a SQLite database "
                                 "of something else); give another path")
        if db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise StateFileError(f"state file {path}: SQLite cannot use a write-ahead log for it")
        db.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise StateFileError(f"state file {path}: corrupt ({'; '.join(problems[:3])}); "
                                 "remove it to start over from the seed")
    except sqlite3.DatabaseError as error:
        db.close()
        raise _state_file_error(path, error) from None
    except BaseException:
        db.close()
        raise
    return db


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _state_file_error(path: str, error: sqlite3.DatabaseError) -> StateFileError:
    if "not a database" in str(error):
        what = "not a SQLite database"
    elif "malformed" in str(error) or type(error) is sqlite3.DatabaseError:
        what = "corrupt"
    else:  # locked, read-only, I/O error: the file may be sound, but cannot be used as it is
        return StateFileError(f"state file {path}: cannot use it ({error})")
    return StateFileError(f"state file {path}: {what} ({error}); give another path, "
                          "or remove it to start over from the seed")


def _make_private(path: str) -> None:
    """Take group and other access away from a state file that an older start, or someone
    else, made with them, and from its -wal / -shm companions (SQLite gives those the main
    file's mode)."""
    for name in (path, path + "-wal", path + "-shm"):
        try:
            mode = os.stat(name).st_mode
            if mode & 0o077:
                os.chmod(name, mode & 0o700)
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("mocksmooch: cannot make %s private to its owner (%s): it holds key secrets",
                        name, error.strerror or error)


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
