"""Where a loaded `mocksmooch serve` spends its time: py-spy samples the thread holding the
GIL while wrk sends one of the load section's requests, and the frames are summed.

    .venv/bin/python benchmarks/profile.py                    # JWT GET user, 8 s
    .venv/bin/python benchmarks/profile.py --scenario post --seconds 5 --top 40

py-spy is installed into this venv with pip when missing (it is a binary wheel on PyPI);
wrk as benchmarks/run.py installs it.  `--gil` sampling shows CPU on the GIL, which is
what bounds a Python server's throughput on any number of cores; "own" is time in the
frame itself, "with callees" everything below it.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import loadgen
import servers
from scenario import MESSAGE_BODY, Target
from servers import http_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/profile.py", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("get", "post"), default="get",
                        help="get: JWT GET user (default); post: POST message")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds sampled under load (default 8)")
    parser.add_argument("--top", type=int, default=30, help="frames listed (default 30)")
    args = parser.parse_args(argv)

    py_spy = _ensure_py_spy()
    wrk, note = loadgen.ensure_wrk(may_install=True)
    if wrk is None:
        print(f"profile.py needs wrk: {note}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="mocksmooch-profile-") as folder:
        logs = Path(folder)
        with servers.mocksmooch_serve(logs, env={"MOCKSMOOCH_MESSAGE_LIMIT": "100000000"}) as server:
            path, method, headers, body = _request(server, args.scenario)
            loadgen.run(wrk, server.url + path, 2, method=method, headers=headers, body=body)  # warm up
            samples = logs / "samples.txt"
            load = threading.Thread(target=loadgen.run, args=(wrk, server.url + path, args.seconds + 2),
                                    kwargs={"method": method, "headers": headers, "body": body})
            load.start()
            subprocess.run([py_spy, "record", "--pid", str(server.process.pid), "--gil", "--nonblocking",
                            "--rate", "500", "--duration", str(int(args.seconds)), "--format", "raw",
                            "--output", str(samples)], check=True, capture_output=True)
            load.join()
        _report(samples, args.top, f"{method} {path}")
    return 0


def _ensure_py_spy() -> str:
    found = Path(sys.executable).parent / "py-spy"
    if not found.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=True)
    return str(found)


def _request(server: servers.Server, scenario: str) -> tuple[str, str, dict, str | None]:
    target = Target.from_seed(http_json(server.port, "GET", "/_mocksmooch/fixtures"))
    token = http_json(server.port, "POST", "/_mocksmooch/tokens", target.token_request())["jwt"]
    headers = {"Authorization": f"Bearer {token}"}
    if scenario == "get":
        return target.user_path, "GET", headers, None
    conversation = http_json(server.port, "POST", target.conversations_path, target.new_conversation,
                             {"Authorization": target.basic}, expect=201)["conversation"]["id"]
    return (target.messages_path(conversation), "POST", {**headers, "Content-Type": "application/json"},
            MESSAGE_BODY)


def _report(samples: Path, top: int, what: str) -> None:
    """Sum py-spy's raw stacks ("frame;frame;... count") by frame: own and with callees."""
    own: Counter = Counter()
    inclusive: Counter = Counter()
    total = 0
    for line in samples.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, n = stack.split(";"), int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"{what}: {total} samples of the thread holding the GIL")
    print("\n== own time by package ==")
    for package, n in _by_package(own).most_common():
        print(f"{n / total * 100:5.1f}%  {package}")
    for title, counter in (("with callees", inclusive), ("own", own)):
        print(f"\n== {title} ==")
        for frame, n in counter.most_common(top):
            print(f"{n / total * 100:5.1f}%  {frame[:150]}")


PACKAGES = ("mocksmooch", "granian", "uvloop", "asyncio", "flask", "werkzeug", "jwt", "json", "sqlite3", "logging", "threading")


def _by_package(own: Counter) -> Counter:
    """Own time grouped by the package of the frame's file ("site-packages/flask/app.py")."""
    grouped: Counter = Counter()
    for frame, n in own.items():
        where = frame.rpartition("(")[2]
        package = next((name for name in PACKAGES if where.startswith((f"{name}/", f"{name}.py"))), "other")
        grouped[package] += n
    return grouped


if __name__ == "__main__":
    raise SystemExit(main())
