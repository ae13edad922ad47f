"""mocksmooch benchmarks (issues 7 and 11): startup, per request, load against peers, memory.

    .venv/bin/python benchmarks/run.py                 # full: about 10 minutes with Prism and WireMock
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
import shipped
import wiremock as wiremock_peer
from report import fmt, median, ratio, table
from scenario import MESSAGE_BODY, Target
from servers import BenchmarkError, http_json

SECTIONS = ("startup", "plugin", "in-process", "loopback", "load", "memory")
MB = 1e6  # RSS is shown in MB of 10^6 bytes: the larger figure, so the stricter check
SEEDED_USERS = 100_000  # the user count issue 11's seeded targets are set for


@dataclass
class Plan:
    """How much of everything: --quick shrinks each count so the whole run takes seconds."""
    quick: bool
    duration: float      # seconds of each measured load run
    warmup: float        # seconds of load before each measured run (0: one checked request only);
                         # the same for every server: issue 11 measures WireMock after 5 s of it
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
            plan = cls(False, 10, 5, 3, 2_000, 200, 5_000, 300, SEEDED_USERS)
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
    wiremock: wiremock_peer.WireMock
    wiremock_root: Path | None   # its --root-dir: the stub mappings written by this run
    install: shipped.Install     # where the servers' `mocksmooch` and `python` come from


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
    parser.add_argument("--skip-wiremock", action="store_true", help="leave the WireMock peer out")
    parser.add_argument("--no-install", action="store_true",
                        help="install nothing (neither wrk nor java with apt-get, nor Prism nor WireMock with npm)")
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


# --- preparing: bytecode, load generator, the peers, the machine -------------------------------

def _prepare(args, plan: Plan, logs: Path, results: dict) -> Context:
    bytecode = _compile_mocksmooch()
    install = shipped.prepare(may_install=not args.no_install)
    wrk, tool, how = _load_generator(args)
    prism = prism_peer.prepare(skip=args.skip_prism, may_install=not args.no_install)
    wiremock = wiremock_peer.prepare(skip=args.skip_wiremock, may_install=not args.no_install)
    wiremock_root = None
    if not wiremock.skipped:
        wiremock_root = wiremock_peer.write_stubs(logs / "wiremock", _default_target_and_token()[0])
    results["bytecode"] = bytecode
    results["install"] = {"bin": str(install.bin), "how": install.note}
    results["load_generator"] = {"tool": tool, "how": how, "version": loadgen.wrk_version(wrk)}
    results["prism"] = {"version": prism.version, "install_s": prism.install_s, "skipped": prism.skipped,
                        "spec": str(prism.spec) if prism.spec else None}
    results["wiremock"] = {"version": wiremock.version, "install_s": wiremock.install_s, "skipped": wiremock.skipped,
                           "java": wiremock.java, "java_version": wiremock.java_version, "java_how": wiremock.java_how,
                           "stubs": str(wiremock_root / "mappings") if wiremock_root else None}
    results["machine"] = machine.describe(loadgen.wrk_version(wrk), tool, prism.version, wiremock.version)
    print(table("machine", ["what", "value"], [[name, value] for name, value in results["machine"].items()],
                numbers=False))
    notes = [install.note, bytecode, f"load generator: {tool}: {how}", _prism_note(prism), _wiremock_note(wiremock)]
    if results["ignored_environment"]:
        notes.append(f"ignored (unset for this run): {', '.join(results['ignored_environment'])}")
    print("\n".join(f"  * {line}" for line in notes))
    return Context(plan, logs, wrk, tool, prism, wiremock, wiremock_root, install)


def _compile_mocksmooch() -> str:
    """Bytecode for mocksmooch's own modules before anything is timed, as an installed
    package has it (pip compiles at install).  Here mocksmooch is an editable install and
    PYTHONDONTWRITEBYTECODE may be set (this sandbox, the Dockerfile's ENV): then every start
    would compile every module again, and the start-up figures would measure the compiler.
    The servers' environment is left as it is.  Returns the note saying so."""
    done = subprocess.run([sys.executable, "-m", "compileall", "-q", "mocksmooch"], cwd=servers.REPO,
                          capture_output=True, text=True)
    if done.returncode != 0:
        tail = " ".join((done.stdout + done.stderr).split())[-300:]
        return (f"`python -m compileall -q mocksmooch` failed ({done.returncode}), so start-up figures may include "
                f"compiling: {tail}")
    unset = "" if not os.environ.get("PYTHONDONTWRITEBYTECODE") else \
        " (PYTHONDONTWRITEBYTECODE is set here: no start would have written it)"
    return (f"bytecode: mocksmooch's modules compiled first with `python -m compileall -q mocksmooch`, as an "
            f"installed package has them{unset}")


def _load_generator(args) -> tuple[str | None, str, str]:
    """wrk's path (None: the Python fallback), the tool's name, and how it was had."""
    if args.load_generator == "python":
        return None, "python", "the Python fallback was asked for (--load-generator python)"
    wrk, how = loadgen.ensure_wrk(may_install=not args.no_install)
    if wrk is None and args.load_generator == "wrk":
        raise BenchmarkError(f"--load-generator wrk: {how}")
    return wrk, "wrk" if wrk else "python", how


def _prism_note(prism: prism_peer.Prism) -> str:
    if prism.skipped:
        return f"Prism peer skipped: {prism.skipped}"
    installed = f"installed by this run in {prism.install_s:.1f} s" if prism.install_s else "already installed"
    return f"Prism {prism.version} ({installed}) mocking {prism.spec}"


def _wiremock_note(wiremock: wiremock_peer.WireMock) -> str:
    if wiremock.skipped:
        return f"WireMock peer skipped: {wiremock.skipped}"
    installed = f"installed by this run in {wiremock.install_s:.1f} s" if wiremock.install_s else "already installed"
    return (f"WireMock {wiremock.version} ({installed}) on {wiremock.java_version} ({wiremock.java_how}); its two "
            "stubs answer mocksmooch's own answers, matched by path and the key's Basic credentials")


def _run_sections(context: Context, only: list[str] | None, results: dict) -> None:
    runners = {"startup": section_startup, "plugin": section_plugin, "in-process": section_in_process,
               "loopback": section_loopback, "load": section_load, "memory": section_memory}
    for name in only or SECTIONS:
        _progress(f"section {name}")
        results[name] = runners[name](context)


# --- startup ----------------------------------------------------------------------------------

def _prism_ready_request() -> tuple[str, dict]:
    """The request that tells Prism is ready: the benchmarked GET, with the app JWT."""
    target, token = _default_target_and_token()
    return target.user_path, {"Authorization": f"Bearer {token}"}


def _wiremock_ready_request() -> tuple[str, dict]:
    """The request that tells WireMock is ready: the benchmarked GET, with the Basic header
    its stub matches (a 200 means the stubs are loaded, not only the port open)."""
    target, _ = _default_target_and_token()
    return target.user_path, {"Authorization": target.basic}


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
    bin_dir = context.install.bin
    starters = {"mocksmooch serve": lambda: servers.mocksmooch_serve(context.logs, bin_dir=bin_dir),
                "container command": lambda: servers.container_command(context.logs, bin_dir=bin_dir),
                "hello-world (peer)": lambda: servers.hello_world(context.logs, bin_dir=bin_dir)}
    if not context.prism.skipped:
        starters["prism (peer)"] = lambda: _prism_server(context)
    if not context.wiremock.skipped:
        starters["wiremock (peer)"] = lambda: _wiremock_server(context)
    return starters


def _prism_server(context: Context) -> servers.Server:
    return servers.prism(context.logs, context.prism.bin, context.prism.spec, *_prism_ready_request())


def _wiremock_server(context: Context) -> servers.Server:
    return servers.wiremock(context.logs, context.wiremock.java, context.wiremock.jar, context.wiremock_root,
                            *_wiremock_ready_request())


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
        "peers: hello-world polls GET /; Prism (app JWT) and WireMock (Basic) the benchmarked GET user, "
        "which for WireMock also proves its stubs are loaded",
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
    """Sequential keep-alive calls from one client: mocksmooch through the plugin's server and
    a bare Flask hello-world under the same server class, both in this process, taking turns."""
    plan = context.plan
    results = per_request.loopback(plan.calls, plan.warmup_calls)
    timings = results["requests"]
    results["jwt_repeated_over_hello_world"] = ratio(timings["JWT GET user, repeated token"]["median_us"],
                                                     timings["hello-world GET (peer)"]["median_us"])
    results["kept_alive"] = all(_kept_alive(seen) for seen in results["connections"].values())
    print(_per_request_table("per request, over loopback: keep-alive calls from one client", timings, [
        "mocksmooch: mocksmooch.pytest_plugin.LiveServer (the plugin's server) in this process; hello-world: "
        "benchmarks/hello.py's app under the same mocksmooch.server.Server(app, '127.0.0.1', 0).start(), in this "
        f"process too, at the same time; one requests.Session for both, one request at a time, each case's calls "
        f"in {per_request.SLICES} slices taking turns with the others'; the time includes the client's work",
        _keep_alive_note(results["connections"], results["kept_alive"]),
        f"JWT GET user, repeated token / hello-world GET (medians): "
        f"{fmt(results['jwt_repeated_over_hello_world'], ' x', 2)}"]))
    return results


def _kept_alive(seen: dict) -> bool:
    """One TCP connection for every request, and no `Connection: close` answered."""
    return seen["connections_opened"] == 1 and (seen["connection_header"] or "").lower() != "close"


def _keep_alive_note(connections: dict, kept_alive: bool) -> str:
    """Whether each server kept the session's connection alive, by the session's own count."""
    def one(name: str, seen: dict) -> str:
        header = f"`Connection: {seen['connection_header']}`" if seen["connection_header"] else "no Connection header"
        return (f"{name}: {seen['requests']} requests over {seen['connections_opened']} TCP connection(s), "
                f"HTTP/1.{seen['http_version'] % 10}, {header}")

    verdict = "kept alive" if kept_alive else "NOT kept alive"
    each = "; ".join(one(name, seen) for name, seen in connections.items())
    return f"connection {verdict} (urllib3's count of the connections it opened): {each}"


def _per_request_table(title: str, results: dict, notes: list[str]) -> str:
    rows = [[name, fmt(r["median_us"], " us"), fmt(r["p99_us"], " us"), r["n"]] for name, r in results.items()]
    return table(title, ["request", "median", "p99", "calls"], rows, notes)


# --- load ---------------------------------------------------------------------------------------

SCENARIOS = ("JWT GET user", "Basic GET user", "POST message")
# WireMock checks no JWT: its figure for the JWT GET is that of its Basic GET stub, measured
# once a round (issue 11 compares mocksmooch's JWT GET with WireMock's basicAuth stub).
STAND_INS = {"wiremock": {"JWT GET user": "Basic GET user"}}
ANY_CONVERSATION = "0" * 24  # Prism and WireMock answer for any conversation id


@dataclass(frozen=True)
class LoadRequest:
    method: str
    path: str
    headers: dict
    body: str | None
    expect: int   # the status of the checked request before the load; under it, any 2xx


def section_load(context: Context) -> dict:
    """Each round, every server in turn (the order rotated each round), and only that server
    running while it is measured: started fresh, every scenario, stopped.  (A peer left up
    meanwhile, Prism's node process or WireMock's JVM above all, takes CPU from whichever
    server is measured.)"""
    plan = context.plan
    runs: dict = {scenario: {} for scenario in SCENARIOS}
    names = _load_server_names(context)
    for round_number in range(plan.rounds):
        _progress(f"load round {round_number + 1}/{plan.rounds}")
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            with _load_server(context, name) as server:
                for scenario, request in _load_requests(name, server).items():
                    runs[scenario].setdefault(name, []).append(_load_one(context, name, scenario, server, request))
    for name, stand_ins in STAND_INS.items():
        for scenario, measured in stand_ins.items():
            if name in runs[measured]:
                runs[scenario][name] = runs[measured][name]
    return _report_load(context, runs)


def _load_server_names(context: Context) -> list[str]:
    return ["hello-world", "mocksmooch", *([] if context.prism.skipped else ["prism"]),
            *([] if context.wiremock.skipped else ["wiremock"])]


def _load_server(context: Context, name: str) -> servers.Server:
    """A fresh server; mocksmooch with a message limit no load run can reach: at the default
    (30,000 per conversation, as the real service) a long POST run would end in 423s."""
    if name == "mocksmooch":
        return servers.mocksmooch_serve(context.logs, bin_dir=context.install.bin,
                                        env={"MOCKSMOOCH_MESSAGE_LIMIT": "100000000"})
    if name == "hello-world":
        return servers.hello_world(context.logs, bin_dir=context.install.bin)
    return _prism_server(context) if name == "prism" else _wiremock_server(context)


def _load_requests(name: str, server: servers.Server) -> dict[str, LoadRequest]:
    """scenario -> the request: the same headers and body for every server (the default
    seed's app JWT, or its key's Basic header); hello-world answers all on /, mocksmooch gets
    a conversation of its own for the messages, and WireMock, which checks no JWT, is sent
    the Basic header (its figure for the JWT GET is its Basic GET's, see STAND_INS)."""
    target, token = _default_target_and_token()
    bearer, basic = {"Authorization": f"Bearer {token}"}, {"Authorization": target.basic}
    conversation = ANY_CONVERSATION
    if name == "mocksmooch":
        conversation = http_json(server.port, "POST", target.conversations_path, target.new_conversation,
                                 basic, expect=201)["conversation"]["id"]
    user, messages = target.user_path, target.messages_path(conversation)
    if name == "hello-world":
        user = messages = "/"
    post = {**(basic if name == "wiremock" else bearer), "Content-Type": "application/json"}
    requests_ = {"JWT GET user": LoadRequest("GET", user, bearer, None, 200),
                 "Basic GET user": LoadRequest("GET", user, basic, None, 200),
                 "POST message": LoadRequest("POST", messages, post, MESSAGE_BODY, 201)}
    return {scenario: request for scenario, request in requests_.items() if scenario not in STAND_INS.get(name, {})}


def _load_one(context: Context, name: str, scenario: str, server: servers.Server, request: LoadRequest) -> dict:
    """One checked request, the warm-up, then the measured run: every answer must be 2xx."""
    status = _one_request(server.port, request)
    if status != request.expect:
        raise BenchmarkError(f"{name} {scenario}: {request.method} {request.path} answered {status}, "
                             f"expected {request.expect}")
    load = functools.partial(loadgen.run, context.wrk, server.url + request.path, method=request.method,
                             headers=request.headers, body=request.body)
    if context.plan.warmup:
        load(context.plan.warmup)
    result = load(context.plan.duration)
    if result.non_2xx or result.socket_errors.get("connect"):
        raise BenchmarkError(f"{name} {scenario}: {result.non_2xx} non-2xx answers and "
                             f"{result.socket_errors.get('connect', 0)} connect errors under load")
    return {**result.as_dict(), "rss_after_mb": server.rss() / MB}


def _one_request(port: int, request: LoadRequest) -> int:
    import http.client

    connection = http.client.HTTPConnection(servers.HOST, port, timeout=30)
    try:
        connection.request(request.method, request.path, body=request.body.encode() if request.body else None,
                           headers=request.headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _report_load(context: Context, runs: dict) -> dict:
    summary: dict = {"tool": context.load_tool, "duration_s": context.plan.duration, "rounds": context.plan.rounds,
                     "warmup_s": context.plan.warmup, "threads": loadgen.THREADS,
                     "connections": loadgen.CONNECTIONS, "stand_ins": STAND_INS, "runs": runs, "median": {},
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
            stand_in = STAND_INS.get(name, {}).get(scenario)
            label = f"{scenario}: {name}" + (f" ({stand_in} stub)" if stand_in else "")
            rows.append([label, fmt(m["requests_per_s"], "", 0), fmt(m["p50_ms"], " ms", 2),
                         fmt(m["p99_ms"], " ms", 2), versus, fmt(m["rss_after_mb"], " MB"),
                         ", ".join(f"{r['requests_per_s']:.0f}" for r in by_server[name])])
    mocksmooch = {scenario: summary["median"][scenario]["mocksmooch"]["requests_per_s"] for scenario in SCENARIOS}
    summary["post_over_jwt_get"] = ratio(mocksmooch["POST message"], mocksmooch["JWT GET user"])
    print(table(f"load: median of {context.plan.rounds} round(s), {_generator(context)}",
                ["server and request", "req/s", "p50", "p99", "mocksmooch is", "RSS after", "req/s per round"],
                rows, _load_notes(context, summary)))
    return summary


def _generator(context: Context) -> str:
    if context.load_tool == "wrk":
        return f"wrk -t{loadgen.THREADS} -c{loadgen.CONNECTIONS} -d{max(1, round(context.plan.duration))}s --latency"
    return (f"Python fallback: {loadgen.CONNECTIONS} keep-alive threads for {context.plan.duration} s "
            "(GIL-bound: lower figures than wrk's)")


def _load_notes(context: Context, summary: dict) -> list[str]:
    warmup = context.plan.warmup
    return [
        "all servers on 127.0.0.1, one machine: the load generator competes with the server for the cores",
        "each server started fresh for its turn and the only one running while measured; mocksmooch: "
        "`mocksmooch serve` (request log to a file), MOCKSMOOCH_MESSAGE_LIMIT=100000000; Prism's own request "
        "log to a file too; WireMock as it starts (request journal in memory, no request log)",
        "the same repeated app JWT, Basic header and body for every server; WireMock checks no JWT: it is sent "
        "the Basic header, and its JWT GET row is its Basic GET stub's figure (measured once a round)",
        "POST creates a message in one conversation (the default seed's webhook for conversation:message is "
        "attempted for each); Prism and WireMock answer it for any conversation id",
        f"warm-up: {fmt(warmup, ' s', 0)} of the same load before each measured run, for every server"
        if warmup else "no warm-up run (quick): one checked request before each run",
        "'mocksmooch is': mocksmooch req/s divided by that server's (median of rounds each); mocksmooch's POST "
        f"message req/s is {fmt(summary['post_over_jwt_get'], ' x', 2)} its JWT GET user req/s"]


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
                    "idle: after startup and its first 200, 0.3 s later (WireMock: its JVM, with its default heap)",
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
    with servers.mocksmooch_serve(context.logs, bin_dir=context.install.bin, fixtures=seed, timeout=600) as server:
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
    """Issues 11 and 7's targets, each with the figure it is judged on (None: not measured in
    this run).  The seeded ones are judged only on a run seeding SEEDED_USERS users."""
    load = results.get("load", {})
    startup = results.get("startup", {})
    plugin = results.get("plugin", {})
    auth = results.get("in-process", {}).get("auth_work", {}).get("repeated token", {})
    idle = results.get("memory", {}).get("idle_rss_mb", {})
    seeded = results.get("memory", {}).get("seeded", {})
    at_scale = seeded if seeded.get("users") == SEEDED_USERS else {}

    def versus(scenario: str, peer: str):
        return load.get("ratios", {}).get(scenario, {}).get(f"mocksmooch / {peer}")

    def p99(scenario: str):
        return load.get("median", {}).get(scenario, {}).get("mocksmooch", {}).get("p99_ms")

    rows = [
        ("11", "JWT GET user req/s / WireMock (Basic stub)", ">=", 1.0, "x", versus("JWT GET user", "wiremock")),
        ("11", "JWT GET user req/s / Prism", ">=", 5, "x", versus("JWT GET user", "prism")),
        ("11", "Basic GET user req/s / WireMock", ">=", 1.0, "x", versus("Basic GET user", "wiremock")),
        ("11", "Basic GET user req/s / Prism", ">=", 5, "x", versus("Basic GET user", "prism")),
        ("11", "JWT GET user p99 under that load", "<=", 5, "ms", p99("JWT GET user")),
        ("11", "Basic GET user p99 under that load", "<=", 5, "ms", p99("Basic GET user")),
        ("11", "POST message req/s / JWT GET user req/s", ">=", 0.5, "x", load.get("post_over_jwt_get")),
        ("11", "loopback keep-alive JWT GET (repeated token) / hello-world", "<=", 1.3, "x",
         results.get("loopback", {}).get("jwt_repeated_over_hello_world")),
        ("11", "startup to first 200, mocksmooch serve", "<=", 0.3, "s",
         startup.get("mocksmooch serve", {}).get("median_s")),
        ("11", "startup to first 200, container command", "<=", 0.3, "s",
         startup.get("container command", {}).get("median_s")),
        ("11", "RSS idle, mocksmooch serve", "<=", 60, "MB", idle.get("mocksmooch serve")),
        ("11", "RSS idle, container command", "<=", 60, "MB", idle.get("container command")),
        ("11", f"RSS with {SEEDED_USERS:,} users seeded", "<=", 200, "MB", at_scale.get("rss_mb")),
        ("11", f"start to first 200 with {SEEDED_USERS:,} users seeded", "<=", 2, "s", at_scale.get("startup_s")),
        ("7", "pytest plugin session setup", "<=", 0.3, "s", plugin.get("session_setup_s")),
        ("7", "reset between tests (POST /_mocksmooch/reset)", "<=", 5, "ms",
         plugin.get("reset_session", {}).get("median_us", 0) / 1e3 or None),
        ("7", "auth work of a repeated JWT", "<=", 10, "us", auth.get("median_us")),
    ]
    return [_judged(*row) for row in rows]


def _judged(issue: str, name: str, sense: str, bound: float, unit: str, value) -> dict:
    met = None if value is None else (value >= bound if sense == ">=" else value <= bound)
    return {"issue": issue, "target": name, "wanted": f"{sense} {bound} {unit}", "sense": sense, "bound": bound,
            "unit": unit, "value": value, "result": {True: "met", False: "missed", None: "n/a"}[met]}


def _print_targets(targets: list[dict]) -> None:
    rows = [[t["target"], t["issue"], t["wanted"],
             fmt(t["value"], " " + t["unit"], 3 if t["unit"] in ("s", "x") else 1), t["result"]] for t in targets]
    notes = ["n/a: not measured in this run (section not run, or the peer skipped; the seeded targets: the "
             f"memory section seeded another number of users than {SEEDED_USERS:,}, as --quick does)",
             "a missed target is reported, never a failure of the run"]
    print(table("targets (issues 7 and 11)", ["target", "issue", "wanted", "measured", "result"], rows, notes))


if __name__ == "__main__":
    raise SystemExit(main())
