"""mocksmooch benchmarks (issue 7): startup, per request, load against peers, memory.

    .venv/bin/python benchmarks/run.py                 # full: about 5 minutes with Prism
    .venv/bin/python benchmarks/run.py --quick         # every section, tiny counts: proves it works
    .venv/bin/python benchmarks/run.py --duration 5 --rounds 2 --json results.json

Prints one table per section, then the targets with "met"/"missed".  A missed target never
fails the run; the exit status is non-zero only when the benchmark cannot run (a server did
not start, a measured request got another status than the one it must answer).
See benchmarks/README.md for what each section measures and how.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import loadgen
import machine
import per_request
import prism as prism_peer
import servers
from report import fmt, median, ratio, table
from scenario import MESSAGE_BODY, Target
from servers import BenchmarkError, http_json

SECTIONS = ("startup", "plugin", "in-process", "loopback", "load", "memory")
MB = 1e6  # RSS is shown in MB of 10^6 bytes: the larger figure, so the stricter check


@dataclass
class Plan:
    """How much of everything: --quick shrinks each count so the whole run takes seconds."""
    quick: bool
    duration: float      # seconds of each measured load run
    warmup: float        # seconds of load before each measured run (0: one checked request only)
    rounds: int          # alternations of mocksmooch and its peers; the median is reported
    calls: int           # timed requests per case, in process and over loopback
    warmup_calls: int
    auth_calls: int      # timed authenticate() calls per kind of token
    resets: int          # timed POST /_mocksmooch/reset
    users: int           # users seeded for the memory section

    @classmethod
    def from_args(cls, args) -> "Plan":
        if args.quick:
            plan = cls(True, 1, 0, 1, 30, 5, 200, 20, 2_000)
        else:
            plan = cls(False, 10, 2, 3, 2_000, 200, 5_000, 300, 100_000)
        plan.duration = args.duration if args.duration is not None else plan.duration
        plan.rounds = args.rounds if args.rounds is not None else plan.rounds
        plan.users = args.users if args.users is not None else plan.users
        return plan


@dataclass
class Context:
    plan: Plan
    logs: Path
    wrk: str | None
    load_tool: str
    prism: prism_peer.Prism


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    plan = Plan.from_args(args)
    started = time.perf_counter()
    results: dict = {"mode": "quick" if plan.quick else "full", "command": " ".join([sys.executable, *sys.argv]),
                     "plan": vars(plan), "ignored_environment": _as_shipped()}
    print(f"mocksmooch benchmarks, {results['mode']} run: {results['command']}", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="mocksmooch-bench-") as logs:
            context = _prepare(args, plan, Path(logs), results)
            _run_sections(context, args.only, results)
        results["status_checks"] = "passed"
        results["targets"] = _targets(results)
    except BenchmarkError as error:
        results["error"] = str(error)
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        results["elapsed_s"] = time.perf_counter() - started
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
    _print_targets(results["targets"])
    print(f"\nfinished in {results['elapsed_s']:.1f} s ({results['mode']} run); every measured request "
          f"answered its expected status")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="every section with tiny durations and counts (CI: proves it works, times nothing)")
    parser.add_argument("--duration", type=float, metavar="SECONDS",
                        help="seconds of each load run (default 10, --quick 1; wrk takes whole seconds)")
    parser.add_argument("--rounds", type=_at_least_one, metavar="N",
                        help="alternations of mocksmooch and its peers, median reported (default 3, --quick 1)")
    parser.add_argument("--users", type=_at_least_one, metavar="N", help="users seeded for the memory section "
                                                               "(default 100000, --quick 2000)")
    parser.add_argument("--skip-prism", action="store_true", help="leave the Prism peer out")
    parser.add_argument("--no-install", action="store_true",
                        help="install nothing (neither wrk with apt-get nor Prism with npm)")
    parser.add_argument("--load-generator", choices=("auto", "wrk", "python"), default="auto",
                        help="auto: wrk, installed if missing and possible, else the Python fallback")
    parser.add_argument("--only", metavar="SECTIONS", type=_sections,
                        help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--json", metavar="FILE", help="write the raw results here")
    return parser


def _at_least_one(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _sections(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    return chosen


def _as_shipped() -> list[str]:
    """Drop the caller's MOCKSMOOCH_* variables: every server here (in process, the plugin's,
    `mocksmooch serve`) reads them, and the figures are of mocksmooch as shipped."""
    ignored = sorted(name for name in os.environ if name.startswith("MOCKSMOOCH_"))
    for name in ignored:
        del os.environ[name]
    return ignored


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


# --- preparing: load generator, Prism, the machine ---------------------------------------------

def _prepare(args, plan: Plan, logs: Path, results: dict) -> Context:
    wrk, note = None, "the Python fallback was asked for (--load-generator python)"
    if args.load_generator != "python":
        wrk, note = loadgen.ensure_wrk(may_install=not args.no_install)
        if wrk is None and args.load_generator == "wrk":
            raise BenchmarkError(f"--load-generator wrk: {note}")
    tool = "wrk" if wrk else "python"
    peer = prism_peer.prepare(skip=args.skip_prism, may_install=not args.no_install)
    results["load_generator"] = {"tool": tool, "how": note, "version": loadgen.wrk_version(wrk)}
    results["prism"] = {"version": peer.version, "install_s": peer.install_s, "skipped": peer.skipped,
                        "spec": str(peer.spec) if peer.spec else None}
    results["machine"] = machine.describe(loadgen.wrk_version(wrk), tool, peer.version)
    print(table("machine", ["what", "value"], [[name, value] for name, value in results["machine"].items()],
                numbers=False))
    notes = [f"load generator: {tool}: {note}"]
    if peer.skipped:
        notes.append(f"Prism peer skipped: {peer.skipped}")
    else:
        installed = f"installed by this run in {peer.install_s:.1f} s" if peer.install_s else "already installed"
        notes.append(f"Prism {peer.version} ({installed}) mocking {peer.spec}")
    if results["ignored_environment"]:
        notes.append(f"ignored (unset for this run): {', '.join(results['ignored_environment'])}")
    print("\n".join(f"  * {line}" for line in notes))
    return Context(plan, logs, wrk, tool, peer)


def _run_sections(context: Context, only: list[str] | None, results: dict) -> None:
    runners = {"startup": section_startup, "plugin": section_plugin, "in-process": section_in_process,
               "loopback": section_loopback, "load": section_load, "memory": section_memory}
    for name in only or SECTIONS:
        _progress(f"section {name}")
        results[name] = runners[name](context)


# --- startup ----------------------------------------------------------------------------------

def _peer_request() -> tuple[str, dict]:
    """The request that tells Prism is ready: the benchmarked GET, with a Bearer token."""
    target, token = _default_target_and_token()
    return target.user_path, {"Authorization": f"Bearer {token}"}


@functools.lru_cache(maxsize=None)
def _default_target_and_token() -> tuple[Target, str]:
    """The default seed's target and an app JWT for it, minted as `mocksmooch token` does."""
    from mocksmooch import fixtures
    from mocksmooch.core import Mock
    from mocksmooch.store import Store

    mock = Mock(store=Store(fixtures.load(None)))
    target = Target.from_seed(mock.store.seed)
    return target, mock.mint(target.key_id, "app")


def _starters(context: Context) -> dict:
    """Name -> a function making a fresh, not yet started, Server."""
    starters = {"mocksmooch serve": lambda: servers.mocksmooch_serve(context.logs),
                "container command": lambda: servers.container_command(context.logs),
                "hello-world (peer)": lambda: servers.hello_world(context.logs)}
    if not context.prism.skipped:
        path, headers = _peer_request()
        starters["prism (peer)"] = lambda: servers.prism(context.logs, context.prism.bin, context.prism.spec,
                                                         path, headers)
    return starters


def section_startup(context: Context) -> dict:
    """Process start to the first 200 (health route; for the peers, their benchmarked route)."""
    times: dict[str, list[float]] = {name: [] for name in _starters(context)}
    for round_number in range(context.plan.rounds):
        for name, make in _starters(context).items():
            with make() as server:
                times[name].append(server.startup_s)
    medians = {name: median(values) for name, values in times.items()}
    ratios = _versus_peers(medians)
    rows = [[name, fmt(medians[name], " s", 3), fmt(min(values), " s", 3), fmt(max(values), " s", 3), len(values),
             fmt(ratios.get(name), " x", 2) if name in ratios else ""] for name, values in times.items()]
    print(table("startup: process start to first 200", ["server", "median", "min", "max", "runs",
                                                        "mocksmooch serve is"], rows, [
        "mocksmooch serve: `.venv/bin/mocksmooch serve --port P` (its request log to a file)",
        "container command: the Dockerfile's ENV + CMD (`mocksmooch serve`) without Docker, on 127.0.0.1:P",
        "peers: hello-world polls GET /, Prism the benchmarked GET user (it has no health route)",
        "'mocksmooch serve is': its median divided by the peer's (below 1: mocksmooch is faster)"]))
    return {**{name: {"seconds": values, "median_s": medians[name]} for name, values in times.items()},
            "ratios": {f"mocksmooch serve / {name}": value for name, value in ratios.items()}}


def _versus_peers(figures: dict) -> dict:
    """Peer name -> mocksmooch serve's figure divided by that peer's."""
    return {name: ratio(figures.get("mocksmooch serve"), value) for name, value in figures.items()
            if name.endswith("(peer)")}


# --- the pytest plugin -------------------------------------------------------------------------

def section_plugin(context: Context) -> dict:
    """Session fixture setup in a fresh interpreter each round, then reset between tests."""
    from mocksmooch.client import MockSmooch
    from mocksmooch.pytest_plugin import LiveServer

    setups = [_plugin_setup_once() for _ in range(context.plan.rounds)]
    server = LiveServer({"FIXTURES": None})
    try:
        import requests

        with requests.Session() as session:
            answers = []

            def session_reset() -> int:
                answers.append(session.post(server.url + "/_mocksmooch/reset", timeout=30))
                return answers[-1].status_code

            session_resets = per_request.time_calls(session_reset, 200, context.plan.resets, 5,
                                                    "POST /_mocksmooch/reset (requests.Session)")
        client = MockSmooch(server.url)

        def client_reset() -> int:
            client.reset()  # raises ControlError on anything but 2xx
            return 200

        client_resets = per_request.time_calls(client_reset, 200, context.plan.resets, 5, "MockSmooch.reset()")
    finally:
        server.stop()
    connection = answers[-1].headers.get("Connection", "keep-alive").lower()
    setup_s = median([s["session_setup_s"] for s in setups])
    first_reset_s = median([s["first_reset_s"] for s in setups])
    rows = [["session fixture setup (LiveServer to first 200)", fmt(setup_s * 1e3, " ms"), "", len(setups)],
            ["first test's reset (MockSmooch.reset, new interpreter)", fmt(first_reset_s * 1e3, " ms"), "",
             len(setups)],
            ["reset, POST /_mocksmooch/reset, one requests.Session", fmt(session_resets["median_us"] / 1e3, " ms", 2),
             fmt(session_resets["p99_us"] / 1e3, " ms", 2), session_resets["n"]],
            ["reset as the fixture does it (MockSmooch.reset)", fmt(client_resets["median_us"] / 1e3, " ms", 2),
             fmt(client_resets["p99_us"] / 1e3, " ms", 2), client_resets["n"]]]
    print(table("pytest plugin (default seed)", ["what", "median", "p99", "runs"], rows, [
        "setup: a fresh interpreter with the plugin imported (pytest does that at startup), timed from "
        "LiveServer({'FIXTURES': None}) to the health route's first 200",
        "MockSmooch.reset opens a new connection per call (urllib), as the `mocksmooch` fixture does",
        "the session's connection: " + ("closed by the server after every answer (`Connection: close`)"
                                        if connection == "close" else "kept alive")]))
    return {"session_setup_s": setup_s, "session_setup_runs": setups, "first_reset_s": first_reset_s,
            "reset_session": session_resets, "reset_fixture_client": client_resets, "connection": connection}


def _plugin_setup_once() -> dict:
    done = subprocess.run([sys.executable, str(servers.BENCHMARKS / "plugin_setup.py")], capture_output=True,
                          text=True, cwd=servers.REPO, timeout=120)
    if done.returncode != 0:
        raise BenchmarkError(f"plugin_setup.py failed ({done.returncode}): {done.stderr.strip()[-1000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- per request ------------------------------------------------------------------------------

def section_in_process(context: Context) -> dict:
    plan = context.plan
    requests_ = per_request.in_process(plan.calls, plan.warmup_calls)
    auth = per_request.auth_work(plan.auth_calls, plan.warmup_calls)
    print(_per_request_table("per request, in process (WSGI app called directly)", requests_, [
        "create_app({}) on the default seed; a prepared environ copied per call; status checked each call",
        "fresh token: a JWT the server has not seen (pre-minted, each with its own exp); "
        "repeated token: the same JWT every call",
        "POST message: Basic auth, into one personal conversation with the seed's first user"]))
    print(_per_request_table("auth work of one JWT: the route guard's authentication alone", auth, [
        "mocksmooch/api/guard.py authenticate(mock), as the route guard calls it (Authorization header, clock, "
        "verified-token cache, mocksmooch.auth.authenticate), in a pushed request context; pushing it is not timed"]))
    return {"requests": requests_, "auth_work": auth}


def section_loopback(context: Context) -> dict:
    plan = context.plan
    results = per_request.loopback(plan.calls, plan.warmup_calls)
    reuse = ("the server answers `Connection: close`, so every request opens a new TCP connection"
             if results["connection"] == "close" else "the connection is kept alive between requests")
    print(_per_request_table("per request, over loopback through the plugin's server", results["requests"], [
        "mocksmooch.pytest_plugin.LiveServer (mocksmooch.server, in a thread) in this process; one requests.Session, "
        "one request at a time; the time includes the client's work", reuse]))
    return results


def _per_request_table(title: str, results: dict, notes: list[str]) -> str:
    rows = [[name, fmt(r["median_us"], " us"), fmt(r["p99_us"], " us"), r["n"]] for name, r in results.items()]
    return table(title, ["request", "median", "p99", "calls"], rows, notes)


# --- load ---------------------------------------------------------------------------------------

SCENARIOS = ("JWT GET user", "POST message")


def section_load(context: Context) -> dict:
    """Each round, every server in turn (the order rotated each round), and only that server
    running while it is measured: started fresh, both scenarios, stopped.  (A peer left up
    meanwhile, Prism's node process above all, takes CPU from whichever server is measured.)"""
    plan = context.plan
    runs: dict = {scenario: {} for scenario in SCENARIOS}
    names = ["hello-world", "mocksmooch", *([] if context.prism.skipped else ["prism"])]
    for round_number in range(plan.rounds):
        _progress(f"load round {round_number + 1}/{plan.rounds}")
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            with _load_server(context, name) as server:
                for scenario, request in _load_requests(name, server).items():
                    runs[scenario].setdefault(name, []).append(_load_one(context, name, scenario, server, *request))
    return _report_load(context, runs)


def _load_server(context: Context, name: str) -> servers.Server:
    """A fresh server; mocksmooch with a message limit no load run can reach: at the default
    (30,000 per conversation, as the real service) a long POST run would end in 423s."""
    if name == "mocksmooch":
        return servers.mocksmooch_serve(context.logs, env={"MOCKSMOOCH_MESSAGE_LIMIT": "100000000"})
    if name == "hello-world":
        return servers.hello_world(context.logs)
    path, headers = _peer_request()
    return servers.prism(context.logs, context.prism.bin, context.prism.spec, path, headers)


def _load_requests(name: str, server: servers.Server) -> dict:
    """scenario -> (path, method, headers, body, expected status): the same headers and body
    for every server (an app JWT of the default seed, which all of them accept); hello-world
    answers both on /, mocksmooch gets a conversation of its own for the messages."""
    target, token = _default_target_and_token()
    conversation = "0" * 24  # Prism mocks any id
    if name == "mocksmooch":
        conversation = http_json(server.port, "POST", target.conversations_path, target.new_conversation,
                                 {"Authorization": target.basic}, expect=201)["conversation"]["id"]
    get = {"Authorization": f"Bearer {token}"}
    post = {**get, "Content-Type": "application/json"}
    paths = {"JWT GET user": target.user_path, "POST message": target.messages_path(conversation)}
    if name == "hello-world":
        paths = {scenario: "/" for scenario in paths}
    return {"JWT GET user": (paths["JWT GET user"], "GET", get, None, 200),
            "POST message": (paths["POST message"], "POST", post, MESSAGE_BODY, 201)}


def _load_one(context: Context, name: str, scenario: str, server: servers.Server, path: str, method: str,
              headers: dict, body: str | None, expect: int) -> dict:
    status = _one_request(server.port, method, path, headers, body)
    if status != expect:
        raise BenchmarkError(f"{name} {scenario}: {method} {path} answered {status}, expected {expect}")
    if context.plan.warmup:
        loadgen.run(context.wrk, server.url + path, context.plan.warmup, method=method, headers=headers, body=body)
    result = loadgen.run(context.wrk, server.url + path, context.plan.duration, method=method,
                         headers=headers, body=body)
    if result.non_2xx or result.socket_errors.get("connect"):
        raise BenchmarkError(f"{name} {scenario}: {result.non_2xx} non-2xx answers and "
                             f"{result.socket_errors.get('connect', 0)} connect errors under load")
    return {**result.as_dict(), "rss_after_mb": server.rss() / MB}


def _one_request(port: int, method: str, path: str, headers: dict, body: str | None) -> int:
    import http.client

    connection = http.client.HTTPConnection(servers.HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body.encode() if body else None, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _report_load(context: Context, runs: dict) -> dict:
    summary: dict = {"tool": context.load_tool, "duration_s": context.plan.duration, "rounds": context.plan.rounds,
                     "threads": loadgen.THREADS, "connections": loadgen.CONNECTIONS, "runs": runs, "median": {},
                     "ratios": {}}
    rows = []
    for scenario, by_server in runs.items():
        medians = {name: {key: median([r[key] for r in results]) for key in
                          ("requests_per_s", "p50_ms", "p99_ms", "rss_after_mb")}
                   for name, results in by_server.items()}
        summary["median"][scenario] = medians
        mine = medians["mocksmooch"]["requests_per_s"]
        summary["ratios"][scenario] = {f"mocksmooch / {name}": ratio(mine, m["requests_per_s"])
                                       for name, m in medians.items() if name != "mocksmooch"}
        for name, m in medians.items():
            versus = "" if name == "mocksmooch" else fmt(ratio(mine, m["requests_per_s"]), " x", 2)
            rows.append([f"{scenario}: {name}", fmt(m["requests_per_s"], "", 0), fmt(m["p50_ms"], " ms", 2),
                         fmt(m["p99_ms"], " ms", 2), versus, fmt(m["rss_after_mb"], " MB"),
                         ", ".join(f"{r['requests_per_s']:.0f}" for r in by_server[name])])
    generator = (f"wrk -t{loadgen.THREADS} -c{loadgen.CONNECTIONS} -d{max(1, round(context.plan.duration))}s --latency"
                 if context.load_tool == "wrk" else
                 f"Python fallback: {loadgen.CONNECTIONS} keep-alive threads for {context.plan.duration} s "
                 "(GIL-bound: lower figures than wrk's)")
    print(table(f"load: median of {context.plan.rounds} round(s), {generator}",
                ["server and request", "req/s", "p50", "p99", "mocksmooch is", "RSS after", "req/s per round"],
                rows, [
                    "all servers on 127.0.0.1, one machine: the load generator competes with the server for the cores",
                    "each server started fresh for its turn and the only one running while measured; "
                    "mocksmooch: `mocksmooch serve` (request log to a file), MOCKSMOOCH_MESSAGE_LIMIT=100000000; "
                    "Prism's own request log to a file too",
                    "the same repeated app JWT and body for every server; POST creates a message in one "
                    "conversation (the default seed's webhook for conversation:message is attempted for each)",
                    f"warm-up: {context.plan.warmup} s of the same load before each measured run"
                    if context.plan.warmup else "no warm-up run (quick): one checked request before each run",
                    "'mocksmooch is': mocksmooch req/s divided by that server's (median of rounds each)"]))
    return summary


# --- memory -------------------------------------------------------------------------------------

def section_memory(context: Context) -> dict:
    """Idle resident size of every server, and mocksmooch's after seeding many users."""
    idle = {}
    for name, make in _starters(context).items():
        with make() as server:
            time.sleep(0.3)  # let start-up garbage go; nothing else runs
            idle[name] = server.rss() / MB
    seeded = _seeded_memory(context)
    ratios = _versus_peers(idle)
    rows = [[f"{name}, idle", fmt(mb, " MB"), "", fmt(ratios.get(name), " x", 2) if name in ratios else ""]
            for name, mb in idle.items()]
    rows.append([f"mocksmooch serve, {seeded['users']:,} users seeded: start to first 200",
                 fmt(seeded["rss_mb"], " MB"), fmt(seeded["startup_s"], " s", 2), ""])
    rows.append(["  then a page of 100 of those users (GET .../users)", "", fmt(seeded["users_page_ms"], " ms", 1), ""])
    print(table("memory: resident size (VmRSS of the process and its children)",
                ["server", "RSS", "time", "mocksmooch serve is"], rows, [
                    "idle: after startup and its first 200, 0.3 s later",
                    f"seeded: `mocksmooch serve --fixtures FILE`, one app generating {seeded['users']:,} users "
                    "(as tests/stress/test_limits.py), after up to five GETs of a users page (median time shown)",
                    "'mocksmooch serve is': its idle RSS divided by the peer's"]))
    return {"idle_rss_mb": idle, "seeded": seeded,
            "ratios": {f"mocksmooch serve / {name}": value for name, value in ratios.items()}}


def _seeded_memory(context: Context) -> dict:
    app_id, key = "b" * 24, ("app_" + "b" * 24, "s3cret-for-the-big-app")
    seed = context.logs / "big-seed.json"
    seed.write_text(json.dumps({"accounts": [{"name": "Big", "apps": [{
        "id": app_id, "name": "Big App", "keys": [{"id": key[0], "secret": key[1]}],
        "generate": {"users": context.plan.users}}]}]}))
    with servers.mocksmooch_serve(context.logs, fixtures=seed, timeout=600) as server:
        basic = Target(app_id, key[0], key[1], "", "").basic
        pages_s = []
        cursor = ""
        for _ in range(5):  # the first page, then the next ones by their cursor
            started = time.perf_counter()
            page = http_json(server.port, "GET", f"/v2/apps/{app_id}/users?page%5Bsize%5D=100{cursor}",
                             headers={"Authorization": basic})
            pages_s.append(time.perf_counter() - started)
            if len(page["users"]) != min(100, context.plan.users):
                raise BenchmarkError(f"the seeded app lists {len(page['users'])} users on a page")
            if not page["meta"].get("afterCursor"):
                break
            cursor = f"&page%5Bafter%5D={page['meta']['afterCursor']}"
        return {"users": context.plan.users, "startup_s": server.startup_s, "rss_mb": server.rss() / MB,
                "users_page_ms": median(pages_s) * 1e3}


# --- targets ------------------------------------------------------------------------------------

def _targets(results: dict) -> list[dict]:
    """Issue 7's targets, each with the figure it is judged on (None: not measured this run)."""
    load = results.get("load", {})
    ratios = load.get("ratios", {}).get("JWT GET user", {})
    mine = load.get("median", {}).get("JWT GET user", {}).get("mocksmooch", {})
    startup = results.get("startup", {})
    plugin = results.get("plugin", {})
    auth = results.get("in-process", {}).get("auth_work", {}).get("repeated token", {})
    idle = results.get("memory", {}).get("idle_rss_mb", {})
    rows = [
        ("JWT GET throughput / hello-world", ">= 0.8 x", ratios.get("mocksmooch / hello-world"), 0.8, ">=", " x"),
        ("JWT GET throughput / Prism", ">= 3 x", ratios.get("mocksmooch / prism"), 3, ">=", " x"),
        ("JWT GET p99 under that load", "<= 10 ms", mine.get("p99_ms"), 10, "<=", " ms"),
        ("startup to first 200, mocksmooch serve", "<= 0.5 s",
         startup.get("mocksmooch serve", {}).get("median_s"), 0.5, "<=", " s"),
        ("startup to first 200, container command", "<= 0.5 s",
         startup.get("container command", {}).get("median_s"), 0.5, "<=", " s"),
        ("pytest plugin session setup", "<= 0.3 s", plugin.get("session_setup_s"), 0.3, "<=", " s"),
        ("reset between tests (POST /_mocksmooch/reset)", "<= 5 ms",
         plugin.get("reset_session", {}).get("median_us", 0) / 1e3 or None, 5, "<=", " ms"),
        ("auth work of a repeated JWT", "<= 10 us", auth.get("median_us"), 10, "<=", " us"),
        ("RSS idle, mocksmooch serve", "<= 60 MB", idle.get("mocksmooch serve"), 60, "<=", " MB"),
        ("RSS idle, container command", "<= 60 MB", idle.get("container command"), 60, "<=", " MB"),
    ]
    targets = []
    for name, wanted, value, bound, sense, unit in rows:
        met = None if value is None else (value >= bound if sense == ">=" else value <= bound)
        targets.append({"target": name, "wanted": wanted, "value": value, "unit": unit.strip(),
                        "result": {True: "met", False: "missed", None: "n/a"}[met]})
    return targets


def _print_targets(targets: list[dict]) -> None:
    rows = [[t["target"], t["wanted"], fmt(t["value"], " " + t["unit"], 3 if t["unit"] in ("s", "x") else 1),
             t["result"]] for t in targets]
    notes = ["n/a: not measured in this run (section not run, or the peer skipped)",
             "a missed target is reported, never a failure of the run"]
    print(table("targets (issue 7)", ["target", "wanted", "measured", "result"], rows, notes))


if __name__ == "__main__":
    raise SystemExit(main())
