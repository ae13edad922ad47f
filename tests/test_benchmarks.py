"""The benchmark harness works: benchmarks/run.py --quick runs every section and reports a
figure for each, with every measured request answering its expected status.

Nothing here judges a timing: figures on a shared CI machine mean nothing, and the targets
of issues 7 and 11 are printed by the harness, never failed on.

Prism is left out (--skip-prism); WireMock runs when its jar is cached in benchmarks/.cache
and java is there (nothing is installed: --no-install), else it is skipped with a reason,
and the checks follow whichever happened.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "benchmarks" / "run.py"

WRK_INSTALLABLE = os.geteuid() == 0 and shutil.which("apt-get") is not None
WRK_REASON = "wrk is missing and cannot be installed here (needs root and apt-get); the Python fallback is tested"


def run_quick(tmp_path: Path, *options: str, timeout: float = 120) -> dict:
    """benchmarks/run.py --quick --skip-prism with `options`; its JSON results."""
    results = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(RUN), "--quick", "--skip-prism", "--json", str(results), *options],
                          cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"run.py exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    data = json.loads(results.read_text())
    assert data["status_checks"] == "passed" and "error" not in data
    return data


def positive(value) -> bool:
    return isinstance(value, (int, float)) and value > 0


SCENARIOS = ("JWT GET user", "Basic GET user", "POST message")


def peers_run(data: dict) -> set[str]:
    """The peers a run measured: hello-world always, WireMock unless it said why not."""
    assert data["prism"]["skipped"] == "--skip-prism"
    return {"hello-world"} | (set() if data["wiremock"]["skipped"] else {"wiremock"})


def assert_load(load: dict, tool: str, peers: set[str]) -> None:
    assert load["tool"] == tool
    for scenario in SCENARIOS:
        assert set(load["median"][scenario]) == {"mocksmooch"} | peers
        for figures in load["median"][scenario].values():
            assert all(positive(figures[key]) for key in ("requests_per_s", "p50_ms", "p99_ms", "rss_after_mb"))
        for runs in load["runs"][scenario].values():
            assert all(run["non_2xx"] == 0 and run["tool"] == tool for run in runs)
        assert all(positive(load["ratios"][scenario][f"mocksmooch / {peer}"]) for peer in peers)
    assert positive(load["post_over_jwt_get"])
    if "wiremock" in peers:  # no JWT check: its JWT GET figure is its Basic GET stub's
        assert load["runs"]["JWT GET user"]["wiremock"] == load["runs"]["Basic GET user"]["wiremock"]


def test_quick_run_reports_a_figure_for_every_section(tmp_path):
    # --no-install: the load runs on wrk if this machine has it, else on the Python fallback;
    # WireMock runs if its jar is cached and java is there, else it is skipped with a reason.
    data = run_quick(tmp_path, "--no-install")
    peers = peers_run(data)
    started = {"mocksmooch serve", "container command", *(f"{peer} (peer)" for peer in peers)}

    assert data["machine"]["cpu"] and data["machine"]["cores"] >= 1
    assert "compileall" in data["bytecode"]

    assert {name for name in data["startup"] if name != "ratios"} == started
    for server in started:
        assert positive(data["startup"][server]["median_s"]), server

    plugin = data["plugin"]
    assert positive(plugin["session_setup_s"]) and positive(plugin["first_reset_s"])
    assert positive(plugin["reset_session"]["median_us"]) and positive(plugin["reset_fixture_client"]["median_us"])

    in_process = data["in-process"]
    expected = {"control route (GET health)", "Basic GET user", "JWT GET user, fresh token",
                "JWT GET user, repeated token", "POST message (Basic)"}
    assert set(in_process["requests"]) == expected | {"hello-world GET (peer)"}
    loopback = data["loopback"]
    assert set(loopback["requests"]) == expected | {"hello-world GET (peer)"}
    for figures in [*in_process["requests"].values(), *in_process["auth_work"].values(),
                    *loopback["requests"].values()]:
        assert positive(figures["median_us"]) and positive(figures["p99_us"]) and figures["n"] > 0
    assert set(in_process["auth_work"]) == {"repeated token", "fresh token"}
    assert set(loopback["connections"]) == {"mocksmooch", "hello-world"}
    assert all(seen["connections_opened"] >= 1 for seen in loopback["connections"].values())
    assert isinstance(loopback["kept_alive"], bool) and positive(loopback["jwt_repeated_over_hello_world"])

    assert_load(data["load"], data["load_generator"]["tool"], peers)

    memory = data["memory"]
    assert set(memory["idle_rss_mb"]) == started
    assert all(positive(mb) for mb in memory["idle_rss_mb"].values())
    assert memory["seeded"]["users"] == 2_000
    assert positive(memory["seeded"]["rss_mb"]) and positive(memory["seeded"]["startup_s"])

    targets = {t["target"]: t for t in data["targets"]}
    assert len(targets) == 17 and all(t["result"] in ("met", "missed", "n/a") for t in targets.values())
    assert {t["issue"] for t in targets.values()} == {"7", "11"}
    not_measured = {name for name, t in targets.items() if t["result"] == "n/a"}
    assert not_measured == {name for name in targets if "Prism" in name or "users seeded" in name or
                            ("WireMock" in name and "wiremock" not in peers)}  # quick seeds 2,000 users


@pytest.mark.skipif(shutil.which("wrk") is None and not WRK_INSTALLABLE, reason=WRK_REASON)
def test_load_section_on_wrk(tmp_path):
    """The load generator the harness prefers; installed with apt-get when missing."""
    data = run_quick(tmp_path, "--only", "load", "--load-generator", "wrk", "--skip-wiremock", timeout=600)
    assert_load(data["load"], "wrk", {"hello-world"})


def test_load_section_on_the_python_fallback(tmp_path):
    """What runs where wrk cannot be had."""
    data = run_quick(tmp_path, "--only", "load", "--load-generator", "python", "--no-install", "--skip-wiremock")
    assert_load(data["load"], "python", {"hello-world"})
    assert data["load_generator"]["tool"] == "python"
    assert data["wiremock"]["skipped"] == "--skip-wiremock"


def test_the_wiremock_peer_answers_its_stubs_as_mocksmooch_does(tmp_path, monkeypatch):
    """The comparison is only fair if WireMock's stubs answer what mocksmooch answers: the
    same status, Content-Type and body for the Basic GET, a message of the same shape for
    the POST, and nothing for credentials other than the key's."""
    import requests

    from mocksmooch.pytest_plugin import LiveServer

    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import servers
    import wiremock
    from scenario import MESSAGE_BODY, Target

    peer = wiremock.prepare(skip=False, may_install=False)
    if peer.skipped:
        pytest.skip(f"the WireMock peer is not available here: {peer.skipped}")
    mock = LiveServer({"FIXTURES": None})
    try:
        target = Target.from_seed(mock.app.extensions["mocksmooch"].store.seed)
        basic = {"Authorization": target.basic}
        conversation = requests.post(mock.url + target.conversations_path, json=target.new_conversation,
                                     headers=basic, timeout=30).json()["conversation"]["id"]
        root = wiremock.write_stubs(tmp_path / "wiremock", target)
        with servers.wiremock(tmp_path, peer.java, peer.jar, root, target.user_path, basic) as stub:
            gets = [requests.get(url + target.user_path, headers=basic, timeout=30) for url in (mock.url, stub.url)]
            posts = [requests.post(url + target.messages_path(conversation), data=MESSAGE_BODY, timeout=30,
                                   headers={**basic, "Content-Type": "application/json"})
                     for url in (mock.url, stub.url)]
            stranger = requests.get(stub.url + target.user_path, auth=(target.key_id, "not-the-secret"), timeout=30)
    finally:
        mock.stop()

    mine, theirs = gets
    assert mine.status_code == 200
    assert (theirs.status_code, theirs.headers["Content-Type"], theirs.content) == \
        (mine.status_code, mine.headers["Content-Type"], mine.content)
    mine, theirs = posts
    assert mine.status_code == 201
    assert (theirs.status_code, theirs.headers["Content-Type"]) == (mine.status_code, mine.headers["Content-Type"])
    ours, stubbed = mine.json()["messages"][0], theirs.json()["messages"][0]
    assert set(stubbed) == set(ours)
    assert {key: stubbed[key] for key in ("author", "content", "source")} == \
        {key: ours[key] for key in ("author", "content", "source")}
    assert stranger.status_code != 200


WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:40123/v2/apps/0f377dc9e9a0a0215d2274f9/users/alice
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.18ms    2.63ms  26.77ms   74.38%
    Req/Sec     1.31k   152.65     1.61k    80.00%
  Latency Distribution
     50%  812.00us
     75%    7.10ms
     90%    9.02ms
     99%    1.20s
  5235 requests in 5.00s, 1.89MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:   1046.91
Transfer/sec:    386.70KB
"""


def test_wrk_output_is_read_with_its_units(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from loadgen import parse_wrk

    result = parse_wrk(WRK_OUTPUT)
    assert (result.requests_per_s, result.p50_ms, result.p99_ms) == pytest.approx((1046.91, 0.812, 1200.0))
    assert (result.requests, result.non_2xx) == (5235, 12)
    assert result.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 1}


def _py_spy_may_attach() -> bool:
    """py-spy reads another process's memory: root, or a ptrace scope that allows it."""
    try:
        scope = Path("/proc/sys/kernel/yama/ptrace_scope").read_text().strip()
    except OSError:
        scope = "0"
    return os.geteuid() == 0 or scope == "0"


@pytest.mark.skipif(shutil.which("wrk") is None, reason="profile.py puts its load on with wrk, which is missing")
@pytest.mark.skipif(not (Path(sys.executable).parent / "py-spy").exists(), reason="py-spy is not installed")
@pytest.mark.skipif(not _py_spy_may_attach(), reason="py-spy may not attach to another process here (ptrace)")
def test_profile_shows_where_a_loaded_server_spends_its_time():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "profile.py"), "--seconds", "2", "--top", "5"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "samples of the thread holding the GIL" in lines[0] and "/users/" in lines[0]
    by_package = lines[lines.index("== own time by package ==") + 1:lines.index("== with callees ==") - 1]
    packages = {line.split()[1]: float(line.split()[0].rstrip("%")) for line in by_package}
    assert {"granian", "flask", "werkzeug", "mocksmooch"} <= set(packages)
    assert 99 <= sum(packages.values()) <= 101
