"""State that survives: `mocksmooch serve --state FILE`.

The server keeps its records in a SQLite file, so they outlive a restart and a SIGKILL;
without the option they live in memory and die with the process.  Reset returns to the
seed in one transaction in either mode.  The file is its owner's alone (it holds key
secrets), and a file that is not a usable state file stops the start with a message that
names it.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections import defaultdict

import pytest
import requests

from mocksmooch import fixtures
from mocksmooch.store import StateFileError, Store, fingerprint
from test_cli import Served

SEED = fixtures.load()
ACME = SEED["accounts"][0]
SUPPORT = ACME["apps"][0]
APP_KEY = (SUPPORT["keys"][0]["id"], SUPPORT["keys"][0]["secret"])
ACCOUNT_KEY = (ACME["keys"][0]["id"], ACME["keys"][0]["secret"])
USERS = f"/v2/apps/{SUPPORT['id']}/users"


def integrity(path) -> list[str]:
    """PRAGMA integrity_check through a connection of our own, read-only: the file as any
    SQLite program finds it."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()


def seeded_app_ids() -> list[str]:
    return [app["id"] for app in ACME["apps"]]


def create_user(url: str, external_id: str) -> str:
    response = requests.post(url + USERS, auth=APP_KEY, json={"externalId": external_id}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["user"]["id"]


# --- SIGKILL mid-run ----------------------------------------------------------------------------

class Writer:
    """Threads creating users, apps and messages as fast as the server answers, recording
    each acknowledged one (a 201 read in full) until the server disappears."""

    THREADS = 6
    MESSAGES = 60  # stays within one page of the conversation's messages

    def __init__(self, url: str, conversation_id: str):
        self.url, self.conversation_id = url, conversation_id
        self.acked: dict[str, list[str]] = defaultdict(list)
        self.refused: list[str] = []  # answers other than 201 while the server was alive
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.THREADS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=10)
        assert not any(thread.is_alive() for thread in self._threads)

    def _next(self, worker: int, n: int) -> tuple[str, str, tuple, dict]:
        if worker == 1 and n % 8 == 0:
            return "app", "/v2/apps", ACCOUNT_KEY, {"displayName": f"crash app {n}"}
        if worker == 2 and n % 4 == 0 and len(self.acked["message"]) < self.MESSAGES:
            return ("message", f"/v2/apps/{SUPPORT['id']}/conversations/{self.conversation_id}/messages",
                    APP_KEY, {"author": {"type": "business"}, "content": {"type": "text", "text": f"m{n}"}})
        return "user", USERS, APP_KEY, {"externalId": f"crash-{worker}-{n}"}

    def _run(self, worker: int) -> None:
        session = requests.Session()
        for n in range(1, 1_000_000):
            kind, path, auth, body = self._next(worker, n)
            try:
                response = session.post(self.url + path, auth=auth, json=body, timeout=5)
            except requests.RequestException:
                return  # the server is gone: this one was never acknowledged
            with self._lock:
                if response.status_code != 201:
                    self.refused.append(f"{path} {response.status_code} {response.text[:200]}")
                    return
                created = response.json()
                self.acked[kind].append(created["messages"][0]["id"] if kind == "message" else created[kind]["id"])


def test_every_acknowledged_write_survives_sigkill_and_reset_restores_the_seed(tmp_path):
    state = tmp_path / "state.db"
    server = Served({}, "--state", str(state))
    try:
        server.wait_healthy()
        owner = create_user(server.url, "crash-owner")
        conversation = requests.post(f"{server.url}/v2/apps/{SUPPORT['id']}/conversations", auth=APP_KEY, timeout=5,
                                     json={"type": "personal", "participants": [{"userId": owner}]})
        assert conversation.status_code == 201, conversation.text
        writer = Writer(server.url, conversation.json()["conversation"]["id"])
        writer.start()
        time.sleep(1.0)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        writer.join()
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server.process.communicate(timeout=10)
    assert server.process.returncode == -signal.SIGKILL
    assert writer.refused == []
    assert len(writer.acked["user"]) > 50 and writer.acked["app"] and writer.acked["message"], dict(writer.acked)
    assert integrity(state) == ["ok"]  # as the kill left it, before any recovery by a restart

    again = Served({}, "--state", str(state))
    try:
        again.wait_healthy()
        url = again.url
        with requests.Session() as session:
            for user_id in [owner, *writer.acked["user"]]:
                response = session.get(f"{url}{USERS}/{user_id}", auth=APP_KEY, timeout=5)
                assert response.status_code == 200, (user_id, response.text)
            for app_id in writer.acked["app"]:
                response = session.get(f"{url}/v2/apps/{app_id}", auth=ACCOUNT_KEY, timeout=5)
                assert response.status_code == 200, (app_id, response.text)
        listed = requests.get(f"{url}/v2/apps/{SUPPORT['id']}/conversations/{writer.conversation_id}/messages",
                              auth=APP_KEY, timeout=5)
        assert set(writer.acked["message"]) <= {message["id"] for message in listed.json()["messages"]}
        assert integrity(state) == ["ok"]

        assert requests.post(url + "/_mocksmooch/reset", json={}, timeout=10).status_code == 200
        with requests.Session() as session:
            for user_id in [owner, *writer.acked["user"][:100]]:
                assert session.get(f"{url}{USERS}/{user_id}", auth=APP_KEY, timeout=5).status_code == 404
            for user in SUPPORT["users"]:
                assert session.get(f"{url}{USERS}/{user['id']}", auth=APP_KEY, timeout=5).status_code == 200
        apps = requests.get(url + "/v2/apps", auth=ACCOUNT_KEY, timeout=5).json()["apps"]
        assert [app["id"] for app in apps] == seeded_app_ids()
    finally:
        again.stop()
    assert integrity(state) == ["ok"]


# --- restarts -------------------------------------------------------------------------------------

def test_state_file_keeps_state_across_a_clean_restart(tmp_path):
    state = tmp_path / "state.db"
    first = Served({"MOCKSMOOCH_STATE": str(state)})  # the environment variable, as a container sets it
    try:
        first.wait_healthy()
        user_id = create_user(first.url, "survivor")
        app = requests.post(first.url + "/v2/apps", auth=ACCOUNT_KEY, json={"displayName": "Kept"}, timeout=5)
        assert app.status_code == 201
    finally:
        output = first.stop()
    assert f"state in {state}" in output.splitlines()[0]
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600

    second = Served({}, "--state", str(state))
    try:
        second.wait_healthy()
        user = requests.get(f"{second.url}{USERS}/{user_id}", auth=APP_KEY, timeout=5)
        assert user.status_code == 200 and user.json()["user"]["externalId"] == "survivor"
        apps = requests.get(second.url + "/v2/apps", auth=ACCOUNT_KEY, timeout=5).json()["apps"]
        assert [a["id"] for a in apps] == [*seeded_app_ids(), app.json()["app"]["id"]]
        assert requests.get(second.url + "/_mocksmooch/fixtures", timeout=5).json() == SEED
    finally:
        output = second.stop()
    assert "another seed" not in output


def test_without_a_state_file_a_restart_forgets():
    first = Served({})
    try:
        first.wait_healthy()
        user_id = create_user(first.url, "forgotten")
    finally:
        output = first.stop()
    assert "state in memory" in output.splitlines()[0]
    second = Served({})
    try:
        second.wait_healthy()
        assert requests.get(f"{second.url}{USERS}/{user_id}", auth=APP_KEY, timeout=5).status_code == 404
    finally:
        second.stop()


def other_seed() -> dict:
    return fixtures.normalize({"accounts": [{"name": "Solo", "keys": [{"id": "act_" + "a" * 24, "secret": "s3cret"}],
                                             "apps": [{"name": "Only", "users": [{"externalId": "x"}]}]}]}, "other")


def test_restart_with_other_fixtures_keeps_the_state_and_says_so(tmp_path, caplog):
    state = tmp_path / "state.db"
    solo = other_seed()
    store = Store(solo, state)
    store.insert("user", {"id": "u" * 24, "appId": "kept"}, parent="kept")
    store.close()

    store = Store(SEED, state)  # started again, now with the default fixtures
    try:
        assert store.get("user", "u" * 24) is not None
        assert store.seed == solo  # what GET /_mocksmooch/fixtures shows: what the records grew from
        assert store.base_seed == SEED
        note = [r.getMessage() for r in caplog.records if r.name == "mocksmooch.store"]
        assert len(note) == 1 and str(state) in note[0] and "another seed" in note[0]
        assert fingerprint(solo)[:12] in note[0] and fingerprint(SEED)[:12] in note[0]
        store.reset()  # to this start's seed
        assert store.get("user", "u" * 24) is None and store.seed == SEED
        assert [app["id"] for app in store.children("app", ACME["id"])] == seeded_app_ids()
    finally:
        store.close()
    caplog.clear()
    Store(SEED, state).close()
    assert not [r for r in caplog.records if r.name == "mocksmooch.store"]


def old_fingerprint(seed: dict) -> str:
    """The fingerprint of state files written before it hashed the seed's compact text."""
    return hashlib.sha256(json.dumps(seed, sort_keys=True).encode()).hexdigest()


def test_a_state_file_from_before_the_compact_seed_text_is_the_same_seed(tmp_path, caplog):
    state = tmp_path / "state.db"
    Store(SEED, state).close()
    db = sqlite3.connect(state)
    with db:  # as the previous version wrote its meta table
        db.execute("UPDATE meta SET value = ? WHERE name = 'seedFingerprint'", (old_fingerprint(SEED),))
        db.execute("UPDATE meta SET value = ? WHERE name = 'seed'", (json.dumps(SEED),))
    db.close()
    store = Store(SEED, state)
    try:
        assert store.seed == SEED
        assert not [r for r in caplog.records if r.name == "mocksmooch.store"]
    finally:
        store.close()


def big_seed(users: int = 3_000) -> dict:
    return fixtures.normalize({"accounts": [{"name": "Big", "keys": [{"id": "act_" + "b" * 24, "secret": "s"}],
                                             "apps": [{"id": "b" * 24, "generate": {"users": users}}]}]}, "big")


def test_a_big_seed_survives_a_restart_and_its_reset_is_seeded_from_the_kept_text(tmp_path, caplog):
    state, big = tmp_path / "state.db", big_seed()
    store = Store(big, state)
    try:
        seeded = store.children("user", "b" * 24)
        store.insert("user", {"id": "u" * 24, "appId": "b" * 24}, parent="b" * 24)
    finally:
        store.close()
    db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:  # what the file says it grew from, for the next start and any other reader
        meta = dict(db.execute("SELECT name, value FROM meta"))
    finally:
        db.close()
    assert json.loads(meta["seed"]) == big and meta["seedFingerprint"] == fingerprint(big)

    store = Store(big, state)  # started again: the records kept, no copy seeded yet
    try:
        assert store.get("user", "u" * 24) is not None and store.seed == big
        store.reset()
        assert store.get("user", "u" * 24) is None
        assert store.children("user", "b" * 24) == seeded and store.seed == big == store.base_seed
    finally:
        store.close()
    assert not [r for r in caplog.records if r.name == "mocksmooch.store"]


# --- reset is atomic --------------------------------------------------------------------------------

def bigger_seed() -> dict:
    """The default seed with 200 more users in Acme Support: a reset between the two moves
    many rows, so a half-done one would show."""
    seed = copy.deepcopy(SEED)
    template = seed["accounts"][0]["apps"][0]["users"][0]
    extra = [{**copy.deepcopy(template), "id": f"{n:024x}", "externalId": f"extra-{n}"} for n in range(200)]
    for user in extra:
        user.pop("devices", None)
    seed["accounts"][0]["apps"][0]["users"] += extra
    return seed


def count_users(db: sqlite3.Connection) -> int:
    return db.execute("SELECT COUNT(*) FROM records WHERE kind = 'user'").fetchone()[0]


@pytest.mark.parametrize("mode", ["memory", "file"])
def test_readers_see_the_old_seed_or_the_new_never_a_mix(tmp_path, mode):
    big = bigger_seed()
    store = Store(SEED, None if mode == "memory" else tmp_path / "state.db")
    small_count, big_count = len(store.children("user")), len(store.children("user")) + 200
    seen: set[int] = set()
    outside: set[int] = set()
    done = threading.Event()

    def read_through_the_store():
        while not done.is_set():
            seen.add(len(store.children("user")))

    def read_from_another_connection():  # another process's view of the file: no help from our lock
        db = sqlite3.connect(f"file:{tmp_path / 'state.db'}?mode=ro", uri=True)
        try:
            while not done.is_set():
                outside.add(count_users(db))
        finally:
            db.close()

    readers = [threading.Thread(target=read_through_the_store) for _ in range(2)]
    if mode == "file":
        readers.append(threading.Thread(target=read_from_another_connection))
    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + 0.75
        while time.monotonic() < deadline:
            store.reset(big)
            store.reset()
    finally:
        done.set()
        for reader in readers:
            reader.join()
        store.close()
    assert seen == {small_count, big_count}
    if mode == "file":
        assert outside <= {small_count, big_count} and len(outside) == 2


RESET_FOREVER = """
import json, sys
from mocksmooch.store import Store
small, big = (json.load(open(path)) for path in sys.argv[2:4])
store = Store(small, sys.argv[1])
print("resetting", flush=True)
while True:
    store.reset(big)
    store.reset(small)
"""


def test_a_crash_mid_reset_leaves_the_old_seed_or_the_new(tmp_path):
    state, small, big = tmp_path / "state.db", tmp_path / "small.json", tmp_path / "big.json"
    small.write_text(json.dumps(SEED))
    big.write_text(json.dumps(bigger_seed()))
    process = subprocess.Popen([sys.executable, "-c", RESET_FOREVER, str(state), str(small), str(big)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "resetting"
        time.sleep(0.5)
    finally:
        process.kill()
        process.communicate(timeout=10)
    assert integrity(state) == ["ok"]
    db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        users = count_users(db)
        seeded_from = db.execute("SELECT value FROM meta WHERE name = 'seedFingerprint'").fetchone()[0]
    finally:
        db.close()
    small_users = sum(len(app["users"]) for account in SEED["accounts"] for app in account["apps"])
    expected = {small_users: fingerprint(SEED), small_users + 200: fingerprint(bigger_seed())}
    assert users in expected and seeded_from == expected[users]  # records and meta from the same reset
    Store(SEED, state).close()  # and it opens cleanly


# --- the file itself ----------------------------------------------------------------------------------

def test_state_file_is_private_to_its_owner(tmp_path):
    state = tmp_path / "state.db"
    old_umask = os.umask(0)  # even when the process would let everyone read what it creates
    try:
        store = Store(SEED, state)
        store.insert("user", {"id": "p" * 24, "appId": SUPPORT["id"]}, parent=SUPPORT["id"])
    finally:
        os.umask(old_umask)
    try:
        files = sorted(name for name in os.listdir(tmp_path) if name.startswith("state.db"))
        assert files == ["state.db", "state.db-shm", "state.db-wal"]
        assert {name: stat.S_IMODE(os.stat(tmp_path / name).st_mode) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        store.close()
    os.chmod(state, 0o644)  # made readable by someone else
    Store(SEED, state).close()
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600


def corrupt_state(path) -> None:
    """A real state file with one of its pages overwritten."""
    Store(SEED, path).close()
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xa5" * 4096
    path.write_bytes(bytes(data))


def foreign_database(path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE contacts (name TEXT)")
    db.commit()
    db.close()


@pytest.mark.parametrize("make, says", [
    (lambda path: path.write_bytes(b"not sqlite at all\n" * 300), "not a SQLite database"),
    (corrupt_state, "corrupt"),
    (foreign_database, "not a mocksmooch state file"),
], ids=["garbage", "corrupt", "foreign"])
def test_an_unusable_state_file_stops_the_start_with_a_clear_error(tmp_path, make, says):
    state = tmp_path / "state.db"
    make(state)
    before = state.read_bytes()
    with pytest.raises(StateFileError) as raised:
        Store(SEED, state)
    assert str(raised.value).startswith(f"state file {state}: {says}")
    result = subprocess.run([sys.executable, "-m", "mocksmooch", "serve", "--state", str(state), "--port", "0"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert result.stderr.startswith(f"mocksmooch: state file {state}: {says}"), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert state.read_bytes() == before  # refused, never "repaired" or reseeded
