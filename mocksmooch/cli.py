"""The `mocksmooch` command: serve, healthcheck, keys, token, routes, check.

Every option also reads a MOCKSMOOCH_* environment variable, so a container is
configured by env alone.
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys

from . import __version__, fixtures, logs
from .core import ConfigError, Mock, UnknownKey
from .store import Store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except fixtures.FixtureError as error:
        _print_fixture_errors(error)
        return 1
    except ConfigError as error:
        print(f"mocksmooch: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mocksmooch", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mocksmooch {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the mock API server")
    serve.add_argument("--host", help=f"address to bind (env MOCKSMOOCH_HOST, default {DEFAULT_HOST})")
    serve.add_argument("--port", type=_port, help=f"port to listen on (env MOCKSMOOCH_PORT, default {DEFAULT_PORT})")
    _fixtures_option(serve)
    serve.add_argument("--io-threads", type=_positive,
                       help="threads that read and write connections (Rust, outside Python; "
                            "env MOCKSMOOCH_IO_THREADS, default 1); requests run one at a time "
                            "on one event loop whatever this is")
    serve.add_argument("--threads", type=_positive, help=argparse.SUPPRESS)  # before 0.2: waitress's threads
    serve.add_argument("--log-format", type=_log_format, metavar="{text,json}",
                       help="one line per request, as text or JSON (env MOCKSMOOCH_LOG_FORMAT, default text)")
    serve.add_argument("--cors", type=_cors_mode, metavar="{dev,production}",
                       help="dev: CORS headers on every response, errors included; production: only "
                            "where the real service sends them (env MOCKSMOOCH_CORS, default dev)")
    serve.add_argument("--cors-origins", metavar="ORIGINS",
                       help="comma-separated origins browsers may call from, e.g. http://localhost:3000; "
                            "* reflects any Origin (env MOCKSMOOCH_CORS_ORIGINS, default *)")
    serve.add_argument("--state", metavar="FILE",
                       help="keep the state in this SQLite file, across restarts; a new file is seeded, "
                            "an existing one kept (env MOCKSMOOCH_STATE, default: in memory only)")
    serve.set_defaults(run=_serve)

    health = commands.add_parser("healthcheck", help="exit 0 if the server answers its health route")
    health.add_argument("--url", help="server to check (default: this machine's, "
                                      "http://127.0.0.1:$MOCKSMOOCH_PORT, as a container health check wants)")
    health.add_argument("--timeout", type=float, default=2.0, help="seconds to wait (default 2)")
    health.set_defaults(run=_healthcheck)

    keys = commands.add_parser("keys", help="print the seeded accounts, apps and keys")
    _fixtures_option(keys)
    keys.add_argument("--json", action="store_true", help="print the normalized seed as JSON")
    keys.set_defaults(run=_keys)

    token = commands.add_parser("token", help="print a JWT signed with a seeded key")
    _fixtures_option(token)
    token.add_argument("--key", required=True, help="key id (kid) to sign with")
    token.add_argument("--scope", required=True,
                       help="scope claim: app, appUser, user, account or integration")
    token.add_argument("--user-id", help="userId claim (appUser scope)")
    token.add_argument("--external-id", help="external_id claim (user scope)")
    token.add_argument("--expires-in", type=float, help="seconds until exp (default: no exp)")
    token.set_defaults(run=_token)

    routes = commands.add_parser("routes", help="print every route with the scopes it accepts")
    routes.add_argument("--markdown", action="store_true", help="as a Markdown table (docs/routes.md)")
    routes.set_defaults(run=_routes)

    check = commands.add_parser("check", help="validate a fixture file")
    check.add_argument("file")
    check.set_defaults(run=_check)
    return parser


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError("a port is a number from 0 to 65535")
    return port


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _log_format(text: str) -> str:
    if text.lower() not in logs.FORMATS:
        raise ValueError(f"must be one of {', '.join(logs.FORMATS)}")
    return text.lower()


def _cors_mode(text: str) -> str:
    if text.lower() not in ("dev", "production"):
        raise ValueError("must be one of dev, production")
    return text.lower()


def _env(name: str, default, parse=str):
    """A MOCKSMOOCH_* variable, parsed; unset or empty means `default`."""
    text = os.environ.get(name, "")
    if not text:
        return default
    try:
        return parse(text)
    except ValueError as error:
        raise ConfigError(f"{name}={text!r}: {error}") from None


def _env_port() -> int:
    # Docker links and Kubernetes set MOCKSMOOCH_PORT=tcp://<ip>:<port> for a service or
    # alias called "mocksmooch": that names the service, not a port to listen on.
    if os.environ.get("MOCKSMOOCH_PORT", "").startswith("tcp://"):
        return DEFAULT_PORT
    return _env("MOCKSMOOCH_PORT", DEFAULT_PORT, _port)


def _fixtures_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fixtures", default=os.environ.get("MOCKSMOOCH_FIXTURES") or None,
                        help="fixture file (env MOCKSMOOCH_FIXTURES, default: the packaged default seed)")


def _serve(args) -> int:
    from .app import create_app
    from .control import admin_token, open_control_api_warning
    from .server import Server

    host = args.host or _env("MOCKSMOOCH_HOST", DEFAULT_HOST)
    port = args.port if args.port is not None else _env_port()
    io_threads = args.io_threads or _env("MOCKSMOOCH_IO_THREADS", None, _positive)
    log_format = args.log_format or _env("MOCKSMOOCH_LOG_FORMAT", "text", _log_format)
    logs.configure(log_format)
    if args.threads or os.environ.get("MOCKSMOOCH_THREADS"):
        logging.getLogger("mocksmooch").warning(
            "mocksmooch: warning: --threads / MOCKSMOOCH_THREADS no longer apply (they set waitress's threads): requests run one at a "
            "time on an event loop, and waiting ones hold no thread; --io-threads sets the connection threads")
    cors = args.cors or _env("MOCKSMOOCH_CORS", "dev", _cors_mode)
    cors_origins = args.cors_origins if args.cors_origins is not None else _env("MOCKSMOOCH_CORS_ORIGINS", "*")
    state = args.state or _env("MOCKSMOOCH_STATE", None)
    app = create_app({"FIXTURES": args.fixtures, "CORS": cors, "CORS_ORIGINS": cors_origins, "STATE": state})
    request_lines = app.extensions["mocksmooch"].request_log = logs.RequestLines(sys.stdout, log_format)
    try:
        server = Server(app, host, port, io_threads=io_threads)
    except OSError as error:
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None

    seed = args.fixtures or ("MOCKSMOOCH_FIXTURES_JSON" if os.environ.get("MOCKSMOOCH_FIXTURES_JSON")
                             else "default seed")
    logging.getLogger("mocksmooch").info(
        "mocksmooch %s on %s (%s, CORS %s), state %s; dashboard: /_mocksmooch/, keys: `mocksmooch keys`",
        __version__, server.url, seed, app.config["CORS"], f"in {state}" if state else "in memory")
    exposed = open_control_api_warning(host, admin_token(app.config))
    if exposed:
        logging.getLogger("mocksmooch").warning("mocksmooch: warning: %s", exposed)
    # What start-up built (the app, its routes, the seed) lives as long as the process: out
    # of the collector's sight, a full collection no longer walks it, which was most of the
    # p99 latency under load (BENCHMARKS.md).
    gc.freeze()
    try:
        server.serve()  # until SIGTERM or SIGINT; requests in flight finish first
    finally:
        request_lines.close()
    logging.getLogger("mocksmooch").info("mocksmooch: %s received, stopped", " and ".join(server.signals) or "stop")
    return 0


def _healthcheck(args) -> int:
    from urllib.error import URLError
    from urllib.request import urlopen

    base = args.url or f"http://127.0.0.1:{_env_port()}"
    url = base.rstrip("/") + "/_mocksmooch/health"
    try:
        with urlopen(url, timeout=args.timeout) as response:
            healthy = response.status == 200 and json.load(response).get("status") == "ok"
    except (URLError, OSError, ValueError) as error:
        print(f"mocksmooch healthcheck: {url}: {error}", file=sys.stderr)
        return 1
    print(f"mocksmooch healthcheck: {url}: {'ok' if healthy else 'unhealthy'}")
    return 0 if healthy else 1


def _keys(args) -> int:
    seed = fixtures.load(args.fixtures)
    if args.json:
        print(json.dumps(seed, indent=2))
        return 0
    rows = [("KEY ID", "SECRET", "OWNER", "SCOPE")]
    for account in seed["accounts"]:
        owner = f"account {account['id']} ({account['name']})"
        rows += [(key["id"], key["secret"], owner, "account") for key in account["keys"]]
        for service_account in account["serviceAccounts"]:
            owner = (f"service account {service_account['id']} ({service_account['name']}; "
                     f"apps {', '.join(service_account['apps']) or 'none'})")
            rows += [(key["id"], key["secret"], owner, "account") for key in service_account["keys"]]
        for app in account["apps"]:
            owner = f"app {app['id']} ({app['name']})"
            rows += [(key["id"], key["secret"], owner, "app") for key in app["keys"]]
            for integration in app["integrations"]:
                owner = f"integration {integration['id']} ({integration['displayName']}) of app {app['id']}"
                rows += [(key["id"], key["secret"], owner, "integration") for key in integration["keys"]]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    return 0


def _token(args) -> int:
    mock = Mock(store=Store(fixtures.load(args.fixtures)))
    try:
        print(mock.mint(args.key, args.scope, user_id=args.user_id, external_id=args.external_id,
                        expires_in=args.expires_in))
    except UnknownKey as error:
        print(f"mocksmooch token: {error} in the seed; `mocksmooch keys` lists them", file=sys.stderr)
        return 1
    return 0


def _routes(args) -> int:
    from .app import create_app, route_table

    rows = route_table(create_app())
    if args.markdown:
        print("# Routes and who may call them\n\nGenerated by `mocksmooch routes --markdown` from each "
              "route's declared policy (`@requires(...)`, `@sdk_route(...)`); do not edit by hand.\n\n| method | path | who may call it |\n|---|---|---|")
        for method, path, policy in rows:
            print(f"| `{method}` | `{path}` | {policy} |")
        return 0
    width = max(len(path) for _, path, _ in rows)
    for method, path, policy in rows:
        print(f"{method:<7} {path:<{width}}  {policy}")
    return 0


def _check(args) -> int:
    seed = fixtures.load(args.file)
    accounts = seed["accounts"]
    apps = [app for account in accounts for app in account["apps"]]
    users = sum(len(app["users"]) for app in apps)
    keys = sum(len(a["keys"]) + sum(len(s["keys"]) for s in a["serviceAccounts"]) for a in accounts) + sum(
        len(app["keys"]) + sum(len(i["keys"]) for i in app["integrations"]) for app in apps)
    print(f"ok: {args.file}: {len(accounts)} accounts, {len(apps)} apps, {keys} keys, {users} users")
    return 0


def _print_fixture_errors(error: fixtures.FixtureError) -> None:
    print(f"mocksmooch: invalid fixture file {error.source}:", file=sys.stderr)
    for line in error.errors:
        print(f"  {line}", file=sys.stderr)
