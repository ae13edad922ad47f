"""The pytest plugin, used as a user's test suite uses it: pytest runs in a subprocess
(pytester) on test files written here, with the plugin loaded from its entry point."""
from __future__ import annotations

import json
import pytest
import requests

from test_cli import Served


@pytest.fixture(autouse=True)
def _not_an_xdist_worker(monkeypatch):
    """When this suite itself runs under -n, the inner pytest must not think it is a worker."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)


def test_fixture_gives_url_seed_lookups_tokens_clock_and_journal(pytester):
    pytester.makepyfile(test_recipe="""
        import requests

        def test_handle(mocksmooch):
            support = mocksmooch.apps["Acme Support"]
            assert mocksmooch.apps[support["id"]] == support
            assert mocksmooch.users["alice"]["externalId"] == "alice"
            assert mocksmooch.user("carol", app="Acme Sales")["externalId"] == "carol"
            key = mocksmooch.keys["Acme Support"]
            assert key["id"].startswith("app_") and key["scope"] == "app"
            assert mocksmooch.keys[key["id"]] == key
            assert mocksmooch.keys["provisioner"]["owner"] == "serviceAccount"

            token = mocksmooch.token("Acme Support", expires_in=60)
            url = f"{mocksmooch.url}/v2/apps/{support['id']}/users/alice"
            assert requests.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
            mocksmooch.clock.advance(61)
            assert requests.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
            mocksmooch.requests.assert_called("GET", "/v2/apps/*/users/alice", status=401, outcome="rejected")
            mocksmooch.requests.assert_called("GET", "/v2/apps/*/users/alice", times=2)

            user_token = mocksmooch.token(key, scope="appUser", user="alice")
            assert requests.get(f"{mocksmooch.url}/v1.1/appusers/alice",
                                headers={"Authorization": f"Bearer {user_token}"}).status_code == 200

        def test_clock_freeze_and_set(mocksmooch):
            frozen = mocksmooch.clock.freeze()
            assert mocksmooch.clock.frozen and mocksmooch.clock.now == frozen
            assert mocksmooch.clock.set("2031-01-01T00:00:00Z").year == 2031
            mocksmooch.clock.unfreeze()
            assert not mocksmooch.clock.frozen
    """)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2)


def test_state_is_reset_between_tests(pytester):
    pytester.makepyfile(test_reset="""
        import requests

        def create(mocksmooch):
            key = mocksmooch.keys["Acme"]
            return requests.post(f"{mocksmooch.url}/v2/apps", auth=(key["id"], key["secret"]),
                                 json={"displayName": "Scratch"})

        def names(mocksmooch):
            key = mocksmooch.keys["Acme"]
            apps = requests.get(f"{mocksmooch.url}/v2/apps", auth=(key["id"], key["secret"])).json()["apps"]
            return [app["displayName"] for app in apps]

        def test_one(mocksmooch):
            assert create(mocksmooch).status_code == 201
            mocksmooch.clock.advance(86400 * 365)
            assert "Scratch" in names(mocksmooch)

        def test_two(mocksmooch):
            assert names(mocksmooch) == ["Acme Support", "Acme Sales"]
            assert mocksmooch.clock.now.year < 2100 and len(mocksmooch.requests) == 1

        def test_three_reset_by_hand(mocksmooch):
            create(mocksmooch)
            mocksmooch.reset()
            assert names(mocksmooch) == ["Acme Support", "Acme Sales"]
    """)
    run(pytester, "-p", "no:randomly").assert_outcomes(passed=3)


def test_assert_called_lists_the_closest_requests(pytester):
    pytester.makepyfile(test_journal="""
        import requests

        def test_wrong_expectation(mocksmooch):
            app = mocksmooch.apps["Acme Support"]["id"]
            requests.get(f"{mocksmooch.url}/v2/apps/{app}/users/alice")
            requests.get(f"{mocksmooch.url}/v2/apps/{app}")
            mocksmooch.requests.assert_called("GET", "/v2/apps/*/users/bob")
    """)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*expected GET /v2/apps/*/users/bob at least once, found none.*",
        "*Closest of the 2 request(s) made:*",
        "*GET /v2/apps/*/users/alice -> 401 rejected: no Authorization header*",
    ])


def test_seed_from_command_line_ini_and_marker(pytester):
    pytester.makefile(".json", run_seed=json.dumps(
        {"accounts": [{"name": "Run", "keys": [{}], "apps": [{"name": "Run App"}]}]}))
    pytester.makefile(".json", one_test=json.dumps(
        {"accounts": [{"name": "Marked", "keys": [{}], "apps": [{"name": "Marked App"}]}]}))
    pytester.makepyfile(test_seeds="""
        import pytest

        def test_run_seed(mocksmooch):
            assert [a["name"] for a in mocksmooch.seed["accounts"]] == ["Run"]

        @pytest.mark.mocksmooch_fixtures("one_test.json")
        def test_marked(mocksmooch):
            assert [a["name"] for a in mocksmooch.seed["accounts"]] == ["Marked"]
            assert mocksmooch.apps["Marked App"]

        def test_back_to_run_seed(mocksmooch):
            assert [a["name"] for a in mocksmooch.seed["accounts"]] == ["Run"]
    """)
    run(pytester, "--mocksmooch-fixtures", "run_seed.json", "-p", "no:randomly").assert_outcomes(passed=3)
    pytester.makeini("[pytest]\nmocksmooch_fixtures = run_seed.json\n")
    run(pytester, "-p", "no:randomly").assert_outcomes(passed=3)


def test_invalid_seed_is_a_usage_error(pytester):
    pytester.makefile(".json", bad=json.dumps({"accounts": [{"colour": "red"}]}))
    pytester.makepyfile(test_any="def test_any(mocksmooch):\n    pass\n")
    result = run(pytester, "--mocksmooch-fixtures", "bad.json")
    result.stdout.fnmatch_lines(["*invalid fixture file*", "*accounts[[]0[]]*colour*"])
    assert result.ret != 0


def test_each_xdist_worker_has_its_own_server(pytester):
    urls = pytester.mkdir("urls")
    pytester.makepyfile(test_workers=f"""
        import os, pathlib, pytest

        @pytest.mark.parametrize("n", range(8))
        def test_port(mocksmooch, n):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            (pathlib.Path({str(urls)!r}) / f"{{worker}}-{{n}}").write_text(mocksmooch.url)
    """)
    run(pytester, "-n", "2").assert_outcomes(passed=8)
    by_worker = {path.name.split("-")[0]: path.read_text() for path in urls.iterdir()}
    assert set(by_worker) == {"gw0", "gw1"} and len(set(by_worker.values())) == 2


def test_uses_the_server_named_by_mocksmooch_url(pytester, monkeypatch):
    server = Served({})
    try:
        server.wait_healthy()
        monkeypatch.setenv("MOCKSMOOCH_URL", server.url)
        pytester.makepyfile(test_remote=f"""
            import requests

            def test_remote(mocksmooch):
                assert mocksmooch.url == "{server.url}"
                key = mocksmooch.keys["Acme"]
                assert requests.post(f"{{mocksmooch.url}}/v2/apps", auth=(key["id"], key["secret"]),
                                     json={{"displayName": "Remote"}}).status_code == 201

            def test_reset_through_the_control_api(mocksmooch):
                key = mocksmooch.keys["Acme"]
                apps = requests.get(f"{{mocksmooch.url}}/v2/apps", auth=(key["id"], key["secret"])).json()
                assert [a["displayName"] for a in apps["apps"]] == ["Acme Support", "Acme Sales"]
        """)
        run(pytester, "-p", "no:randomly").assert_outcomes(passed=2)
        journal = requests.get(server.url + "/_mocksmooch/requests", timeout=5).json()["requests"]
        assert [entry["path"] for entry in journal] == ["/v2/apps"]  # the second test's call

        xdist = run(pytester, "-n", "2")
        xdist.stdout.fnmatch_lines(["*MOCKSMOOCH_URL names one shared server*"])
        assert xdist.ret != 0
    finally:
        server.stop()


def test_unreachable_mocksmooch_url_is_a_usage_error(pytester, monkeypatch):
    monkeypatch.setenv("MOCKSMOOCH_URL", "http://127.0.0.1:9")
    pytester.makepyfile(test_any="def test_any(mocksmooch):\n    pass\n")
    result = run(pytester)
    result.stdout.fnmatch_lines(["*MOCKSMOOCH_URL=http://127.0.0.1:9 does not answer*"])


def test_plugin_costs_nothing_to_suites_that_do_not_use_it(pytester):
    pytester.makepyfile(test_plain="""
        import sys

        def test_plain():
            assert "flask" not in sys.modules and "mocksmooch.app" not in sys.modules
    """)
    run(pytester).assert_outcomes(passed=1)
