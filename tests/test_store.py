"""The store's read cache: records read by id or alt are kept (as JSON text) until a write
touches them (by id; by alt, any record of the written kind), so what a reader gets is
always what SQLite holds outside any open transaction.

And how it keeps seeds: as their text, with the seeded copies that resets restore in
SQLite's private scratch files, for big seeds as for small ones."""
from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
import sys
import threading

import pytest

from mocksmooch import fixtures
from mocksmooch import store as store_module
from mocksmooch.store import Conflict, Store, fingerprint

SEED = fixtures.load()
APP_ID = "0f377dc9e9a0a0215d2274f9"


@pytest.fixture
def store():
    store = Store(SEED)
    yield store
    store.close()


def _alice(store: Store) -> dict:
    return store.get_by_alt("user", APP_ID, "alice")


def test_readers_get_copies_they_may_change(store):
    alice = _alice(store)
    alice["profile"]["givenName"] = "changed by a caller"
    assert _alice(store)["profile"]["givenName"] != "changed by a caller"


def test_a_write_is_seen_by_the_next_read_by_id_and_by_alt(store):
    alice = _alice(store)
    assert store.get("user", alice["id"])["profile"]["givenName"] == alice["profile"]["givenName"]
    alice["profile"]["givenName"] = "Alicia"
    store.update("user", alice, alt="alice")
    assert store.get("user", alice["id"])["profile"]["givenName"] == "Alicia"
    assert _alice(store)["profile"]["givenName"] == "Alicia"


def test_a_record_read_as_missing_is_found_once_created(store):
    assert store.get("user", "0" * 24) is None
    assert store.get_by_alt("user", APP_ID, "zoe") is None
    store.insert("user", {"id": "0" * 24, "appId": APP_ID, "externalId": "zoe"}, parent=APP_ID, alt="zoe")
    assert store.get("user", "0" * 24)["externalId"] == "zoe"
    assert store.get_by_alt("user", APP_ID, "zoe")["id"] == "0" * 24


def test_a_changed_alt_no_longer_finds_the_record(store):
    alice = _alice(store)
    store.update("user", alice, alt="alice-renamed")
    assert _alice(store) is None
    assert store.get_by_alt("user", APP_ID, "alice-renamed")["id"] == alice["id"]


def test_a_deleted_record_and_what_it_owned_are_gone(store):
    alice = _alice(store)
    assert store.get("app", APP_ID) is not None
    store.delete("app", APP_ID)
    assert store.get("app", APP_ID) is None
    assert store.get("user", alice["id"]) is None


def test_a_rolled_back_transaction_leaves_no_trace_in_later_reads(store):
    alice = _alice(store)
    original = alice["profile"]["givenName"]
    with pytest.raises(Conflict):
        with store.transaction():
            alice["profile"]["givenName"] = "never committed"
            store.update("user", alice, alt="alice")
            assert store.get("user", alice["id"])["profile"]["givenName"] == "never committed"  # its own write
            store.insert("user", {"id": alice["id"]}, parent=APP_ID)  # the same id: Conflict, rollback
    assert store.get("user", alice["id"])["profile"]["givenName"] == original
    assert _alice(store)["profile"]["givenName"] == original


def test_a_reset_is_seen_by_the_next_read(store):
    store.delete("app", APP_ID)
    store.reset()
    assert store.get("app", APP_ID)["id"] == APP_ID
    assert _alice(store) is not None


def test_every_write_and_reset_moves_the_version(store):
    versions = [store.version]
    alice = _alice(store)
    store.update("user", alice, alt="alice")
    versions.append(store.version)
    store.reset()
    versions.append(store.version)
    assert versions == sorted(set(versions))
    _alice(store)  # reads do not
    assert store.version == versions[-1]


def test_other_threads_do_not_see_a_transaction_before_it_commits(store):
    alice = _alice(store)
    inside, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def writer():
        with store.transaction():
            changed = dict(alice, profile={**alice["profile"], "givenName": "committed"})
            store.update("user", changed, alt="alice")
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=writer)
    thread.start()
    assert inside.wait(5)
    reader = threading.Thread(target=lambda: seen.append(store.get("user", alice["id"])["profile"]["givenName"]))
    reader.start()
    reader.join(0.2)
    assert seen == []  # waits for the writer: the write took the record out of the cache
    app_name = store.get("app", APP_ID)["name"]  # a record it did not touch answers at once
    release.set()
    thread.join(5)
    reader.join(5)
    assert seen == ["committed"] and app_name == SEED["accounts"][0]["apps"][0]["name"]


def test_a_write_leaves_other_records_cached_and_right(store):
    """A message posted leaves the key, app and user reads of the next request cached
    (BENCHMARKS.md); what they answer is still what SQLite holds."""
    alice, app = _alice(store), store.get("app", APP_ID)
    store.insert("message", {"id": "m" * 24, "text": "hi"}, parent="c" * 24)
    store.update("app", {**app, "name": "Renamed"})
    assert _alice(store) == alice
    assert store.get("app", APP_ID)["name"] == "Renamed"


def test_a_rolled_back_insert_leaves_a_cached_miss_a_miss(store):
    assert store.get_by_alt("user", APP_ID, "zoe") is None
    with pytest.raises(Conflict):
        with store.transaction():
            store.insert("user", {"id": "0" * 24, "appId": APP_ID}, parent=APP_ID, alt="zoe")
            assert store.get_by_alt("user", APP_ID, "zoe")["id"] == "0" * 24
            store.insert("user", {"id": "0" * 24}, parent=APP_ID)  # Conflict: all rolled back
    assert store.get_by_alt("user", APP_ID, "zoe") is None
    assert store.get("user", "0" * 24) is None


# --- counts, kept by triggers ---------------------------------------------------------------

def test_counts_follow_inserts_and_deletes_cascades_included(store):
    conversation = "c" * 24
    store.insert("conversation", {"id": conversation, "appId": APP_ID}, parent=APP_ID)
    for n in range(3):
        store.insert("message", {"id": f"{n:024d}"}, parent=conversation)
    assert store.count("message", conversation) == 3
    store.delete("message", f"{0:024d}")
    assert store.count("message", conversation) == 2
    store.delete("app", APP_ID)  # the conversation and its messages go with it
    assert store.count("message", conversation) == 0
    store.reset()
    assert store.count("user", APP_ID) == len(SEED["accounts"][0]["apps"][0]["users"])


def test_a_state_file_written_before_counts_were_kept_is_counted_once(tmp_path):
    path = tmp_path / "state.sqlite"
    store = Store(SEED, path=path)
    users = store.count("user", APP_ID)
    store.insert("message", {"id": "m" * 24}, parent="c" * 24)
    store._db.executescript("DROP TRIGGER counts_insert; DROP TRIGGER counts_delete; DROP TABLE counts;")
    store.close()

    reopened = Store(SEED, path=path)
    try:
        assert reopened.count("user", APP_ID) == users > 0
        assert reopened.count("message", "c" * 24) == 1
        reopened.insert("message", {"id": "n" * 24}, parent="c" * 24)
        assert reopened.count("message", "c" * 24) == 2
    finally:
        reopened.close()


# --- seeds kept as text, pristine copies in scratch files ----------------------------------------

KINDS = ("account", "key", "serviceAccount", "app", "integration", "webhook", "user", "client", "device", "oauthClient")


def generated(users: int, name: str = "Big") -> dict:
    """A normalized seed with one app of `users` generated users (and one written-out user
    with a device, so users' records are made both ways)."""
    return fixtures.normalize({"accounts": [{"name": name, "apps": [{
        "integrations": [{"type": "web"}], "users": [{"externalId": "alice", "devices": [{"type": "web"}]}],
        "generate": {"users": users}}]}]})


def records(store: Store) -> dict:
    return {kind: store.children(kind) for kind in KINDS}


def expected_users(seed: dict) -> list[dict]:
    """The user records a seed makes: its users, devices left out, with their app's id added last."""
    return [{**{k: v for k, v in user.items() if k != "devices"}, "appId": app["id"]}
            for account in seed["accounts"] for app in account["apps"] for user in app["users"]]


def scratch_files() -> dict[str, int]:
    """SQLite's temporary files this process holds open (by descriptor): path -> mode."""
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            if "etilqs_" in target:
                found[target] = stat.S_IMODE(os.stat(f"/proc/self/fd/{fd}").st_mode)
        except OSError:
            pass
    return found


@pytest.mark.parametrize("users", [3, 2_000], ids=["small", "spliced"])
def test_the_seed_reads_back_as_given_fields_in_order(users):
    seed = generated(users)
    store = Store(seed)
    try:
        for copy_read in (store.seed, store.base_seed):
            assert json.dumps(copy_read) == json.dumps(seed)  # the same fields in the same order
        store.seed["accounts"].clear()  # a copy: the caller may change it
        assert store.seed == seed
        other = generated(5, "Other")
        store.reset(other)
        assert store.seed == other and store.base_seed == seed
        store.reset()
        assert json.dumps(store.seed) == json.dumps(seed)
    finally:
        store.close()


@pytest.mark.parametrize("users", [3, 2_000], ids=["small", "spliced"])
def test_users_records_are_the_seeds_users_with_their_app(users):
    seed = generated(users)
    store = Store(seed)
    try:
        users_read = store.children("user")
        assert [json.dumps(user) for user in users_read] == [json.dumps(user) for user in expected_users(seed)]
        [device] = store.children("device")
        assert device["userId"] == seed["accounts"][0]["apps"][0]["users"][0]["id"]
        assert store.count("user", seed["accounts"][0]["apps"][0]["id"]) == users + 1
    finally:
        store.close()


def test_a_seed_in_any_shape_is_kept_and_fingerprinted_whole():
    seed = generated(1_500)
    seed["accounts"][0]["apps"][0]["users"] = tuple(seed["accounts"][0]["apps"][0]["users"])  # not a list
    store = Store(seed)
    try:
        assert store.seed == json.loads(json.dumps(seed))
        assert len(store.children("user")) == 1_501
    finally:
        store.close()
    assert fingerprint(generated(1_500)) == fingerprint(generated(1_500)) != fingerprint(generated(1_499))


@pytest.mark.parametrize("change, message", [
    (lambda users: users.append({**users[1]}), "user '{second}' exists already"),
    (lambda users: users.append({**users[0], "id": "c" * 24}), "user 'alice' exists already"),
    (lambda users: users.append({**users[1], "externalId": "bob"}), "user 'bob' exists already"),
    (lambda users: users.insert(5, dict(users[700])), "user '{generated}' exists already"),
], ids=["same id", "same externalId", "same id, another externalId", "a generated user twice"])
def test_a_seed_with_a_record_twice_is_refused_naming_the_first_repeat(change, message):
    """As inserting the records one by one names it, though they are indexed after."""
    seed = generated(1_500)
    users = seed["accounts"][0]["apps"][0]["users"]
    second, generated_id = users[1]["id"], users[700]["id"]
    change(users)
    with pytest.raises(Conflict) as refused:
        Store(seed)
    assert str(refused.value) == message.format(second=second, generated=generated_id)


def test_resets_between_a_big_seed_and_a_small_one_are_whole(store):
    """Readers see all of one seed or all of the other: the big one's copy is in a file."""
    big = generated(5_000)
    small_count, big_count = len(store.children("user")), 5_001
    seen: set[int] = set()
    done = threading.Event()

    def read():
        while not done.is_set():
            seen.add(len(store.children("user")))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for _ in range(4):
            store.reset(big)
            assert store.seed == big
            store.reset()
            assert store.seed == SEED
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert seen == {small_count, big_count}


def test_seeds_whose_copies_were_dropped_are_seeded_again_alike(store):
    first = records(store)
    others = [generated(n, f"Other {n}") for n in range(1, Store.PRISTINE_CACHE + 2)]
    kept = {}
    for other in others:  # more seeds than copies kept: the base seed's copy is dropped
        store.reset(other)
        kept[other["accounts"][0]["name"]] = records(store)
    store.reset()
    assert records(store) == first and store.seed == SEED == store.base_seed
    store.reset(others[0])  # dropped too, made again from the seed given
    assert records(store) == kept[others[0]["accounts"][0]["name"]] and store.seed == others[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_copies_and_seeds_are_in_private_unlinked_files_gone_at_close():
    """They hold key secrets: owner-only, with no name anyone could open, closed with the store."""
    before = scratch_files()
    old_umask = os.umask(0)
    try:
        store = Store(generated(10_000))  # big enough to leave SQLite's cache for its files
    finally:
        os.umask(old_umask)
    try:
        held = {path: mode for path, mode in scratch_files().items() if path not in before}
        assert len(held) >= 2  # the pristine copy and the seed's text
        assert all(path.endswith(" (deleted)") and mode == 0o600 for path, mode in held.items()), held
    finally:
        store.close()
    assert not set(scratch_files()) - set(before)


def test_without_a_writable_scratch_file_copies_and_seeds_stay_in_memory(monkeypatch, caplog):
    """A read-only or full temporary directory (here: a scratch file that fills at once)."""
    def full_scratch_db():
        db = store_module._connect("")
        db.execute("PRAGMA max_page_count = 8")
        return db

    monkeypatch.setattr(store_module, "_scratch_db", full_scratch_db)
    big = generated(2_000)
    store = Store(big)
    try:
        assert store.seed == big and store.children("user") == expected_users(big)
        store.reset(SEED)
        assert store.seed == SEED
        store.reset()
        assert store.seed == big
    finally:
        store.close()
    assert any("SQLite cannot write its temporary file" in record.getMessage() for record in caplog.records)


def test_the_fingerprint_is_the_digest_of_the_compact_seed():
    """What state files store as seedFingerprint (tests/test_persistence.py reads them)."""
    for seed in (SEED, generated(1_200)):
        text = json.dumps(seed, separators=(",", ":"))
        assert fingerprint(seed) == hashlib.sha256(text.encode()).hexdigest()
        assert fingerprint(copy.deepcopy(seed)) == fingerprint(seed)
