"""All state, behind one interface.

Records of every kind live in one SQLite table as JSON bodies, indexed by what the API
looks them up by: kind and id, the owning record (`parent`: the app of a user, the account
of an app), an optional second unique name within the parent (`alt`: a user's externalId)
and creation order (`seq`, for stable listing and cursors).

The database is in memory by default.  Given a file (`mocksmooch serve --state FILE`), it
lives there instead and survives restarts: WAL journal, every write committed before its
response is sent, so a killed server loses nothing it acknowledged.  Either way the seeded
state is kept as a pristine copy, and a reset is one SQLite backup of it onto the live
database: one transaction, so readers (and a crash) see the old state or the new, never a
mix.  Only the records persist: the journal, the clock and webhook deliveries are the
running process's own.

The pristine copies and the seeds themselves (as JSON text, for `GET /_mocksmooch/fixtures`)
live in SQLite's private temporary files (`_scratch_db`): a small seed stays in SQLite's
cache, a big one goes to disk instead of memory (100,000 users: 60 MB of pristine copy and
30 MB of text, which in memory would more than double what the process needs).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

from . import ids
from .auth import Key

log = logging.getLogger("mocksmooch.store")

# `meta` says what a file is and which seed its records were built from (copied in by each
# reset along with the records, so the two never disagree).  A seed is loaded into the bare
# tables and indexed and counted after (`_load_seed`), so the schema comes in those parts.
_TABLES = """
CREATE TABLE records (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    parent TEXT,
    alt    TEXT,
    body   TEXT NOT NULL
);
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
_INDEXES = """
CREATE UNIQUE INDEX records_id ON records (kind, id);
CREATE UNIQUE INDEX records_alt ON records (kind, parent, alt) WHERE alt IS NOT NULL;
CREATE INDEX records_children ON records (kind, parent, seq);
CREATE INDEX records_parent ON records (parent);
"""
_COUNTS_SCHEMA = """
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
# Records there before the triggers are counted once:
_COUNT_RECORDS = ("INSERT INTO counts (kind, parent, n) SELECT kind, parent, COUNT(*) FROM records "
                  "WHERE parent IS NOT NULL GROUP BY kind, parent;")

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
    """What tells seeds apart (the key of the pristine copies; `seedFingerprint` in a state
    file): the digest of the seed's JSON text, which is made anyway to keep the seed."""
    return _EncodedSeed(seed).fingerprint


# JSON without the blanks json.dumps puts after "," and ":": 3 MB less of 100,000 users in
# every copy.  Whatever reads a seed or a body parses it, so either form will do.
_compact_json = json.JSONEncoder(separators=(",", ":")).encode


# Seed texts are hashed and kept in pieces of this many characters, not encoded or handed
# to SQLite whole: after freeing one 30 MB block, the C allocator puts the next ones in its
# heap, and the live database's pages, allocated meanwhile, keep that heap from shrinking.
_PIECE = 1 << 20


def _fingerprint_of(seed_json: str) -> str:
    digest = hashlib.sha256()
    for start in range(0, len(seed_json), _PIECE):
        digest.update(seed_json[start:start + _PIECE].encode())
    return digest.hexdigest()


class _EncodedSeed:
    """A seed, with its JSON text (what it is kept as, and stored as in a state file's meta
    table: `_compact_json(seed)`) and that text's fingerprint.

    Each app's users are encoded once, on their own (`users_json`, by id() of the app), and
    both the seed's text and the bodies of their records are made of that: encoding 100,000
    users a second time was a fifth of seeding them."""

    def __init__(self, seed: dict, seed_json: str | None = None):
        self.seed = seed
        self.users_json: dict[int, list[str]] = {}
        if seed_json is None:
            self.users_json = _users_json(seed)
            seed_json = _spliced_json(seed, self.users_json)
        self.json = seed_json
        self.fingerprint = _fingerprint_of(seed_json)


# Fewer users than this are encoded with their seed, as a whole: splicing costs more than
# it saves there (a reset to the default seed given as fixtures would take twice as long).
_SPLICED_FROM_USERS = 1_000


def _users_json(seed: dict) -> dict[int, list[str]]:
    """id() of each app -> the JSON of its users; {} for a seed with few users, or not
    shaped as a normalized one (plain dicts and lists down to the users): it is then
    encoded whole."""
    accounts = seed.get("accounts") if type(seed) is dict else None
    if type(accounts) is not list or not all(type(account) is dict and type(account.get("apps")) is list
                                             for account in accounts):
        return {}
    apps = [app for account in accounts for app in account["apps"]]
    if not all(type(app) is dict and type(app.get("users")) is list for app in apps):
        return {}
    if sum(len(app["users"]) for app in apps) < _SPLICED_FROM_USERS:
        return {}
    return {id(app): [_compact_json(user) for user in app["users"]] for app in apps}


def _spliced_json(seed: dict, users_json: dict[int, list[str]]) -> str:
    """`_compact_json(seed)`, to the byte, from its users' JSON: the seed is encoded with a
    unique placeholder string in place of each app's users, and each is replaced by those
    users' JSON (a list is its items' JSON between brackets, joined by commas)."""
    if not users_json:
        return _compact_json(seed)
    marker = os.urandom(16).hex()
    slots: list[list[str]] = []

    def placeholder(app: dict) -> dict:
        slots.append(users_json[id(app)])
        return {**app, "users": f"{marker}{len(slots) - 1}"}

    skeleton = {**seed, "accounts": [{**account, "apps": [placeholder(app) for app in account["apps"]]}
                                     for account in seed["accounts"]]}
    # Split around the placeholders: seed text, slot number, seed text, slot number, ... seed text.
    parts = re.split(f'"{marker}([0-9]+)"', _compact_json(skeleton))
    if len(parts) != 2 * len(slots) + 1:  # a placeholder lost or repeated: not to be trusted
        return _compact_json(seed)
    pieces = [parts[0]]
    for slot, text in zip(parts[1::2], parts[2::2]):
        pieces += ["[", ",".join(slots[int(slot)]), "]", text]
    return "".join(pieces)


class Store:
    """`base_seed` is what the mock started with and what a plain reset returns to; a reset
    may also load another seed (a test's own fixture file), which stays until the next reset.

    `path`: keep the records in that SQLite file.  A missing or empty file is seeded; an
    existing one is kept as it is (raises StateFileError if it cannot be used)."""

    PRISTINE_CACHE = 4  # seeded databases kept, so switching between a few seeds stays cheap

    def __init__(self, seed: dict, path: str | os.PathLike | None = None):
        # The seed is kept as its text (`_SeedShelf`), not as the objects given: those are
        # the caller's to drop.  Hashing that text is the fingerprint, made once for the
        # base seed, which every plain reset returns to.
        base = _EncodedSeed(seed)
        self.base_fingerprint = base.fingerprint
        self.path = None if path is None else os.fspath(path)
        self._lock = threading.RLock()
        self._depth = 0
        self.version = 0  # bumped by every write and reset (auth.Directory.version)
        # Bodies read by id or alt since the last write, as their JSON text (None: no such
        # record).  Requests mostly read the same few records (the caller's key, app and user);
        # a hit costs neither the lock nor SQLite, which lets other threads run meanwhile.
        self._reads: dict[tuple, str | None] = {}
        self._alt_reads: dict[str, set[tuple]] = {}  # kind -> its ("alt", ...) keys in _reads
        self._pristine: OrderedDict[str, sqlite3.Connection] = OrderedDict()
        # The fingerprint of the seed the records grew from; None for a state file's records
        # kept from an earlier start, whose seed is in the file's meta table.
        self._seed_fingerprint: str | None = None
        self._seeds = _SeedShelf()
        self._db: sqlite3.Connection | None = None
        try:
            self._seeds.put(base.fingerprint, base.json)
            if self.path is None:
                self._db = _connect(":memory:")
                self._reset_to(base.fingerprint, base)
            else:
                self._db = _open_state_file(self.path)
                self._open_state(base)
        except BaseException:
            self.close()
            raise

    def _open_state(self, base: _EncodedSeed) -> None:
        try:
            self._adopt_state_file(base)
            _make_private(self.path)
        except sqlite3.DatabaseError as error:
            raise _state_file_error(self.path, error) from None

    @property
    def seed(self) -> dict:
        """The seed the records grew from (what `GET /_mocksmooch/fixtures` shows), a fresh
        copy parsed from its text at each call."""
        with self._lock:
            if self._seed_fingerprint is None:
                text = self._db.execute("SELECT value FROM meta WHERE name = 'seed'").fetchone()[0]
            else:
                text = self._seeds.text(self._seed_fingerprint)
        return json.loads(text)

    @property
    def base_seed(self) -> dict:
        with self._lock:
            return json.loads(self._seeds.text(self.base_fingerprint))

    def _adopt_state_file(self, base: _EncodedSeed) -> None:
        """Seed a new file; keep an existing one's records, and the seed they came from
        (what `GET /_mocksmooch/fixtures` shows) until the next reset."""
        if not _tables(self._db):
            self._reset_to(base.fingerprint, base)
            return
        meta = dict(self._db.execute("SELECT name, value FROM meta"))
        if meta.get("version") != STATE_VERSION:
            raise StateFileError(f"state file {self.path}: written in state format {meta.get('version')!r}, "
                                 f"this mocksmooch reads {STATE_VERSION!r} (remove it to start over)")
        try:
            # parsed again whenever asked for (Store.seed); checked now, as the start is
            seeded_with, seeded_from = json.loads(meta["seed"]), meta["seedFingerprint"]
        except (KeyError, ValueError):
            raise StateFileError(f"state file {self.path}: corrupt (its meta table lacks the seed); "
                                 "remove it to start over from the seed") from None
        if "counts" not in _tables(self._db):  # written before counts were kept: count once
            with self._db:
                self._db.executescript("BEGIN;" + _COUNTS_SCHEMA + _COUNT_RECORDS + "COMMIT;")
        # A file written before fingerprints hashed the seed's compact text has another
        # fingerprint for the same seed: the seed itself tells.
        if seeded_from != base.fingerprint and seeded_with != base.seed:
            log.warning("mocksmooch: state file %s kept as it is, though its records grew from another seed "
                        "than this start's fixtures (%s, not %s); POST /_mocksmooch/reset returns to this start's",
                        self.path, seeded_from[:12], self.base_fingerprint[:12])

    def close(self) -> None:
        """Close the databases; the pristine copies and kept seeds go with their files."""
        with self._lock:
            if self._db is not None:
                self._db.close()
            for pristine in self._pristine.values():
                pristine.close()
            self._pristine.clear()
            self._seeds.close()

    def reset(self, seed: dict | None = None) -> None:
        """Back to a seed (the base seed by default), atomically: readers see the old state
        or the new, never a mix.  The backup writes the whole pristine copy in one step, i.e.
        one write transaction on the live database (through the WAL in file mode), so a crash
        mid-reset leaves the old state or the new one too."""
        if seed is None:
            self._reset_to(self.base_fingerprint)
        else:
            encoded = _EncodedSeed(seed)
            self._reset_to(encoded.fingerprint, encoded)

    def _reset_to(self, seed_fingerprint: str, seed: _EncodedSeed | None = None) -> None:
        """Copy the pristine copy of the seed with this fingerprint onto the live database,
        seeding one first if none is kept (from `seed`, or from the kept text of the base
        seed when none is given)."""
        with self._lock:
            pristine = self._pristine_for(seed_fingerprint, seed)
            pristine.backup(self._db, pages=-1)
            self._seed_fingerprint = seed_fingerprint
            self.version += 1
            self._forget_all()

    def _pristine_for(self, seed_fingerprint: str, seed: _EncodedSeed | None) -> sqlite3.Connection:
        if seed_fingerprint in self._pristine:
            self._pristine.move_to_end(seed_fingerprint)
            return self._pristine[seed_fingerprint]
        if seed is None:  # the base seed, whose copy was dropped, or not made yet (a state file kept)
            seed_json = self._seeds.text(seed_fingerprint)
            seed = _EncodedSeed(json.loads(seed_json), seed_json)
        pristine = _pristine(seed, with_seed_json=self.path is not None)
        try:
            self._seeds.put(seed_fingerprint, seed.json)
        except BaseException:
            pristine.close()
            raise
        self._pristine[seed_fingerprint] = pristine
        while len(self._pristine) > self.PRISTINE_CACHE:
            dropped, oldest = self._pristine.popitem(last=False)
            oldest.close()
            if dropped != self.base_fingerprint:  # the base seed's text stays: its copy can be made again
                self._seeds.drop(dropped)
        return pristine

    def exclusive(self) -> threading.RLock:
        """Hold off every other reader and writer, e.g. while the rest of the mock resets too."""
        return self._lock

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Several writes that land together or not at all; nested calls join the outer one.

        Each write takes what it changes out of the read cache as it happens (`_forget`), so
        the cache answers only for records no open transaction has touched; while one is
        open, nothing enters the cache, so a rollback leaves nothing of its writes there."""
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
                self.version += 1

    def _forget(self, kind: str, record_id: str) -> None:
        """Out of the read cache: the record by id, and every record of its kind read by alt
        (its alt may have changed, or its body under the alt it keeps)."""
        self._reads.pop(("id", kind, record_id), None)
        for key in self._alt_reads.pop(kind, ()):
            self._reads.pop(key, None)

    def _forget_all(self) -> None:
        self._reads.clear()
        self._alt_reads.clear()

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
                    if cache_key[0] == "alt":
                        self._alt_reads.setdefault(cache_key[1], set()).add(cache_key)
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
            self._forget(kind, body["id"])  # a miss may be cached for its id or alt
            _insert(self._db, kind, body, parent, alt)
        return body

    def update(self, kind: str, body: dict, *, alt: str | None = None) -> dict:
        with self.transaction():
            self._forget(kind, body["id"])
            try:
                self._db.execute("UPDATE records SET body = ?, alt = ? WHERE kind = ? AND id = ?",
                                 (json.dumps(body), alt, kind, body["id"]))
            except sqlite3.IntegrityError:
                raise Conflict(f"{kind} {alt!r} exists already") from None
        return body

    def delete(self, kind: str, record_id: str) -> None:
        """Delete a record and, transitively, every record it owns."""
        with self.transaction():
            self._forget_all()  # its records of every kind, unknown without reading them
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


def _scratch_db() -> sqlite3.Connection:
    """A database in a private temporary file of SQLite's (`connect("")`): made owner-only
    (0600) in the temporary directory (SQLITE_TMPDIR, TMPDIR, /var/tmp, /tmp) and unlinked
    at once, so no other program can open it, and closing the connection or the end of the
    process, however it ends, leaves nothing behind.  Its pages stay in SQLite's cache
    (2 MB) until that fills: a small seed never touches the disk, a big one uses the disk
    instead of this process's memory.

    Where no such file can be written (a read-only or full file system), writing raises
    sqlite3.OperationalError; callers then do it again in memory (`_no_scratch_file`)."""
    return _connect("")


def _no_scratch_file(error: sqlite3.OperationalError, what: str) -> None:
    log.warning("mocksmooch: %s kept in memory: SQLite cannot write its temporary file (%s); "
                "set SQLITE_TMPDIR or TMPDIR to a writable directory", what, error)


class _SeedShelf:
    """Seeds as their JSON text, by fingerprint, in a scratch database: the objects of
    100,000 generated users take 100 MB, and the text is only read back when someone asks
    for the seed.

    The text is stored in pieces (`_PIECE`): SQLite copies what is bound to a statement and
    keeps the copy while the statement is cached, which for a whole text would be 30 MB."""

    def __init__(self):
        self._db = _scratch_db()
        self._db.execute("PRAGMA journal_mode = MEMORY")  # rolls back without a file of its own
        self._db.execute("CREATE TABLE seeds (fingerprint TEXT, piece INTEGER, json TEXT NOT NULL, "
                         "PRIMARY KEY (fingerprint, piece))")

    def put(self, seed_fingerprint: str, seed_json: str) -> None:
        if self.holds(seed_fingerprint):
            return
        try:
            self._insert(seed_fingerprint, seed_json)
        except sqlite3.OperationalError as error:
            _no_scratch_file(error, "seeds")
            memory = _connect(":memory:")
            self._db.backup(memory)  # what it holds fit in SQLite's cache: nothing reached the file
            self._db.close()
            self._db = memory
            self._insert(seed_fingerprint, seed_json)

    def _insert(self, seed_fingerprint: str, seed_json: str) -> None:
        with self._db:
            self._db.executemany("INSERT INTO seeds VALUES (?, ?, ?)", (
                (seed_fingerprint, n, seed_json[start:start + _PIECE])
                for n, start in enumerate(range(0, max(len(seed_json), 1), _PIECE))))

    def holds(self, seed_fingerprint: str) -> bool:
        return self._db.execute("SELECT 1 FROM seeds WHERE fingerprint = ?", (seed_fingerprint,)).fetchone() is not None

    def text(self, seed_fingerprint: str) -> str:
        return "".join(row[0] for row in self._db.execute(
            "SELECT json FROM seeds WHERE fingerprint = ? ORDER BY piece", (seed_fingerprint,)))

    def drop(self, seed_fingerprint: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM seeds WHERE fingerprint = ?", (seed_fingerprint,))

    def close(self) -> None:
        self._db.close()


def _pristine(seed: _EncodedSeed, *, with_seed_json: bool) -> sqlite3.Connection:
    """A scratch database seeded with `seed`, for resets to copy (in memory if there can be
    no scratch file).  Its meta table holds the seed's text if asked (for a state file, which
    must say what it grew from); in memory it would be 30 MB of 100,000 users copied into the
    live database for nothing."""
    try:
        return _seeded(_scratch_db(), seed, with_seed_json)
    except sqlite3.OperationalError as error:
        _no_scratch_file(error, "the seeded copy that resets restore")
        return _seeded(_connect(":memory:"), seed, with_seed_json)


def _seeded(pristine: sqlite3.Connection, seed: _EncodedSeed, with_seed_json: bool) -> sqlite3.Connection:
    try:
        pristine.execute("PRAGMA journal_mode = OFF")  # never rolled back: a failed one is thrown away
        _load_seed(pristine, seed.seed, seed.users_json)
        # The seed first: SQLite keeps its copy of the last row bound to the cached statement.
        meta = [("format", STATE_FORMAT), ("version", STATE_VERSION), ("seedFingerprint", seed.fingerprint)]
        with pristine:
            pristine.executemany("INSERT INTO meta (name, value) VALUES (?, ?)",
                                 ([("seed", seed.json)] if with_seed_json else []) + meta)
    except BaseException:
        pristine.close()
        raise
    return pristine


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


# A seed's records as rows: (kind, id, parent, alt, body as JSON), in creation order.
_Rows = Iterator[tuple[str, str, str | None, str | None, str]]


def _load_seed(db: sqlite3.Connection, seed: dict, users_json: dict[int, list[str]]) -> None:
    """Turn the normalized seed (see fixtures.load) into records, in an empty database;
    `users_json` (see _EncodedSeed) has the JSON of users, if already made.

    They go into the bare table, which is then indexed and counted: for 100,000 users half
    the time of keeping four indexes and the counts up to date row by row."""
    db.executescript(_TABLES)
    with db:
        db.executemany("INSERT INTO records (kind, id, parent, alt, body) VALUES (?, ?, ?, ?, ?)",
                       _seed_rows(seed, users_json))
    try:
        db.executescript(_INDEXES)
    except sqlite3.IntegrityError:
        raise _first_conflict(db) from None
    db.executescript("BEGIN;" + _COUNTS_SCHEMA + _COUNT_RECORDS + "COMMIT;")


def _first_conflict(db: sqlite3.Connection) -> Conflict:
    """The Conflict that inserting the records one by one would have raised, at the first
    one whose id, or alt within its parent, an earlier one has (a unique index refused them)."""
    ids, alts = set(), set()
    for kind, record_id, parent, alt in db.execute("SELECT kind, id, parent, alt FROM records ORDER BY seq"):
        taken_alt = alt is not None and parent is not None and (kind, parent, alt) in alts
        if (kind, record_id) in ids or taken_alt:
            return Conflict(f"{kind} {alt or record_id!r} exists already")
        ids.add((kind, record_id))
        if alt is not None:
            alts.add((kind, parent, alt))
    return Conflict("a seeded record exists already")


def _row(kind: str, body: dict, parent: str | None, alt: str | None = None) -> tuple:
    return kind, body["id"], parent, alt, _compact_json(body)


def _seed_rows(seed: dict, users_json: dict[int, list[str]]) -> _Rows:
    for account in seed["accounts"]:
        account_id = account["id"]
        yield _row("account", {"id": account_id, "name": account["name"]}, None)
        for key in account["keys"]:
            yield _row("key", _key(key, "account", account_id), account_id)
        for app in account["apps"]:
            yield from _app_rows(app, account_id, users_json.get(id(app)))
        for service_account in account["serviceAccounts"]:
            sa_id = service_account["id"]
            yield _row("serviceAccount", {"id": sa_id, "name": service_account["name"], "accountId": account_id,
                                          "apps": list(service_account["apps"])}, account_id)
            for key in service_account["keys"]:
                yield _row("key", _key(key, "serviceAccount", account_id, serviceAccountId=sa_id), sa_id)
    for client in seed.get("oauthClients", []):
        yield _row("oauthClient", _oauth_client(client), None)


def _app_rows(app: dict, account_id: str, users_json: list[str] | None) -> _Rows:
    app_id = app["id"]
    yield _row("app", {"id": app_id, "name": app["name"], "accountId": account_id,
                       "metadata": app.get("metadata"), "settings": app.get("settings", {}),
                       "appToken": ids.app_token(derived_from=app_id)}, account_id)
    for key in app["keys"]:
        yield _row("key", _key(key, "app", account_id, appId=app_id), app_id)
    for integration in app["integrations"]:
        integration_id = integration["id"]
        yield _row("integration", {"id": integration_id, "type": integration["type"],
                                   "displayName": integration["displayName"], "appId": app_id}, app_id)
        for key in integration["keys"]:
            yield _row("key", _key(key, "integration", account_id, appId=app_id,
                                   integrationId=integration_id), integration_id)
        for webhook in integration.get("webhooks", []):
            yield _row("webhook", {**webhook, "appId": app_id, "integrationId": integration_id,
                                   "version": "v2"}, integration_id)
    with_app_id = ',"appId":' + _compact_json(app_id) + "}"
    for n, user in enumerate(app["users"]):
        if users_json is not None and "devices" not in user and "appId" not in user:
            # the user's JSON with appId added last: _compact_json({**user, "appId": app_id})
            yield "user", user["id"], app_id, user.get("externalId"), users_json[n][:-1] + with_app_id
            continue
        record = {key: value for key, value in user.items() if key != "devices"}
        yield _row("user", {**record, "appId": app_id}, app_id, user.get("externalId"))
        for device in user.get("devices", []):
            yield from _device_rows(app_id, user, device)


def _device_rows(app_id: str, user: dict, device: dict) -> _Rows:
    """A seeded SDK device, with the `sdk` client of the user it belongs to (one per device:
    each SDK install is its own client, as the SDK API creates them)."""
    seen = user["signedUpAt"]
    client = {"id": device["clientId"], "appId": app_id, "userId": user["id"], "type": "sdk",
              "status": "active", "lastSeen": seen, "linkedAt": seen, "platform": device["type"],
              "info": {}, "raw": {}}
    if device.get("integrationId"):
        client["integrationId"] = device["integrationId"]
    yield _row("client", client, user["id"])
    record = {"id": device["id"], "appId": app_id, "userId": user["id"], "type": device["type"],
              "guid": device["guid"], "clientId": device["clientId"], "status": "active", "lastSeen": seen,
              "info": {}, **{name: device[name] for name in ("integrationId", "pushNotificationToken", "appVersion")
                             if device.get(name)}}
    yield _row("device", record, user["id"])


def _oauth_client(client: dict) -> dict:
    """A partner's OAuth client: not owned by any account, it may be authorized for any app."""
    return {"id": client["id"], "secret": client["secret"], "name": client["name"],
            "redirectUris": list(client.get("redirectUris", []))}


def _key(key: dict, owner: str, account_id: str, **bound_to: str) -> dict:
    return {"id": key["id"], "secret": key["secret"], "name": key["name"], "owner": owner,
            "accountId": account_id, **bound_to}
