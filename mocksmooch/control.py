"""The control API under /_mocksmooch/: JSON in and out, no Smooch credentials needed.

It is how tests, CI scripts and the CLI steer a running mock: reset it, move its
clock, mint tokens with the seeded keys, read what was seeded and what was requested.
"""
from __future__ import annotations

import math

from flask import Blueprint, jsonify

from . import fixtures
from .api.errors import ApiError
from .api.guard import mock
from .api.bodies import json_body
from .auth.principal import SIGNABLE_SCOPES
from .clock import parse_rfc3339, rfc3339
from .core import UnknownKey

control = Blueprint("control", __name__, url_prefix="/_mocksmooch")

SCOPES = sorted(set().union(*SIGNABLE_SCOPES.values()))
LAST_WRITABLE_SECOND = 253402300799  # 9999-12-31T23:59:59Z


def _bad(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


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
