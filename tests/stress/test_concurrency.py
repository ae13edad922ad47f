"""16 threads for a bounded time, mixing creates, reads, deletes, lists and token-authenticated
calls across two apps of two accounts, on the production server (waitress, `mocksmooch
serve`) and on the pytest plugin's server (Werkzeug, threaded): zero 5xx, every acknowledged
create readable afterwards, list counts that add up, and no request that sees the other
app's data."""
from __future__ import annotations

import base64
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests

from mocksmooch import fixtures
from test_cli import Served

THREADS = 16
SECONDS = 3.0
SEED = fixtures.load()
APPS = {  # app name -> (app id, app key, seeded user count)
    app["name"]: (app["id"], app["keys"][0], len(app["users"]))
    for account in SEED["accounts"] for app in account["apps"] if app["name"] in ("Acme Support", "Globex Help")
}


def basic(key: dict) -> str:
    return "Basic " + base64.b64encode(f"{key['id']}:{key['secret']}".encode()).decode()


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    alive: dict = field(default_factory=dict)     # user id -> app name, for acknowledged creates
    deleted: set = field(default_factory=set)
    leaks: list = field(default_factory=list)

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1


def worker(url: str, tokens: dict, tally: Tally, number: int, deadline: float) -> None:
    rng = random.Random(number)
    session = requests.Session()
    mine: list[tuple[str, str]] = []
    n = 0
    while time.monotonic() < deadline:
        n += 1
        name = rng.choice(sorted(APPS))
        other = next(other for other in APPS if other != name)
        app_id, key, _ = APPS[name]
        auth = basic(key) if rng.random() < 0.5 else f"Bearer {tokens[name]}"
        action = rng.random()
        if action < 0.4 or not mine:
            response = session.post(f"{url}/v2/apps/{app_id}/users", headers={"Authorization": auth},
                                    json={"externalId": f"t{number}-{n}"}, timeout=10)
            tally.count(response.status_code)
            if response.status_code == 201:
                user_id = response.json()["user"]["id"]
                mine.append((name, user_id))
                with tally.lock:
                    tally.alive[user_id] = name
        elif action < 0.6:
            owner, user_id = rng.choice(mine)
            response = session.get(f"{url}/v2/apps/{APPS[owner][0]}/users/{user_id}",
                                   headers={"Authorization": basic(APPS[owner][1])}, timeout=10)
            tally.count(response.status_code)
            if response.status_code != 200:
                with tally.lock:
                    tally.leaks.append(("own user not readable", user_id, response.status_code))
            # the other app's credential must not see it
            foreign = session.get(f"{url}/v2/apps/{APPS[owner][0]}/users/{user_id}",
                                  headers={"Authorization": basic(APPS[other if owner == name else name][1])},
                                  timeout=10)
            tally.count(foreign.status_code)
            if foreign.status_code != 403:
                with tally.lock:
                    tally.leaks.append(("foreign read", user_id, foreign.status_code))
        elif action < 0.75:
            owner, user_id = mine.pop(rng.randrange(len(mine)))
            response = session.delete(f"{url}/v2/apps/{APPS[owner][0]}/users/{user_id}",
                                      headers={"Authorization": basic(APPS[owner][1])}, timeout=10)
            tally.count(response.status_code)
            if response.status_code == 200:
                with tally.lock:
                    tally.deleted.add(user_id)
                    tally.alive.pop(user_id, None)
        else:
            response = session.get(f"{url}/v2/apps/{app_id}/users?page[size]=100", headers={"Authorization": auth},
                                   timeout=10)
            tally.count(response.status_code)
            if response.status_code == 200:
                # users created for the other app must never appear in this app's list
                with tally.lock:
                    theirs = {uid for uid, owner in tally.alive.items() if owner != name}
                listed = {user["id"] for user in response.json()["users"]}
                if listed & theirs:
                    with tally.lock:
                        tally.leaks.append(("foreign user listed", name, sorted(listed & theirs)[:3]))


def hammer(url: str) -> Tally:
    tokens = {}
    for name, (_, key, _) in APPS.items():
        response = requests.post(f"{url}/_mocksmooch/tokens", json={"keyId": key["id"], "scope": "app"}, timeout=10)
        tokens[name] = response.json()["jwt"]
    tally = Tally()
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=worker, args=(url, tokens, tally, n, deadline)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 30)
    return tally


def check(url: str, tally: Tally) -> None:
    assert sum(tally.statuses.values()) > 200, tally.statuses  # it really ran
    assert not [s for s in tally.statuses if s >= 500], tally.statuses
    assert tally.leaks == []
    for user_id, name in list(tally.alive.items()):
        app_id, key, _ = APPS[name]
        response = requests.get(f"{url}/v2/apps/{app_id}/users/{user_id}", headers={"Authorization": basic(key)},
                                timeout=10)
        assert response.status_code == 200, (user_id, response.text)
    for name, (app_id, key, seeded) in APPS.items():
        ids, after = [], None
        while True:
            query = {"page[size]": 100, **({"page[after]": after} if after else {})}
            page = requests.get(f"{url}/v2/apps/{app_id}/users", params=query,
                                headers={"Authorization": basic(key)}, timeout=10).json()
            ids += [user["id"] for user in page["users"]]
            if not page["meta"]["hasMore"]:
                break
            after = page["meta"]["afterCursor"]
        created = [uid for uid, owner in tally.alive.items() if owner == name]
        assert len(ids) == len(set(ids)) == seeded + len(created)
        assert set(created) <= set(ids) and not (set(ids) & tally.deleted)


def test_the_production_server_under_16_threads():
    server = Served({})
    try:
        server.wait_healthy()
        check(server.url, hammer(server.url))
    finally:
        server.stop()


def test_the_plugin_server_under_16_threads(mocksmooch):
    check(mocksmooch.url, hammer(mocksmooch.url))
