"""create_app(config): the Flask application, configured in layers.

    defaults  <  MOCKSMOOCH_* environment variables  <  the `config` mapping

so `mocksmooch serve`, the container (env only) and tests (a mapping) build the same app.
"""
from __future__ import annotations

import time
from functools import cached_property
from typing import Any, Mapping

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from . import auth, cors, faults, fixtures
from .api.errors import REASON_HEADER, ApiError, auth_error_response, error_response
from .api.media import media
from .api.oauth import oauth
from .api.sdk import sdk
from .api.v1 import v1
from .api.v2 import v2
from .clock import Clock, parse_rfc3339
from .control import control
from .core import ConfigError, Mock
from .dashboard import dashboard
from .gateway import FAULT, MAX_BODY, STARTED
from .journal import Entry, Journal
from .store import StateFileError, Store

DEFAULTS: dict[str, Any] = {
    "FIXTURES": None,       # a fixture file; None is the packaged default seed
    "FIXTURES_JSON": None,  # or the fixture file's content itself
    "CLOCK_START": None,    # RFC 3339; None is the wall clock
    "JWT_LEEWAY": 0,        # seconds of grace on exp / nbf; the real service gives none
    "JOURNAL_SIZE": 1000,   # requests kept by the journal
    "MESSAGE_LIMIT": 30000,  # messages a conversation holds before 423, as the real service
    "CORS": "dev",          # dev: CORS headers on every response; production: as the real service
    "CORS_ORIGINS": "*",    # comma-separated origins allowed to call from a browser; * is any
    "STATE": None,          # SQLite file the state persists in across restarts; None: memory only
}

class _LazyRule(Rule):
    """A URL rule whose URL builders (two per rule, compiled from source when the rule is
    added: half of create_app's time for the mock's 345 rules) are compiled on first use.
    The mock builds almost no URLs, so most never are.  (Overrides Werkzeug's
    Rule._compile_builder, which Rule.compile calls and binds; tests/test_app.py builds URLs.)"""

    def _compile_builder(self, append_unknown: bool = True):
        compile_now = super()._compile_builder
        compiled = None

        def build(rule, *args, **kwargs):
            nonlocal compiled
            if compiled is None:
                compiled = compile_now(append_unknown)
            return compiled(rule, *args, **kwargs)

        return build


class _Flask(Flask):
    """Flask, asking once per function (not on every request, for every hook and view)
    whether it is a coroutine function; the docstring of Flask.ensure_sync invites this."""

    url_rule_class = _LazyRule

    def ensure_sync(self, func):
        synced = self._synced.get(func)
        if synced is None:
            synced = super().ensure_sync(func)
            if len(self._synced) < 10_000:  # hooks, views and handlers: a fixed set
                self._synced[func] = synced
        return synced

    @cached_property
    def _synced(self) -> dict:
        return {}

    def create_url_adapter(self, request):
        """The request's URL adapter, bound from the environ's values as they are: the mock
        matches neither hosts nor subdomains and builds no URLs for another host, so Flask's
        host parsing and checks (bind_to_environ) were work without a use, 6.5% of the
        instructions of a JWT GET of a user (BENCHMARKS.md).  Outside a request: Flask's."""
        if request is None:
            return super().create_url_adapter(None)
        environ = request.environ
        return self.url_map.bind(environ.get("HTTP_HOST") or environ["SERVER_NAME"], script_name="",
                                 subdomain="", url_scheme=environ["wsgi.url_scheme"],
                                 default_method=environ["REQUEST_METHOD"], path_info=request.path,
                                 query_args=environ.get("QUERY_STRING", ""))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = _Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("MOCKSMOOCH")
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # keep fields in the order the real API sends them
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY  # the gateway reads no more: 413 beyond

    app.extensions["mocksmooch"] = build_mock(app.config)
    app.register_blueprint(v2)
    app.register_blueprint(v1, url_prefix="/v1.1")
    app.register_blueprint(v1, url_prefix="/v1", name="v1_alias")
    app.register_blueprint(oauth)
    app.register_blueprint(sdk)
    app.register_blueprint(media)
    app.register_blueprint(control)
    app.register_blueprint(dashboard)
    _register_error_handlers(app)
    _register_journal(app)
    _register_faults(app)
    cors.install(app)
    return app


def build_mock(config: Mapping[str, Any]) -> Mock:
    """Load the seed (raises fixtures.FixtureError) and assemble store, clock and journal
    (raises ConfigError for a setting that cannot be used)."""
    inline = config.get("FIXTURES_JSON")
    if inline not in (None, ""):  # MOCKSMOOCH_FIXTURES_JSON: the seed itself, for containers without a mount
        seed = fixtures.normalize(inline, "MOCKSMOOCH_FIXTURES_JSON") if isinstance(inline, dict) \
            else fixtures.loads(str(inline), "MOCKSMOOCH_FIXTURES_JSON")
    else:
        seed = fixtures.load(config.get("FIXTURES") or None)
    _setting(config, "MESSAGE_LIMIT", _at_least_one)
    start = config.get("CLOCK_START")
    try:
        store = Store(seed, path=config.get("STATE") or None)
    except StateFileError as error:
        raise ConfigError(str(error)) from None
    return Mock(
        store=store,
        clock=Clock(start=_setting(config, "CLOCK_START", parse_rfc3339) if start else None),
        journal=Journal(_setting(config, "JOURNAL_SIZE", _at_least_one)),
        verify_options=auth.VerifyOptions(leeway=_setting(config, "JWT_LEEWAY", _seconds)),
    )


def _setting(config: Mapping[str, Any], name: str, parse):
    try:
        return parse(config[name])
    except (TypeError, ValueError) as error:
        raise ConfigError(f"MOCKSMOOCH_{name}={config[name]!r}: {error}") from None


def _at_least_one(value) -> int:
    if isinstance(value, bool) or int(value) < 1:
        raise ValueError("must be a whole number of at least 1")
    return int(value)


def _seconds(value) -> float:
    if isinstance(value, bool) or not 0 <= float(value) < 86400 * 366:
        raise ValueError("must be a number of seconds from 0 to a year")
    return float(value)


def route_table(app: Flask) -> list[tuple[str, str, str]]:
    """(method, path, who may call it) for every API route, read from the routes' own
    policies; /v1 routes are listed once, as their /v1.1 twins."""
    rows = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("v1_alias.", "static")):
            continue
        policy = getattr(app.view_functions[rule.endpoint], "policy", None)
        who = str(policy) if policy is not None else "control API (MOCKSMOOCH_ADMIN_TOKEN, when set)"
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rows.append((method, path, who))
    order = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
    return sorted(rows, key=lambda row: (row[1].startswith("/_"), row[1], order.get(row[0], 9)))


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(auth.AuthError)
    def refused(error: auth.AuthError):
        g.auth_error = error
        return auth_error_response(error)

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error_response(error.status, error.code, error.message, error.reason)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                500: "internal_error"}.get(error.code, "bad_request")
        title = {404: "Resource not found", 405: "Method not allowed"}.get(error.code, error.name)
        return error_response(error.code or 400, code, title, error.description)

    @app.errorhandler(Exception)
    def crashed(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Internal server error", repr(error))


def _register_journal(app: Flask) -> None:
    """Every request goes to the journal (the control API's own excepted) and to the log (but
    for what health checks and an open dashboard poll).  This runs on every request, so it
    reads the request once and leaves the rendering to whoever reads the entry."""
    mock: Mock = app.extensions["mocksmooch"]
    app.wsgi_app = _stamp_start(app.wsgi_app)

    @app.after_request
    def record(response):
        req = request._get_current_object()  # one context look-up instead of one per attribute
        context = g._get_current_object()
        status = response.status_code  # the reason phrase is hyper's ("401 Unauthorized")
        fault = getattr(context, "fault", None)
        entry = Entry(
            time=mock.clock.now(), method=req.method, path=req.path,
            query=req.query_string.decode("latin-1"),
            status=None if fault is not None and fault.get("drop") else status,  # dropped: nothing sent
            principal=getattr(context, "principal", None), error=getattr(context, "auth_error", None),
            reason=getattr(context, "auth_reason", None),
            duration_ms=(time.perf_counter() - req.environ[STARTED]) * 1000,
            fault=fault)
        if not _is_control(entry.path):
            mock.journal.record(entry)
        if not (entry.method == "GET" and _is_polled(entry.path)):
            mock.request_log(entry)
        return response


def _stamp_start(wsgi_app):
    """When the request arrived, in its WSGI environ, for the journal's durationMs (the
    gateway stamps it before it reads the body or waits out a fault's delay)."""
    def stamped(environ, start_response):
        environ.setdefault(STARTED, time.perf_counter())
        return wsgi_app(environ, start_response)
    return stamped


def _register_faults(app: Flask) -> None:
    """Fault rules (mocksmooch.faults, managed at /_mocksmooch/faults) strike in the gateway,
    before routing and authentication, as a gateway in front of the API would: it decides
    and waits out a rule's delay; here the rule's answer is given (its status, or a dropped
    connection), so that the journal and CORS see it as any other response.  The journal
    entry of a request a rule hit carries `fault`: the rule's id and what it did."""

    @app.before_request
    def inject_fault():
        rule = request.environ.get(FAULT)
        if rule is None:
            return None
        g.fault = rule.mark()
        if rule.drop:
            return _DroppedConnection()
        if rule.status is None:
            return None  # only slow: the request goes on as usual
        return _fault_response(rule)


def _fault_response(rule: faults.Rule) -> Response:
    """The rule's status and body; without a body, the error envelope of the path's API version."""
    reason = f"fault {rule.id} injected"
    if rule.body is None:
        code, title = faults.default_error(rule.status)
        response = error_response(rule.status, code, title, reason)
    elif isinstance(rule.body, str):
        response = Response(rule.body, status=rule.status,
                            content_type=rule.content_type or "text/plain; charset=utf-8")
    else:
        response = jsonify(rule.body)
        response.status_code = rule.status
    response.headers[REASON_HEADER] = reason
    if rule.retry_after is not None:
        response.headers["Retry-After"] = str(rule.retry_after)
    return response


class _DroppedConnection(Response):
    """Goes through the after-request hooks (the journal) like any response, then, instead of
    being sent, closes the connection (faults.drop_connection)."""

    def __call__(self, environ, start_response):
        faults.drop_connection()


def _is_control(path: str) -> bool:
    """The mock's own surface (control API, dashboard): not part of what the journal records."""
    return path == "/_mocksmooch" or path.startswith("/_mocksmooch/")


# GETs that container health checks and an open dashboard repeat every second or so.
_POLLED = ("/_mocksmooch/health", "/_mocksmooch/clock", "/_mocksmooch/requests", "/_mocksmooch/assets/")


def _is_polled(path: str) -> bool:
    return path.startswith(_POLLED)
