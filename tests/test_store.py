"""The store's read cache: records read by id or alt are kept (as JSON text) until the next
write, so what a reader gets is always what SQLite holds outside any open transaction."""
from __future__ import annotations

import threading

import pytest

from mocksmooch import fixtures
from mocksmooch.store import Conflict, Store

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
    assert seen == []  # waits for the writer: the cache was emptied as the transaction began
    release.set()
    thread.join(5)
    reader.join(5)
    assert seen == ["committed"]


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
