"""Per request: the same five requests timed in process (the WSGI app called directly) and
over loopback through the pytest plugin's server, plus the auth work of one JWT alone.

Every call's status is checked against what the request must answer (200, or 201 for the
POST); a wrong one stops the run.  Tokens are minted before timing starts: a "fresh" JWT
is one the server has not seen before (each with its own `exp`), a "repeated" one is the
same token every time.
"""
from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder

from report import summary
from scenario import MESSAGE_BODY, Target
from servers import HEALTH, BenchmarkError

TOKEN_LIFETIME = 3600  # seconds; token i expires a second after token i-1, so each differs


@dataclass
class Case:
    """One kind of request: method, path, the Authorization value(s) to cycle through, the
    body, and the status it must answer."""
    name: str
    method: str
    path: str
    authorizations: list[str | None]
    body: str | None = None
    expect: int = 200


def cases(target: Target, conversation_id: str, fresh_tokens: list[str]) -> list[Case]:
    return [
        Case("control route (GET health)", "GET", HEALTH, [None]),
        Case("Basic GET user", "GET", target.user_path, [target.basic]),
        Case("JWT GET user, fresh token", "GET", target.user_path, [f"Bearer {t}" for t in fresh_tokens]),
        Case("JWT GET user, repeated token", "GET", target.user_path, [f"Bearer {fresh_tokens[0]}"]),
        Case("POST message (Basic)", "POST", target.messages_path(conversation_id), [target.basic],
             MESSAGE_BODY, 201),
    ]


def mint_tokens(mock, target: Target, count: int) -> list[str]:
    """`count` distinct app-scoped JWTs, minted with the server's own clock."""
    return [mock.mint(target.key_id, "app", expires_in=TOKEN_LIFETIME + i) for i in range(count)]


# --- in process: the WSGI app called directly ---------------------------------------------------

def call_wsgi(app, environ: dict) -> tuple[int, bytes]:
    status = []
    result = app(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(status[0].split()[0]), body


def environs(case: Case) -> list[dict]:
    """One prepared environ per Authorization value; each call gets a copy with a new input
    stream (copying is done before the clock starts)."""
    prepared = []
    for authorization in case.authorizations:
        headers = {"Authorization": authorization} if authorization else {}
        if case.body is not None:
            headers["Content-Type"] = "application/json"
        builder = EnvironBuilder(path=case.path, method=case.method, headers=headers, data=case.body)
        prepared.append(builder.get_environ())
        builder.close()
    return prepared


def time_wsgi(app, case: Case, calls: int, warmup: int) -> dict:
    prepared = environs(case)
    body = (case.body or "").encode()
    samples = []
    for i in range(warmup + calls):
        environ = dict(prepared[i % len(prepared)])
        environ["wsgi.input"] = io.BytesIO(body)
        started = time.perf_counter_ns()
        status, answer = call_wsgi(app, environ)
        elapsed = time.perf_counter_ns() - started
        _check(case, status, answer, "in process")
        if i >= warmup:
            samples.append(elapsed)
    return summary(samples)


def in_process(calls: int, warmup: int) -> dict:
    """Microseconds per request for each case, on mocksmooch's app and on hello-world's."""
    from mocksmooch.app import create_app

    import hello

    app = create_app({})
    mock = app.extensions["mocksmooch"]
    target = Target.from_seed(mock.store.seed)
    conversation = _wsgi_json(app, "POST", target.conversations_path, target.new_conversation, target.basic, 201)
    fresh = mint_tokens(mock, target, warmup + calls)
    results = {case.name: time_wsgi(app, case, calls, warmup)
               for case in cases(target, conversation["conversation"]["id"], fresh)}
    results["hello-world GET (peer)"] = time_wsgi(hello.app, Case("hello-world GET", "GET", "/", [None]),
                                                  calls, warmup)
    return results


def _wsgi_json(app, method: str, path: str, body: dict, authorization: str, expect: int) -> dict:
    case = Case(f"{method} {path}", method, path, [authorization], json.dumps(body), expect)
    environ = environs(case)[0]
    status, answer = call_wsgi(app, environ)
    _check(case, status, answer, "in process")
    return json.loads(answer)


# --- the auth work of one JWT ---------------------------------------------------------------------

def auth_work(calls: int, warmup: int) -> dict:
    """The route guard's authentication alone (mocksmooch/api/guard.py `authenticate`: the
    Authorization header, the server's clock and verified-token cache, into
    mocksmooch.auth.authenticate), for a repeated token and for fresh ones.  Each call runs
    in a pushed request context; pushing it is not timed.  This is the figure for the
    "repeated JWT" target."""
    from mocksmooch.api import guard
    from mocksmooch.app import create_app

    app = create_app({})
    mock = app.extensions["mocksmooch"]
    target = Target.from_seed(mock.store.seed)
    fresh = mint_tokens(mock, target, warmup + calls)

    def authenticate():
        return guard.authenticate(mock)

    def timed(tokens: list[str]) -> dict:
        samples = []
        for i, token in enumerate(tokens):
            with app.test_request_context(target.user_path, headers={"Authorization": f"Bearer {token}"}):
                started = time.perf_counter_ns()
                principal = authenticate()
                elapsed = time.perf_counter_ns() - started
            if principal.scope != "app" or principal.method != "jwt":
                raise BenchmarkError(f"the guard authenticated {principal}, expected an app-scoped JWT")
            if i >= warmup:
                samples.append(elapsed)
        return summary(samples)

    return {"repeated token": timed([fresh[0]] * (warmup + calls)), "fresh token": timed(fresh)}


SLICES = 10  # loopback: each case's calls are timed in this many slices, the cases taking turns


def loopback(calls: int, warmup: int) -> dict:
    """The cases through mocksmooch.pytest_plugin.LiveServer (in this process, as in a test
    session) and hello-world's GET through the same server class, mocksmooch.server.Server,
    also in this process, both running at once: one requests.Session for both, one request at
    a time, each case's calls in SLICES slices taking turns with the other cases', so a drift
    of the machine's speed lands on all of them alike.  The ratio of the two GETs is what the
    mock adds to a bare Flask app under the plugin's server.  `connections` says whether each
    server kept the session's connection alive."""
    import requests

    import hello
    from mocksmooch.pytest_plugin import LiveServer
    from mocksmooch.server import Server

    mocksmooch = LiveServer({"FIXTURES": None})
    hello_world = Server(hello.app, "127.0.0.1", 0).start()
    try:
        with requests.Session() as session:
            mock = mocksmooch.app.extensions["mocksmooch"]
            target = Target.from_seed(mock.store.seed)
            created = session.post(mocksmooch.url + target.conversations_path, json=target.new_conversation,
                                   headers={"Authorization": target.basic}, timeout=30)
            if created.status_code != 201:
                raise BenchmarkError(f"creating a conversation: {created.status_code} {created.text[:300]}")
            fresh = mint_tokens(mock, target, warmup + calls)
            runs = [(mocksmooch.url, case) for case in cases(target, created.json()["conversation"]["id"], fresh)]
            runs.append((hello_world.url, Case("hello-world GET (peer)", "GET", "/", [None])))
            samples: dict[str, list[int]] = {case.name: [] for _, case in runs}
            for url, case in runs:
                _time_http(session, url, case, warmup, 0)
            per_slice = max(1, calls // SLICES)
            for slice_number in range(max(1, calls // per_slice)):
                for url, case in runs:
                    samples[case.name] += _time_http(session, url, case, per_slice, 0,
                                                     offset=warmup + slice_number * per_slice)
            connections = {"mocksmooch": _connection_reuse(session, mocksmooch.url, HEALTH),
                           "hello-world": _connection_reuse(session, hello_world.url, "/")}
    finally:
        hello_world.stop()
        mocksmooch.stop()
    return {"requests": {name: summary(timed) for name, timed in samples.items()}, "connections": connections}


def _connection_reuse(session, url: str, path: str) -> dict:
    """Whether the server kept the connection alive, asked after the timed calls with one
    more GET of `path`: the `Connection` header it answers, and how many TCP connections the
    session opened to it (urllib3's own count: 1 for every request means the one connection
    was reused throughout)."""
    response = session.get(url + path, timeout=30)
    pools = session.get_adapter(url).poolmanager.pools
    port = urlsplit(url).port
    mine = [pools[key] for key in pools.keys() if key.key_port == port]
    return {"connection_header": response.headers.get("Connection"), "http_version": response.raw.version,
            "connections_opened": sum(pool.num_connections for pool in mine),
            "requests": sum(pool.num_requests for pool in mine)}


def _time_http(session, url: str, case: Case, calls: int, warmup: int, offset: int = 0) -> list[int]:
    """Nanoseconds of each of `calls` requests of the case (after `warmup` untimed ones); a
    case's i-th request uses its (offset + i)-th Authorization value."""
    samples = []
    data = case.body.encode() if case.body is not None else None
    for i in range(warmup + calls):
        authorization = case.authorizations[(offset + i) % len(case.authorizations)]
        headers = {"Authorization": authorization} if authorization else {}
        if data is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter_ns()
        response = session.request(case.method, url + case.path, data=data, headers=headers, timeout=30)
        elapsed = time.perf_counter_ns() - started
        _check(case, response.status_code, response.content, "over loopback")
        if i >= warmup:
            samples.append(elapsed)
    return samples


def time_calls(call: Callable[[], int], expect: int, calls: int, warmup: int, what: str) -> dict:
    """Time a zero-argument call that returns an HTTP status."""
    samples = []
    for i in range(warmup + calls):
        started = time.perf_counter_ns()
        status = call()
        elapsed = time.perf_counter_ns() - started
        if status != expect:
            raise BenchmarkError(f"{what}: {status}, expected {expect}")
        if i >= warmup:
            samples.append(elapsed)
    return summary(samples)


def _check(case: Case, status: int, body: bytes, where: str) -> None:
    if status != case.expect:
        raise BenchmarkError(f"{case.name} {where}: {case.method} {case.path} answered {status}, "
                             f"expected {case.expect}: {body[:300]!r}")
