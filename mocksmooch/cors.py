"""CORS, so browser code (the Web Messenger, your single-page app, the dashboard) can call the mock.

Two modes, chosen with `mocksmooch serve --cors {dev,production}` (MOCKSMOOCH_CORS):

* `dev` (the default) never gets in the way: every response to an allowed Origin carries
  CORS headers, errors included, because a 401 without them reaches the SDK as an opaque
  network error and its JWT renewal (`onInvalidAuth`, smooch-auth.md 6.7) never runs.
* `production` reproduces the real service (smooch-auth.md 6.8): CORS headers only for
  appUser / user credentials and for unauthenticated SDK routes; none for app, account or
  integration credentials (documented), none when authentication fails, the expired-JWT 401
  included (observed: zendesk/sunshine-conversations-web#707).  Use it to see, before
  shipping, the browser errors production will give.

The control API and dashboard (`/_mocksmooch/`) are the mock's own surface: `dev` rules in
both modes.  Allowed origins (MOCKSMOOCH_CORS_ORIGINS) apply to every surface; `*`, the
default, reflects any Origin.  The allowed Origin is always reflected, never `*`, so the
answer is valid with credentials too.

Preflights (`OPTIONS` under /sdk, /v1, /v1.1, /v2, /_mocksmooch) are answered here, before
routing, whether or not a route exists for the method asked.  Actual responses get their
headers in an after_request hook, which reads the auth outcome the guard left in `flask.g`
(`g.principal`, `g.auth_error`).  Whenever a browser will block a response, the
X-Mocksmooch-Reason header says why; DevTools shows it on the failed request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, Response, g, request

from . import auth
from .api.errors import REASON_HEADER, header_safe
from .core import ConfigError

MODES = ("dev", "production")

# /sdk/..., /v1, /v1.1, /v2 and /_mocksmooch: the surfaces a browser may call.
_CORS_PATH = re.compile(r"^/(?:sdk|_mocksmooch|v1(?:\.1)?|v2)(?:/|$)")
_SDK_PATH = re.compile(r"^/sdk(?:/|$)")
_CONTROL_PATH = re.compile(r"^/_mocksmooch(?:/|$)")

ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
# What the SDKs send (smooch-auth.md 6.2): Authorization, Content-Type and the x-smooch-* /
# x-zendesk-* headers; a preflight that names any other is refused by the browser in production.
ALLOW_HEADERS = ("authorization", "content-type", "x-smooch-sdk", "x-smooch-appid",
                 "x-smooch-clientid", "x-zendesk-integrationid")
# Short enough that restarting the mock with other settings shows within minutes (Chrome
# caps it at 2 hours anyway), long enough not to double every SDK request.
MAX_AGE = 600
EXPOSE_HEADERS = REASON_HEADER

# Scopes whose credentials get CORS headers from the real service.
BROWSER_SCOPES = frozenset({"appUser", "user"})


@dataclass(frozen=True)
class Settings:
    mode: str
    origins: tuple[str, ...] | None  # None: any Origin
    patterns: tuple[re.Pattern, ...] = ()

    def allows(self, origin: str) -> bool:
        if self.origins is None:
            return True
        return any(pattern.fullmatch(origin.lower()) for pattern in self.patterns)

    def describe_origins(self) -> str:
        return "any" if self.origins is None else ", ".join(self.origins)


def settings_from(config) -> Settings:
    """The CORS settings of an app config; raises ConfigError naming the variable."""
    mode = config.get("CORS")
    mode = "dev" if mode in (None, "") else str(mode).strip().lower()
    if mode not in MODES:
        raise ConfigError(f"MOCKSMOOCH_CORS={config.get('CORS')!r}: must be one of {', '.join(MODES)}")
    origins = parse_origins(config.get("CORS_ORIGINS"))
    patterns = tuple(_pattern(origin) for origin in origins) if origins is not None else ()
    return Settings(mode, origins, patterns)


def parse_origins(value) -> tuple[str, ...] | None:
    """`*` (or unset) is any Origin; otherwise a comma-separated list (or a list) of origins,
    `scheme://host[:port]`, where `*` matches any run of characters but `/`
    (`http://localhost:*` is any port), and `null` is the origin of file:// pages."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    origins = []
    for item in items:
        origin = str(item).strip()
        if not origin:
            continue
        if origin == "*":
            return None
        origin = origin.rstrip("/") if "://" in origin else origin
        if origin != "null" and not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+", origin):
            raise ConfigError(
                f"MOCKSMOOCH_CORS_ORIGINS={value!r}: {origin!r} is not an origin; an origin is "
                f"scheme://host[:port] with no path (e.g. http://localhost:3000), `null`, or `*` for any")
        origins.append(origin)
    if not origins:
        raise ConfigError(f"MOCKSMOOCH_CORS_ORIGINS={value!r}: names no origin; use * for any origin")
    return tuple(origins)


def _pattern(origin: str) -> re.Pattern:
    return re.compile("[^/]*".join(re.escape(part) for part in origin.lower().split("*")))


def install(app: Flask) -> None:
    """Answer preflights and add CORS headers to actual responses, as app.config says."""
    settings = settings_from(app.config)
    app.extensions["mocksmooch.cors"] = settings

    @app.before_request
    def preflight():
        if request.method != "OPTIONS" or not _CORS_PATH.match(request.path):
            return None
        request.environ[_PREFLIGHT] = True
        return _preflight_response(settings)

    @app.after_request
    def actual(response: Response) -> Response:
        environ = request.environ
        if _PREFLIGHT in environ or not _CORS_PATH.match(environ.get("PATH_INFO", "")):
            return response
        _vary_on_origin(response)
        origin = environ.get("HTTP_ORIGIN")
        if origin is None or _same_origin(origin):
            return response  # not a cross-origin request: nothing for a browser to check
        if not settings.allows(origin):
            _add_reason(response, _refused_origin(origin, settings))
            return response
        dev_rules = settings.mode == "dev" or _CONTROL_PATH.match(request.path)
        withheld = None if dev_rules else _production_withholds()
        if withheld:
            _add_reason(response, f"CORS: no headers in production mode: {withheld}")
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        if dev_rules:
            response.headers["Access-Control-Allow-Credentials"] = "true"
        return response


# Marks a request answered as a preflight (in its WSGI environ: cheaper to reach than flask.g).
_PREFLIGHT = "mocksmooch.cors_preflight"


def _vary_on_origin(response: Response) -> None:
    """`Vary: Origin`, added to what the response varies on already.  Most responses vary on
    nothing else, and adding the header is cheaper than parsing it (`response.vary`)."""
    headers = response.headers
    if headers.get("Vary") is None:
        headers.add("Vary", "Origin")
    else:
        response.vary.add("Origin")


def _preflight_response(settings: Settings) -> Response:
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body, so no type
    response.vary.update(("Origin", "Access-Control-Request-Headers"))
    origin = request.headers.get("Origin")
    if origin is None:
        response.headers[REASON_HEADER] = "not a CORS preflight: no Origin header"
        return response
    if not settings.allows(origin):
        response.headers[REASON_HEADER] = header_safe(_refused_origin(origin, settings))
        return response
    dev_rules = settings.mode == "dev" or _CONTROL_PATH.match(request.path)
    headers = list(ALLOW_HEADERS)
    if dev_rules:  # echo whatever the page asks for
        asked = request.headers.get("Access-Control-Request-Headers", "")
        headers += [h for h in (part.strip().lower() for part in asked.split(",")) if h and h not in headers]
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = ", ".join(headers)
    response.headers["Access-Control-Max-Age"] = str(MAX_AGE)
    if dev_rules:
        response.headers["Access-Control-Allow-Credentials"] = "true"
    # Private Network Access: a page on a public origin calling the mock on localhost or the
    # LAN.  This is about where the mock runs, not about the real service, so both modes.
    if request.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
        response.headers["Access-Control-Allow-Private-Network"] = "true"
    return response


def _production_withholds() -> str | None:
    """Why the real service would send no CORS headers on this response, or None if it would."""
    error: auth.AuthError | None = g.get("auth_error")
    caller: auth.Principal | None = g.get("principal")
    if isinstance(error, auth.ExpiredToken):
        return "the real service omits them on the expired-JWT 401 (sunshine-conversations-web#707)"
    if caller is not None:
        if caller.scope in BROWSER_SCOPES:
            return None
        return (f"{caller.scope}-scoped credentials; the real service sends CORS headers only for "
                f"appUser and user credentials")
    if error is not None:
        return "authentication failed; the real service sends CORS headers only for appUser and user credentials"
    if _SDK_PATH.match(request.path) and "Authorization" not in request.headers:
        return None  # the SDK's unauthenticated routes: config, anonymous user creation
    return "no appUser or user credentials; the real service sends CORS headers only for those"


def _same_origin(origin: str) -> bool:
    return origin.rstrip("/").lower() == request.host_url.rstrip("/").lower()


def _refused_origin(origin: str, settings: Settings) -> str:
    return (f"CORS: origin {origin} is not allowed (allowed: {settings.describe_origins()}); "
            f"add it with --cors-origins or MOCKSMOOCH_CORS_ORIGINS")


def _add_reason(response: Response, reason: str) -> None:
    existing = response.headers.get(REASON_HEADER)
    text = f"{existing}; {reason}" if existing else reason
    response.headers[REASON_HEADER] = header_safe(text)
