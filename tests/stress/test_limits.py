"""Limits: 100,000 users in one app still list and paginate, and a server seeded with them
stays small; the journal is bounded."""
from __future__ import annotations

import base64
import json
import sys

import pytest
import requests

from mocksmooch.pytest_plugin import LiveServer
from test_cli import Served

KEY = ("app_" + "b" * 24, "s3cret-for-the-big-app")
BIG = {"accounts": [{"name": "Big", "apps": [{
    "id": "b" * 24, "name": "Big App", "keys": [{"id": KEY[0], "secret": KEY[1]}],
    "generate": {"users": 100_000}}]}]}
MEGABYTE = 10 ** 6


def test_one_hundred_thousand_users_list_and_paginate(tmp_path):
    seed = tmp_path / "big.json"
    seed.write_text(json.dumps(BIG))
    server = LiveServer({"FIXTURES": str(seed)})
    try:
        users = f"{server.url}/v2/apps/{'b' * 24}/users"
        auth = {"Authorization": "Basic " + base64.b64encode(f"{KEY[0]}:{KEY[1]}".encode()).decode()}
        first = requests.get(users, params={"page[size]": 100}, headers=auth, timeout=60).json()
        assert len(first["users"]) == 100 and first["meta"]["hasMore"] is True
        second = requests.get(users, params={"page[size]": 100, "page[after]": first["meta"]["afterCursor"]},
                              headers=auth, timeout=60).json()
        assert len(second["users"]) == 100 and not {u["id"] for u in first["users"]} & {u["id"] for u in second["users"]}
        back = requests.get(users, params={"page[size]": 100, "page[before]": second["users"][0]["id"]},
                            headers=auth, timeout=60).json()
        assert [u["id"] for u in back["users"]] == [u["id"] for u in first["users"]]
        seeded = requests.get(f"{server.url}/_mocksmooch/fixtures", timeout=60).json()
        ids = [u["id"] for u in seeded["accounts"][0]["apps"][0]["users"]]
        assert len(ids) == 100_000
        last = requests.get(users, params={"page[size]": 100, "page[after]": ids[-51]}, headers=auth, timeout=60).json()
        assert [u["id"] for u in last["users"]] == ids[-50:] and last["meta"]["hasMore"] is False
        one = requests.get(f"{users}/{ids[77_777]}", headers=auth, timeout=60)
        assert one.status_code == 200 and one.json()["user"]["id"] == ids[77_777]
        assert requests.post(f"{server.url}/_mocksmooch/reset", json={}, timeout=60).status_code == 200
        again = requests.get(users, params={"page[size]": 100}, headers=auth, timeout=60).json()
        assert again == first
        assert requests.get(f"{server.url}/_mocksmooch/fixtures", timeout=60).json() == seeded
    finally:
        server.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/status")
def test_a_server_seeded_with_one_hundred_thousand_users_stays_under_200_mb(tmp_path):
    """The seed is kept as text and its pristine copy in a scratch file, not in memory
    (they were 390 MB); measured as BENCHMARKS.md does, after five pages of users."""
    seed = tmp_path / "big.json"
    seed.write_text(json.dumps(BIG))
    server = Served({}, "--fixtures", str(seed))
    try:
        server.wait_healthy()
        after = None
        for _ in range(5):
            page = requests.get(f"{server.url}/v2/apps/{'b' * 24}/users", auth=KEY, timeout=60,
                                params={"page[size]": 100, **({"page[after]": after} if after else {})}).json()
            assert len(page["users"]) == 100
            after = page["meta"]["afterCursor"]
        status = dict(line.split(":", 1) for line in open(f"/proc/{server.process.pid}/status"))
        resident = int(status["VmRSS"].split()[0]) * 1024
    finally:
        server.stop()
    assert resident < 200 * MEGABYTE, f"{resident / MEGABYTE:.0f} MB"


def test_the_journal_keeps_only_the_last_entries():
    server = LiveServer({"JOURNAL_SIZE": 5})
    try:
        for n in range(12):
            requests.get(f"{server.url}/v2/apps/{n}", timeout=10)
        entries = requests.get(f"{server.url}/_mocksmooch/requests", timeout=10).json()["requests"]
        assert [entry["path"] for entry in entries] == [f"/v2/apps/{n}" for n in range(7, 12)]
    finally:
        server.stop()
