"""The control API under /_mocksmooch/: JSON in and out, no Smooch credentials needed.

It is how tests, CI scripts and the CLI steer a running mock: reset it, move its
clock, mint tokens with the seeded keys, read what was seeded and what was requested.
"""
from __future__ import annotations

import hmac
import ipaddress
import math
import os
import socket

from flask import Blueprint, current_app, jsonify, request

from . import fixtures
from .api.errors import ApiError
from .api.guard import mock
from .api.bodies import json_body
from .auth.principal import SIGNABLE_SCOPES
from .clock import parse_rfc3339, rfc3339
from .core import UnknownKey
from .faults import FaultError

control = Blueprint("control", __name__, url_prefix="/_mocksmooch")

SCOPES = sorted(set().union(*SIGNABLE_SCOPES.values()))
LAST_WRITABLE_SECOND = 253402300799  # 9999-12-31T23:59:59Z


def _bad(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


# --- the admin token (MOCKSMOOCH_ADMIN_TOKEN) -------------------------------------------------
#
# Anyone who reaches the control API can mint tokens with every seeded key and read their
# secrets, so a mock reachable beyond this machine should be given a token.  It travels in a
# header of its own, never in Authorization, so it cannot be mistaken for (or logged as) a
# Smooch credential.  The pages of the dashboard are static and stay open; their calls to
# the control API need the token like any other caller's.

ADMIN_TOKEN_HEADER = "X-Mocksmooch-Admin-Token"
ADMIN_TOKEN_VARIABLE = "MOCKSMOOCH_ADMIN_TOKEN"
OPEN_ROUTES = {"control.health"}  # what container health checks call, without credentials


def admin_token(config) -> str | None:
    """The configured admin token, or None.  Flask reads MOCKSMOOCH_* variables as JSON when
    they parse (`123` becomes a number), so a token that is not a string is read raw."""
    value = config.get("ADMIN_TOKEN")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        value = os.environ.get(ADMIN_TOKEN_VARIABLE) or str(value)
    return value


@control.before_request
def require_admin_token():
    expected = admin_token(current_app.config)
    if expected is None or request.endpoint in OPEN_ROUTES:
        return None
    sent = request.headers.get(ADMIN_TOKEN_HEADER)
    if sent is None:
        raise ApiError(401, "unauthorized",
                       f"the control API needs the admin token ({ADMIN_TOKEN_VARIABLE}) "
                       f"in the {ADMIN_TOKEN_HEADER} header",
                       f"no {ADMIN_TOKEN_HEADER} header")
    # Header values reach WSGI as latin-1.  A client sends a non-ASCII token as UTF-8 bytes
    # (curl, requests) or as latin-1 (a browser's fetch): either matches, in constant time.
    as_utf8 = hmac.compare_digest(sent.encode("latin-1", "replace"), expected.encode("utf-8"))
    as_latin1 = hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))
    if not (as_utf8 or as_latin1):
        raise ApiError(401, "unauthorized", f"the {ADMIN_TOKEN_HEADER} header is not the admin token",
                       f"{ADMIN_TOKEN_HEADER} does not match {ADMIN_TOKEN_VARIABLE}")
    return None


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: addresses only this machine can reach.  Another name
    is loopback if everything it resolves to is (`127.1` too); one that does not resolve is not."""
    host = host.strip().strip("[]").lower()
    if host in ("localhost", "localhost.") or host.endswith(".localhost"):
        return True
    if not host:
        return False  # all interfaces
    try:
        addresses = [ipaddress.ip_address(host.split("%", 1)[0])]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0])
                         for info in socket.getaddrinfo(host, None)]
        except (OSError, ValueError, UnicodeError):
            return False
    return bool(addresses) and all(_loopback_address(address) for address in addresses)


def _loopback_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def open_control_api_warning(host: str, token: str | None) -> str | None:
    """The warning `mocksmooch serve` logs when it listens beyond loopback with the control
    API open to all, or None."""
    if token or is_loopback(host):
        return None
    return (f"the control API (/_mocksmooch/) is open to anyone who can reach {host}: it mints "
            f"tokens with every seeded key and shows their secrets. Set {ADMIN_TOKEN_VARIABLE} "
            f"to require a token, or listen on 127.0.0.1")


@control.get("/health")
def health():
    return jsonify({"status": "ok"})


@control.post("/reset")
def reset():
    """Back to the seed the mock started with, or, given `{"fixtures": {...}}` (the content of
    a fixture file), to that seed until the next reset."""
    body = json_body()
    unknown = sorted(set(body) - {"fixtures"})
    if unknown:
        raise _bad(f"unknown field(s) {unknown}; reset takes an optional \"fixtures\" object")
    seed = None
    if "fixtures" in body:
        try:
            seed = fixtures.normalize(body["fixtures"], "fixtures")
        except fixtures.FixtureError as error:
            raise ApiError(400, "invalid_fixtures", "; ".join(error.errors)) from None
    mock().reset(seed)
    return jsonify({"status": "ok", "clock": _clock_state()})


@control.get("/clock")
def get_clock():
    return jsonify(_clock_state())


@control.post("/clock")
def move_clock():
    body = json_body()
    actions = [name for name in ("advance", "set", "freeze") if name in body]
    unknown = sorted(set(body) - {"advance", "set", "freeze"})
    if unknown or len(actions) != 1:
        raise _bad('give exactly one of {"advance": <seconds>}, {"set": "<RFC 3339>"}, '
                   '{"freeze": true|false}' + (f"; unknown field(s) {unknown}" if unknown else ""))
    clock, value = mock().clock, body[actions[0]]
    if actions[0] == "advance":
        _within_calendar(clock.now() + _seconds(value, "advance"))
        clock.advance(value)
    elif actions[0] == "set":
        try:
            timestamp = parse_rfc3339(value)
        except ValueError as error:
            raise _bad(f"set: {error}") from None
        clock.set(_within_calendar(timestamp))
    else:
        if not isinstance(value, bool):
            raise _bad("freeze must be true or false")
        clock.freeze(value)
    return jsonify(_clock_state())


def _seconds(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(f"{name} must be a finite number of seconds")
    return value


def _within_calendar(timestamp: float) -> float:
    """Keep the clock where timestamps can be written: 1970 to 9999."""
    if not 0 <= timestamp <= LAST_WRITABLE_SECOND:
        raise _bad("the clock must stay between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
    return timestamp


def _clock_state() -> dict:
    clock = mock().clock
    return {"now": rfc3339(clock.now()), "frozen": clock.frozen}


@control.post("/tokens")
def mint_token():
    body = json_body()
    key_id, scope = body.get("keyId"), body.get("scope")
    if not isinstance(key_id, str) or not key_id:
        raise _bad("keyId is required: the id of a seeded or created key")
    if not isinstance(scope, str) or not scope:
        raise _bad(f"scope is required: one of {', '.join(SCOPES)}")
    for name in ("userId", "externalId"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise _bad(f"{name} must be a string")
    expires_in = body.get("expiresIn")
    if expires_in is not None:
        _seconds(expires_in, "expiresIn")
    unknown = sorted(set(body) - {"keyId", "scope", "userId", "externalId", "expiresIn"})
    if unknown:
        raise _bad(f"unknown field(s) {unknown}")
    try:
        token = mock().mint(key_id, scope, user_id=body.get("userId"),
                            external_id=body.get("externalId"), expires_in=expires_in)
    except UnknownKey as error:
        raise ApiError(404, "key_not_found", str(error)) from None
    return jsonify({"jwt": token})


@control.get("/fixtures")
def seeded_fixtures():
    return jsonify(mock().store.seed)


@control.get("/openapi.json")
def openapi_document():
    """The OpenAPI document of every route this server serves, with each route's security
    (built from the route table by mocksmooch.openapi)."""
    from flask import current_app, request

    from . import openapi

    return jsonify(openapi.document(current_app, server_url=request.host_url.rstrip("/")))


@control.get("/requests")
def list_requests():
    return jsonify({"requests": mock().journal.entries()})


@control.delete("/requests")
def clear_requests():
    mock().journal.clear()
    return jsonify({"requests": []})


# --- webhook deliveries (mocksmooch.webhooks) ------------------------------------------------

@control.get("/webhooks/deliveries")
def list_webhook_deliveries():
    """Every webhook call made since the last reset or clear, oldest first, and how many
    events are still queued (`pending`), so a test can wait for its webhooks."""
    webhooks = mock().webhooks
    return jsonify({"deliveries": webhooks.deliveries(), "pending": webhooks.pending()})


@control.delete("/webhooks/deliveries")
def clear_webhook_deliveries():
    mock().webhooks.clear()
    return jsonify({"deliveries": [], "pending": 0})


# --- fault injection (mocksmooch.faults) --------------------------------------------------------

@control.get("/faults")
def list_faults():
    """Every rule, in the order they are tried, with how often each fired."""
    return jsonify({"faults": mock().faults.rules()})


@control.post("/faults")
def add_fault():
    try:
        rule = mock().faults.add(json_body())
    except FaultError as error:
        raise _bad(str(error)) from None
    return jsonify({"fault": rule.as_json()}), 201


@control.get("/faults/<rule_id>")
def get_fault(rule_id: str):
    return jsonify({"fault": _fault_or_404(mock().faults.get(rule_id), rule_id)})


@control.delete("/faults/<rule_id>")
def delete_fault(rule_id: str):
    """The rule's last state, with how often it fired."""
    return jsonify({"fault": _fault_or_404(mock().faults.delete(rule_id), rule_id)})


@control.delete("/faults")
def clear_faults():
    mock().faults.clear()
    return jsonify({"faults": []})


def _fault_or_404(rule: dict | None, rule_id: str) -> dict:
    if rule is None:
        raise ApiError(404, "fault_not_found", f"no fault rule {rule_id!r}; GET /_mocksmooch/faults lists them")
    return rule
