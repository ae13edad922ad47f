"""Fault injection: rules that make the API misbehave on purpose, so users can test their retry logic.

A rule names which requests it hits (method, path glob, optionally the key id of the
credential) and what happens to them: an error status with a body and `Retry-After`, a
delay before the normal (or the error) response, or a connection dropped without a response.
It applies a limited number of `times`, or with a `probability` drawn from its own seeded
generator, so a run repeats exactly.

    faults = Faults()
    rule = faults.add({"method": "POST", "path": "/v2/apps/*/messages", "status": 429,
                       "retryAfter": 2, "times": 1})
    hit = faults.decide("POST", "/v2/apps/x/messages", key_id=None)   # the rule, once

This module knows nothing of Flask or HTTP: the gateway (mocksmooch.gateway) asks
`decide()` for every request before the app sees it, waits out a rule's delay and hands the
rule to the app in the WSGI environ (ENVIRON_KEY), where app.py turns it into a response;
control.py exposes the registry over HTTP.  Bad rules raise
FaultError, whose message starts with the field's name.
"""
from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import math
import random
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ANY = "*"
MAX_DELAY = 300.0          # seconds: longer than any client timeout worth testing
MAX_RETRY_AFTER = 86400    # seconds: a day
MAX_PATTERN = 1000
CONTROL_PREFIX = "/_mocksmooch"
ENVIRON_KEY = "mocksmooch.fault"  # the Rule that hit a request, in its WSGI environ
FIELDS = ("method", "path", "keyId", "status", "body", "contentType", "retryAfter", "delay",
          "drop", "times", "probability", "seed")

# The default body of an injected error: code and title, in the API's own words where the
# docs give them (smooch-auth.md 5.2, 5.3); other statuses use their HTTP reason phrase.
_DEFAULT_ERRORS = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authorization is required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Resource not found"),
    413: ("payload_too_large", "Request entity too large"),
    429: ("too_many_requests", "You are calling our APIs more frequently than we allow."),
    500: ("internal_error", "Internal server error"),
}


class FaultError(ValueError):
    """A rule that cannot be used; the message starts with the field it is about."""


@dataclass
class Rule:
    """One rule: which requests (method, path glob, key id) and what they get; `fired` counts
    the requests it hit.  Its generator is its own, so its draws depend on its matches only."""

    id: str
    method: str = ANY
    path: str = "*"
    key_id: str | None = None
    status: int | None = None
    body: Any = None
    content_type: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    drop: bool = False
    times: int | None = None        # None: no limit
    probability: float = 1.0
    seed: int = 0
    fired: int = 0
    generator: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.generator = random.Random(self.seed)

    def matches(self, method: str, path: str, key_id: str | None, preflight: bool) -> bool:
        if self.method == ANY:
            if preflight:  # a browser's CORS preflight: only a rule that names OPTIONS hits it
                return False
        elif self.method != method:
            return False
        if self.key_id is not None and self.key_id != key_id:
            return False
        return fnmatch.fnmatchcase(path, self.path)

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else max(self.times - self.fired, 0)

    def as_json(self) -> dict:
        return {"id": self.id, "method": self.method, "path": self.path, "keyId": self.key_id,
                "status": self.status, "body": self.body, "contentType": self.content_type,
                "retryAfter": self.retry_after, "delay": self.delay, "drop": self.drop,
                "times": self.times, "probability": self.probability, "seed": self.seed,
                "fired": self.fired, "remaining": self.remaining}

    def mark(self) -> dict:
        """What the journal says of a request this rule hit: its id and what it did."""
        mark: dict[str, Any] = {"id": self.id}
        if self.status is not None:
            mark["status"] = self.status
        if self.retry_after is not None:
            mark["retryAfter"] = self.retry_after
        if self.delay:
            mark["delay"] = self.delay
        if self.drop:
            mark["drop"] = True
        return mark


class Faults:
    """The rules of one mock, in the order they were added; the first that fires wins."""

    SEED = 0  # of the generator that gives rules without a `seed` theirs: runs repeat by default

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._next = 1
        self._seeds = random.Random(self.SEED)

    # --- the registry ----------------------------------------------------------------------

    def add(self, body: Any) -> Rule:
        """A new rule from its JSON form (see `FIELDS`); raises FaultError naming the field."""
        options = parse_rule(body)
        with self._lock:
            if "seed" not in options:
                options["seed"] = self._seeds.randrange(2**32)
            rule = Rule(id=f"f{self._next}", **options)
            self._next += 1
            self._rules.append(rule)
        return rule

    def rules(self) -> list[dict]:
        with self._lock:
            return [rule.as_json() for rule in self._rules]

    def get(self, rule_id: str) -> dict | None:
        with self._lock:
            rule = self._find(rule_id)
            return rule.as_json() if rule else None

    def delete(self, rule_id: str) -> dict | None:
        """The deleted rule's last state (how often it fired), or None if there is no such rule."""
        with self._lock:
            rule = self._find(rule_id)
            if rule is None:
                return None
            self._rules.remove(rule)
            return rule.as_json()

    def clear(self) -> None:
        """Forget every rule.  Ids keep counting, so an old id never names a new rule; default
        seeds start over, so the rules added next behave as after a reset."""
        with self._lock:
            self._rules.clear()
            self._seeds = random.Random(self.SEED)

    def reset(self) -> None:
        """As a fresh mock: no rules, ids from f1 again."""
        with self._lock:
            self._rules.clear()
            self._next = 1
            self._seeds = random.Random(self.SEED)

    def _find(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self._rules if rule.id == rule_id), None)

    # --- applying them ---------------------------------------------------------------------

    @property
    def armed(self) -> bool:
        """Whether any rule is set; without one, requests need not be read for them."""
        return bool(self._rules)

    def decide(self, method: str, path: str, key_id: str | None = None, *,
               preflight: bool = False) -> Rule | None:
        """The rule that fires for this request, counted as fired, or None.

        Rules are tried in the order they were added; a rule whose `times` are used up is
        skipped, and one with a probability draws from its own generator only when it
        matches, so its decisions depend on nothing but the requests it matches.
        """
        if not self._rules:
            return None
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return None  # the control API and dashboard stay usable, whatever the rules say
        with self._lock:
            for rule in self._rules:
                if rule.remaining == 0 or not rule.matches(method, path, key_id, preflight):
                    continue
                if rule.probability < 1 and rule.generator.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
        return None


# --- validation -------------------------------------------------------------------------------

def parse_rule(body: Any) -> dict:
    """Rule's keyword arguments from its JSON form; FaultError names the first bad field."""
    if not isinstance(body, dict):
        raise FaultError("a fault rule is a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise FaultError(f"{unknown[0]}: unknown field; a rule has {', '.join(FIELDS)}")
    options: dict[str, Any] = {}

    method = body.get("method", ANY)
    if method is None:
        method = ANY
    if not isinstance(method, str) or (method.upper() not in METHODS and method != ANY):
        raise FaultError(f"method: must be one of {', '.join(METHODS)}, or \"*\" for any")
    options["method"] = method.upper()

    path = body.get("path", "*")
    if path is None:
        path = "*"
    if not isinstance(path, str) or not path or len(path) > MAX_PATTERN or path[0] not in "/*?[":
        raise FaultError("path: must be a path pattern such as /v2/apps/*/users/* "
                         f"(a glob: * matches any run of characters, / included; at most {MAX_PATTERN} characters)")
    if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
        raise FaultError(f"path: the control API and dashboard ({CONTROL_PREFIX}/...) cannot be faulted")
    options["path"] = path

    key_id = body.get("keyId")
    if key_id is not None and (not isinstance(key_id, str) or not key_id or len(key_id) > 200):
        raise FaultError("keyId: must be a key id, such as app_6fdbf66a0f28ff7c6efa95b7")
    options["key_id"] = key_id

    status = body.get("status")
    if status is not None and (not _is_int(status) or not 400 <= status <= 599):
        raise FaultError("status: must be an HTTP error status, a whole number from 400 to 599")
    options["status"] = status

    drop = body.get("drop", False)
    if not isinstance(drop, bool):
        raise FaultError("drop: must be true or false")
    options["drop"] = drop

    delay = body.get("delay", 0)
    if delay is None:
        delay = 0
    if not _is_number(delay) or not 0 <= delay <= MAX_DELAY:
        raise FaultError(f"delay: must be a number of seconds from 0 to {MAX_DELAY:g}")
    options["delay"] = float(delay)

    for name in ("body", "contentType", "retryAfter"):
        if body.get(name) is not None and status is None:
            raise FaultError(f"{name}: only with a status (the response it belongs to)")
    if drop and status is not None:
        raise FaultError("drop: a dropped connection sends no response, so no status")

    if "body" in body and body["body"] is not None:
        try:
            size = len(json.dumps(body["body"], allow_nan=False))
        except (TypeError, ValueError, RecursionError):
            size = None
        if size is None or size > 100 * 1024:
            raise FaultError("body: must be JSON (no NaN or Infinity) of at most 100 kB")
    options["body"] = body.get("body")

    content_type = body.get("contentType")
    if content_type is not None and (not isinstance(content_type, str) or not content_type.strip()
                                     or len(content_type) > 200
                                     or not all(" " <= c <= "~" for c in content_type)):
        raise FaultError("contentType: must be a media type, such as text/html; charset=utf-8")
    if content_type is not None and not isinstance(options["body"], str):
        raise FaultError("contentType: only with a string body (other bodies are sent as JSON)")
    options["content_type"] = content_type

    retry_after = body.get("retryAfter")
    if retry_after is not None and (not _is_int(retry_after) or not 0 <= retry_after <= MAX_RETRY_AFTER):
        raise FaultError(f"retryAfter: must be a whole number of seconds from 0 to {MAX_RETRY_AFTER}")
    options["retry_after"] = retry_after

    times = body.get("times")
    if times is not None and (not _is_int(times) or times < 1):
        raise FaultError("times: must be a whole number of at least 1 (leave it out for no limit)")
    options["times"] = times

    probability = body.get("probability", 1)
    if probability is None:
        probability = 1
    if not _is_number(probability) or not 0 <= probability <= 1:
        raise FaultError("probability: must be a number from 0 to 1")
    options["probability"] = float(probability)

    if "seed" in body and body["seed"] is not None:
        if not _is_int(body["seed"]) or abs(body["seed"]) > 2**63:
            raise FaultError("seed: must be a whole number")
        options["seed"] = body["seed"]

    if status is None and not drop and not options["delay"]:
        raise FaultError("status: a rule needs a status, a delay or drop, or it does nothing")
    return options


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


# --- what a rule sends --------------------------------------------------------------------------

def default_error(status: int) -> tuple[str, str]:
    """(code, title) of an injected error without a body of its own."""
    if status in _DEFAULT_ERRORS:
        return _DEFAULT_ERRORS[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return ("error", f"Error {status}")
    return (phrase.lower().replace(" ", "_").replace("-", "_").replace("'", ""), phrase)


def credential_key_id(authorization: str | None) -> str | None:
    """The key id a request's credential names, read without checking it: the user of Basic
    auth, the `kid` of a Bearer JWT's header.  Faults strike in front of the API, as a
    gateway's would, so a rule for a key hits its requests whether or not they would pass."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    try:
        if scheme.lower() == "basic":
            user = base64.b64decode(value, validate=True).decode("utf-8").partition(":")[0]
            return user or None
        if scheme.lower() == "bearer":
            segment = value.split(".", 1)[0]
            header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
            kid = header.get("kid") if isinstance(header, dict) else None
            return kid if isinstance(kid, str) and kid else None
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    return None


# --- dropping a connection --------------------------------------------------------------------

class ConnectionDropped(ConnectionAbortedError):
    """Raised from the app's WSGI call to end the request with no response at all: the
    gateway (mocksmooch.gateway) closes the connection without sending a byte."""


def drop_connection() -> None:
    """End the request with no response; never returns."""
    raise ConnectionDropped("mocksmooch fault: connection dropped")
