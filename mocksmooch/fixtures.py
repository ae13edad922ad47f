"""Fixture files: load, validate, generate.

`load(path)` reads a fixture file (or the packaged default seed when `path` is None),
validates it and returns the *normalized seed*: the same camelCase shape as the file, with
every id and secret filled in and every `generate` block expanded.  Everything downstream
(the store, `mocksmooch keys`, `GET /_mocksmooch/fixtures`) reads only the normalized seed.

The steps, in the order they run:

1. read the file, 2. parse the JSON, 3. validate it against `fixtures/schema.json`,
4. check what a schema cannot express (duplicate ids, key prefixes that contradict their
owner, service accounts granted foreign apps...), 5. fill in what was left out.

Steps 3 and 4 collect every problem before failing, so one run shows them all.

Generated values never come from the clock or a global random state: each is derived from
the faker seed and the JSON path of the object it belongs to (`accounts[0].apps[1]`).  So a
file always gives the same seed, byte for byte, and editing one object does not change the
values generated for the others.
"""
from __future__ import annotations

import base64
import bisect
import copy
import difflib
import gc
import hashlib
import itertools
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from typing import TYPE_CHECKING

from .auth.principal import KEY_PREFIXES
from .domain.integrations import MAX_WEBHOOKS_PER_APP

if TYPE_CHECKING:  # imported where used: a third of the start-up time, and not needed to
    import jsonschema  # serve the prebuilt default seed
    from faker import Faker

DEFAULT_SEED = Path(__file__).parent / "seeds" / "default.json"
SCHEMA = Path(__file__).parent / "seeds" / "schema.json"
# The default seed, normalized ahead of time with its file's digest: `mocksmooch serve` and
# the pytest plugin start on it without validating and generating it again (jsonschema and
# Faker are then never imported).  tests/test_fixtures.py keeps it equal to what `load`
# makes of the file; `python -m mocksmooch.fixtures` writes it again.
PREBUILT_DEFAULT = Path(__file__).parent / "default.normalized.json"

DEFAULT_FAKER_SEED = 0
DEFAULT_LOCALE = "en_US"

# The key-id prefix (without its underscore) that each kind of key owner gives its keys.
KEY_PREFIX = {owner: prefix.rstrip("_") for owner, prefix in KEY_PREFIXES.items()}
PREFIXED_KEY_ID = re.compile(r"^(act|svc|app|int)_[0-9a-f]{24}$")

# Generated users signed up within the two years before this fixed instant.
SIGNED_UP_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
SIGNED_UP_SPAN_MS = 2 * 365 * 24 * 3600 * 1000
_NAIVE_SIGNED_UP_EPOCH = SIGNED_UP_EPOCH.replace(tzinfo=None)  # still UTC

INTEGRATION_LABEL = {"custom": "Custom integration", "web": "Web Messenger",
                     "ios": "iOS SDK", "android": "Android SDK"}

KIND_LABEL = {"account": "account", "serviceAccount": "service account", "app": "app",
              "integration": "integration", "user": "user", "key": "key",
              "webhook": "webhook", "oauthClient": "OAuth client", "device": "device"}

# A seeded webhook without `triggers` gets the one trigger every bot needs.
DEFAULT_WEBHOOK_TRIGGERS = ("conversation:message",)

JsonPath = tuple  # field names (str) and list indexes (int): ("accounts", 0, "id")


class FixtureError(Exception):
    """A fixture file that cannot be loaded; `errors` holds one "json.path: message" per problem."""

    def __init__(self, source: str, errors: list[str]):
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: " + "; ".join(errors))


# --------------------------------------------------------------------------- public API

def load(path: str | Path | None = None) -> dict:
    """Read, validate and normalize a fixture file (the default seed if `path` is None)."""
    if path is None:
        text = _read(DEFAULT_SEED)
        return _prebuilt(text) or loads(text, str(DEFAULT_SEED))
    return loads(_read(Path(path)), str(path))


def _prebuilt(text: str) -> dict | None:
    """The prebuilt normalized default seed, if it was built from exactly `text`."""
    try:
        prebuilt = json.loads(PREBUILT_DEFAULT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(prebuilt, dict) or prebuilt.get("source") != _digest_of(text):
        return None
    return prebuilt.get("seed")


def _digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_prebuilt_default() -> Path:
    """Normalize the default seed file and store the result as PREBUILT_DEFAULT."""
    text = _read(DEFAULT_SEED)
    seed = loads(text, str(DEFAULT_SEED))
    PREBUILT_DEFAULT.write_text(json.dumps({"source": _digest_of(text), "seed": seed}, indent=1) + "\n",
                                encoding="utf-8")
    return PREBUILT_DEFAULT


def loads(text: str, source: str = "<inline>") -> dict:
    """Like `load`, for fixture JSON already in memory (e.g. sent to the control API)."""
    return normalize(_parse(text, source), source)


def normalize(raw: object, source: str = "<inline>") -> dict:
    """Validate an already-parsed fixture object and return its normalized seed.

    Raises FixtureError listing every schema and consistency problem, sorted by path.
    A normalized seed is itself a valid fixture, and normalizing it again changes nothing.
    """
    with _collector_paused():
        problems = _schema_problems(raw) + _consistency_problems(raw)
        if problems:
            raise FixtureError(source, _render(problems))
        return _fill(raw)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off meanwhile.  A seed holds no cycles, yet each collection
    of the oldest generation walks every object made so far: for a `generate` of 100,000
    users, an eighth of the time spent finding nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------- read & parse

def _read(path: Path) -> str:
    """The file's text; every way of not getting it becomes a FixtureError at `$`."""
    try:
        return path.read_text(encoding="utf-8-sig")  # -sig: tolerate a BOM from Windows editors
    except FileNotFoundError:
        reason = "file not found"
    except IsADirectoryError:
        reason = "not a file but a directory"
    except PermissionError:
        reason = "cannot read the file: permission denied"
    except UnicodeDecodeError as e:
        reason = f"the file is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start})"
    except OSError as e:
        reason = f"cannot read the file: {e.strerror or e}"
    raise FixtureError(str(path), [f"$: {reason}: {path}"])


class _RepeatedFields(dict):
    """A parsed JSON object in which some field appeared twice (JSON keeps only the last)."""

    repeated: list[str]


def _object_hook(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _RepeatedFields(obj)
    marked.repeated = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    return marked


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _parse(text: str, source: str) -> object:
    """Parse JSON strictly: no NaN/Infinity, and repeated fields are remembered for checking."""
    if not text.strip():
        raise FixtureError(source, ["$: the file is empty; a fixture is a JSON object"])
    try:
        return json.loads(text, object_pairs_hook=_object_hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise FixtureError(source, [f"$: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}"])
    except ValueError as e:
        raise FixtureError(source, [f"$: malformed JSON: {e}"])
    except RecursionError:
        raise FixtureError(source, ["$: malformed JSON: nested too deeply"])


# --------------------------------------------------------------------------- schema

@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def _schema_problems(raw: object) -> list[tuple[JsonPath, str]]:
    """Every schema violation, each rephrased in plain English at its JSON path."""
    problems = []
    for error in _validator().iter_errors(raw):
        path = tuple(error.absolute_path)
        problems += [(path, message) for message in _explain(error)]
    return problems


def _explain(error: jsonschema.ValidationError) -> list[str]:
    kind, expected, value, schema = error.validator, error.validator_value, error.instance, error.schema
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        unknown = [k for k in value if k not in allowed]
        return [f"unknown field {_show(k)} (allowed here: {', '.join(allowed)})" for k in unknown]
    if kind == "required":
        return [f"missing required field {_show(k)}" for k in expected if k not in value]
    if kind == "type":
        types = [expected] if isinstance(expected, str) else expected
        return [f"expected {' or '.join(_TYPE_NAMES[t] for t in types)}, got {_describe(value)}"]
    if kind == "pattern":
        return [f"{_show(value)} is not a valid {schema.get('title', 'value')}: "
                f"expected {schema.get('description', 'a match for ' + expected)}"]
    if kind == "enum":
        return [f"{_show(value)} is not a valid {schema.get('title', 'value')}: "
                f"expected one of {', '.join(_show(v) for v in expected)}"]
    if kind == "minLength":
        if expected == 1:
            return ["must not be empty"]
        return [f"{_show(value)} is too short: at least {expected} characters are required"]
    if kind == "maxLength":
        return [f"{_show(value)} is too long: {len(value)} characters, at most {expected} are allowed"]
    if kind == "minItems":
        return ["must not be empty" if expected == 1 else f"must have at least {expected} items"]
    if kind == "uniqueItems":
        repeated = sorted({_show(v) for i, v in enumerate(value) if v in value[:i]})
        return [f"lists {', '.join(repeated)} more than once"]
    if kind == "minimum":
        return [f"{value} is less than the minimum of {expected}"]
    if kind == "maximum":
        return [f"{value} is more than the maximum of {expected}"]
    return [error.message]


_TYPE_NAMES = {"object": "an object", "array": "a list", "string": "a string",
               "integer": "an integer", "number": "a number", "boolean": "true or false",
               "null": "null"}


# --------------------------------------------------------------------------- consistency

@dataclass
class _Node:
    """One object of the fixture, where it sits, and what it belongs to."""

    kind: str  # "account", "serviceAccount", "app", "integration", "user", "key", "webhook" or "oauthClient"
    path: JsonPath
    obj: dict
    owner: _Node | None = None


def _children(obj: object, field: str) -> Iterator[tuple[int, dict]]:
    """The objects in list `field` of `obj`, skipping anything malformed (the schema reports it)."""
    items = obj.get(field) if isinstance(obj, dict) else None
    if isinstance(items, list):
        for i, item in enumerate(items):
            if isinstance(item, dict):
                yield i, item


def _walk(raw: object) -> Iterator[_Node]:
    """Every account, service account, app, integration (with its keys and webhooks), user
    and key, in file order, then every OAuth client."""
    def keys(owner: _Node) -> Iterator[_Node]:
        for k, key in _children(owner.obj, "keys"):
            yield _Node("key", owner.path + ("keys", k), key, owner)

    for a, account_obj in _children(raw, "accounts"):
        account = _Node("account", ("accounts", a), account_obj)
        yield account
        yield from keys(account)
        for s, sa_obj in _children(account_obj, "serviceAccounts"):
            sa = _Node("serviceAccount", account.path + ("serviceAccounts", s), sa_obj, account)
            yield sa
            yield from keys(sa)
        for p, app_obj in _children(account_obj, "apps"):
            app = _Node("app", account.path + ("apps", p), app_obj, account)
            yield app
            yield from keys(app)
            for i, integration_obj in _children(app_obj, "integrations"):
                integration = _Node("integration", app.path + ("integrations", i), integration_obj, app)
                yield integration
                yield from keys(integration)
                for w, webhook_obj in _children(integration_obj, "webhooks"):
                    yield _Node("webhook", integration.path + ("webhooks", w), webhook_obj, integration)
            for u, user_obj in _children(app_obj, "users"):
                user = _Node("user", app.path + ("users", u), user_obj, app)
                yield user
                for d, device_obj in _children(user_obj, "devices"):
                    yield _Node("device", user.path + ("devices", d), device_obj, user)
    for c, client_obj in _children(raw, "oauthClients"):
        yield _Node("oauthClient", ("oauthClients", c), client_obj)


def _consistency_problems(raw: object) -> list[tuple[JsonPath, str]]:
    """What the schema cannot express.  Tolerates malformed input: the schema reports that."""
    nodes = list(_walk(raw))
    seed = _seed_or_none(raw)
    return (_repeated_fields(raw)
            + _locale_problems(raw)
            + _key_prefix_problems(nodes)
            + _integration_key_problems(nodes)
            + _webhook_problems(nodes)
            + _signed_up_at_problems(nodes)
            + _duplicate_id_problems(nodes, seed)
            + _external_id_problems(nodes)
            + _device_problems(nodes, seed)
            + _service_account_problems(nodes, seed))


def _repeated_fields(value: object, path: JsonPath = ()) -> list[tuple[JsonPath, str]]:
    problems = []
    if isinstance(value, _RepeatedFields):
        problems += [(path, f"field {_show(k)} appears more than once; JSON keeps only the last one")
                     for k in value.repeated]
    if isinstance(value, dict):
        for k, v in value.items():
            problems += _repeated_fields(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            problems += _repeated_fields(v, path + (i,))
    return problems


def _locale_problems(raw: object) -> list[tuple[JsonPath, str]]:
    faker_block = raw.get("faker") if isinstance(raw, dict) else None
    locale = faker_block.get("locale") if isinstance(faker_block, dict) else None
    if not isinstance(locale, str):
        return []
    from faker.config import AVAILABLE_LOCALES

    if locale in AVAILABLE_LOCALES:
        return []
    guess = difflib.get_close_matches(locale.replace("-", "_"), AVAILABLE_LOCALES, n=1)
    hint = f"did you mean {_show(guess[0])}?" if guess else "use one such as en_US, fr_FR or ja_JP"
    return [(("faker", "locale"), f"unknown Faker locale {_show(locale)}; {hint}")]


def _key_prefix_problems(nodes: list[_Node]) -> list[tuple[JsonPath, str]]:
    """A prefixed key id must carry its owner's prefix: the prefix decides the key's scope."""
    problems = []
    for node in nodes:
        key_id = node.obj.get("id")
        match = PREFIXED_KEY_ID.match(key_id) if node.kind == "key" and isinstance(key_id, str) else None
        if not match:
            continue
        owner_kind = node.owner.kind
        expected, actual = KEY_PREFIX[owner_kind], match.group(1)
        if actual != expected:
            actual_owner = next(k for k, p in KEY_PREFIX.items() if p == actual)
            problems.append((node.path + ("id",),
                             f"key id {_show(key_id)} has the {actual}_ prefix of {_a(actual_owner)} key, "
                             f"but it belongs to {_a(owner_kind)}; {KIND_LABEL[owner_kind]} key ids start "
                             f"with {expected}_ (or are legacy ids without a prefix)"))
    return problems


def _integration_key_problems(nodes: list[_Node]) -> list[tuple[JsonPath, str]]:
    """Only custom integrations have API keys; the SDK integrations (web, ios, android) do not."""
    problems = []
    for node in nodes:
        kind = node.obj.get("type")
        if node.kind == "integration" and kind in INTEGRATION_LABEL and kind != "custom" and node.obj.get("keys"):
            problems.append((node.path + ("keys",),
                             f"{_a(kind)} integration cannot have keys; "
                             "only custom integrations have API keys"))
    return problems


def _webhook_problems(nodes: list[_Node]) -> list[tuple[JsonPath, str]]:
    """Only custom integrations have webhooks, and an app at most MAX_WEBHOOKS_PER_APP of
    them (the v2 API refuses the 11th with a 400)."""
    problems = []
    per_app: Counter = Counter()
    for node in nodes:
        if node.kind == "integration":
            kind = node.obj.get("type")
            if kind in INTEGRATION_LABEL and kind != "custom" and node.obj.get("webhooks"):
                problems.append((node.path + ("webhooks",),
                                 f"{_a(kind)} integration cannot have webhooks; "
                                 "only custom integrations have webhooks"))
        elif node.kind == "webhook":
            app_path = node.owner.owner.path
            per_app[app_path] += 1
            if per_app[app_path] == MAX_WEBHOOKS_PER_APP + 1:
                problems.append((node.path, f"an app is limited to {MAX_WEBHOOKS_PER_APP} webhooks; "
                                            f"this is webhook {MAX_WEBHOOKS_PER_APP + 1} of {_fmt(app_path)}"))
    return problems


def _signed_up_at_problems(nodes: list[_Node]) -> list[tuple[JsonPath, str]]:
    """The schema checks the timestamp's shape; this checks that the date exists."""
    problems = []
    for node in nodes:
        value = node.obj.get("signedUpAt")
        if node.kind != "user" or not isinstance(value, str) or not _TIMESTAMP.match(value):
            continue
        try:
            _parse_timestamp(value)
        except (ValueError, OverflowError) as e:
            problems.append((node.path + ("signedUpAt",), f"{_show(value)} is not a real date and time: {e}"))
    return problems


def _duplicate_id_problems(nodes: list[_Node], seed: int | None) -> list[tuple[JsonPath, str]]:
    """Ids must be unique per kind (keys: across the whole file), generated ids included.

    Generated ids are included because one pasted from `mocksmooch keys` into another
    object would otherwise silently shadow the object it was generated for.
    """
    first_seen: dict[tuple[str, str], tuple[JsonPath, bool]] = {}
    problems = []
    for kind, object_id, path, explicit in _all_ids(nodes, seed):
        namespace = (kind, object_id)
        if namespace not in first_seen:
            first_seen[namespace] = (path, explicit)
            continue
        other_path, other_explicit = first_seen[namespace]
        if explicit:
            where = _fmt(other_path) if other_explicit else f"the id generated for {_fmt(other_path)}"
            problems.append((path + ("id",), f"duplicate {KIND_LABEL[kind]} id {_show(object_id)}: also used by {where}"))
        else:  # two generated ids never collide, so the first one was written out
            problems.append((other_path + ("id",), f"duplicate {KIND_LABEL[kind]} id {_show(object_id)}: "
                             f"also the id generated for {_fmt(path)}; write out an id there"))
    return problems


def _all_ids(nodes: list[_Node], seed: int | None) -> Iterator[tuple[str, str, JsonPath, bool]]:
    """(kind, id, path, written out?) for every object, generated users included if any user
    id is written out: two generated ids never collide, so without one there is nothing to
    find among theirs (and a `generate` of 100,000 users need not be derived twice)."""
    user_id_written = any(node.kind == "user" and "id" in node.obj for node in nodes)
    for node in nodes:
        object_id = _effective_id(node, seed)
        if object_id is not None:
            yield node.kind, object_id, node.path, "id" in node.obj
        if node.kind == "app" and seed is not None and user_id_written:
            for path, where in _generated_user_paths(node):
                yield "user", _derived_id_at(seed, where), path, False


def _external_id_problems(nodes: list[_Node]) -> list[tuple[JsonPath, str]]:
    first_seen: dict[tuple[JsonPath, str], JsonPath] = {}
    problems = []
    for node in nodes:
        external_id = node.obj.get("externalId")
        if node.kind != "user" or not isinstance(external_id, str):
            continue
        other = first_seen.setdefault((node.owner.path, external_id), node.path)
        if other != node.path:
            problems.append((node.path + ("externalId",),
                             f"duplicate externalId {_show(external_id)} in this app: also used by {_fmt(other)}"))
    return problems


def _device_problems(nodes: list[_Node], seed: int | None) -> list[tuple[JsonPath, str]]:
    """A device's integration must be an SDK integration of its user's app, of its type."""
    problems = []
    for node in nodes:
        wanted = node.obj.get("integrationId") if node.kind == "device" else None
        if not isinstance(wanted, str):
            continue
        app = node.owner.owner
        types = {_effective_id(i, seed): i.obj.get("type") for i in nodes
                 if i.kind == "integration" and i.owner is app}
        if wanted not in types:
            problems.append((node.path + ("integrationId",), f"{_show(wanted)} is not an integration of this app"))
        elif types[wanted] != node.obj.get("type"):
            problems.append((node.path + ("integrationId",), f"{_show(wanted)} is a {types[wanted]} integration, "
                             f"not a {node.obj.get('type')} one"))
    return problems


def _service_account_problems(nodes: list[_Node], seed: int | None) -> list[tuple[JsonPath, str]]:
    """A service account may only be granted apps of its own account, each once."""
    apps = [n for n in nodes if n.kind == "app"]
    problems = []
    for sa in (n for n in nodes if n.kind == "serviceAccount"):
        own = {_effective_id(app, seed): app for app in apps if app.owner is sa.owner}
        granted = sa.obj.get("apps")
        if not isinstance(granted, list):
            continue
        seen: set[str] = set()
        for j, app_id in enumerate(granted):
            if not isinstance(app_id, str):
                continue
            path = sa.path + ("apps", j)
            if app_id in seen:
                problems.append((path, f"app {_show(app_id)} is granted more than once"))
            seen.add(app_id)
            if app_id in own or None in own:  # None: an app id cannot be derived, so we cannot tell
                continue
            elsewhere = [app for app in apps if _effective_id(app, seed) == app_id]
            if elsewhere:
                message = (f"app {_show(app_id)} belongs to another account ({_fmt(elsewhere[0].path)}); "
                           "a service account can only be granted apps of its own account")
            elif own:
                message = (f"app {_show(app_id)} is not one of this account's apps "
                           f"({', '.join(_show(i) for i in own)})")
            else:
                message = f"app {_show(app_id)} is not one of this account's apps (it has none)"
            problems.append((path, message))
    return problems


def _seed_or_none(raw: object) -> int | None:
    """The faker seed if it is usable (ids can then be derived during checks), else None."""
    faker_block = raw.get("faker", {}) if isinstance(raw, dict) else None
    if not isinstance(faker_block, dict):
        return None
    seed = faker_block.get("seed", DEFAULT_FAKER_SEED)
    return int(seed) if isinstance(seed, (int, float)) and not isinstance(seed, bool) and seed == int(seed) else None


def _effective_id(node: _Node, seed: int | None) -> str | None:
    """The id an object will have: written out, or derived (None if it cannot be known yet)."""
    if "id" in node.obj:
        value = node.obj["id"]
        return value if isinstance(value, str) else None
    if seed is None:
        return None
    if node.kind == "key":
        return _derived_key_id(seed, node.path, KEY_PREFIX[node.owner.kind])
    return _derived_id(seed, node.path)


def _generated_user_paths(app: _Node) -> Iterator[tuple[JsonPath, str]]:
    """Generated user i of an app derives its values from path `<app>.generate.users[i]`:
    that path, and its text (`_fmt`).

    Not `<app>.users[n]`: adding a written-out user must not change the generated ones.
    """
    generate = app.obj.get("generate")
    count = generate.get("users", 0) if isinstance(generate, dict) else 0
    if not isinstance(count, (int, float)) or isinstance(count, bool) or not 0 <= count <= 100_000 or count != int(count):
        return
    path, where = app.path + ("generate", "users"), _fmt(app.path + ("generate", "users"))
    for i in range(int(count)):
        yield path + (i,), f"{where}[{i}]"


# --------------------------------------------------------------------------- fill & generate

class _Generator:
    """Derives every value that a fixture leaves out from (seed, JSON path, what)."""

    def __init__(self, seed: int, locale: str):
        self.seed = seed
        self.locale = locale
        from faker import Faker

        self._faker = Faker(locale)  # one per load: seed_instance is not shared across threads
        self._first_names = _NamePool(self._faker, "first_names")
        self._last_names = _NamePool(self._faker, "last_names")
        self._rng = random.Random()  # reseeded for each generated profile
        self._ascii_letters: dict[str, str] = {}  # name -> _ascii_letters(name)
        self._bcp47_locale = locale.replace("_", "-")  # profiles use BCP 47: en-US

    def object_id(self, path: JsonPath) -> str:
        return _derived_id(self.seed, path)

    def key_id(self, path: JsonPath, owner_kind: str) -> str:
        return _derived_key_id(self.seed, path, KEY_PREFIX[owner_kind])

    def secret(self, path: JsonPath) -> str:
        digest = _digest(self.seed, path, "secret", "sha512")  # 64 bytes -> 86 base64url chars
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def webhook_secret(self, path: JsonPath) -> str:
        """32 lowercase hex, the format of the secrets the API gives webhooks."""
        return _digest(self.seed, path, "secret").hex()[:32]

    def company(self, path: JsonPath) -> str:
        return self._faker_for(path, "name").company()

    def signed_up_at(self, path: JsonPath) -> str:
        return self._signed_up_at(_fmt(path))

    def _signed_up_at(self, where: str) -> str:
        offset = _derived_int_at(self.seed, where, "signedUpAt") % SIGNED_UP_SPAN_MS
        # _format_timestamp(SIGNED_UP_EPOCH - timedelta(milliseconds=offset)), in half the time
        return (_NAIVE_SIGNED_UP_EPOCH - timedelta(milliseconds=offset)).isoformat(timespec="milliseconds") + "Z"

    def generated_user(self, where: str) -> dict:
        """The user generated at `where`, the text of its path (`<app>.generate.users[i]`):
        the path is formatted once for all the values derived from it, and that formatting
        was a fifth of the time of a `generate` of 100,000 users."""
        return {"id": _derived_id_at(self.seed, where), "profile": self._profile(where), "metadata": {},
                "signedUpAt": self._signed_up_at(where)}

    def _profile(self, where: str) -> dict:
        """Names drawn from the locale's Faker lists with their weights, by a generator seeded
        from the path: the same names Faker would pick, about twenty times faster, which
        matters for a `generate` of 100,000 users."""
        rng = self._rng
        rng.seed(_derived_int_at(self.seed, where, "profile"))  # as random.Random(that int) would start
        given, surname = self._first_names.pick(rng), self._last_names.pick(rng)
        local_part = self._email_local_part(given, surname) or f"user{rng.randrange(10**6)}"
        email = f"{local_part}@{rng.choice(SAFE_DOMAINS)}"  # never a real mailbox
        avatar_hash = hashlib.sha256(email.encode()).hexdigest()
        return {"givenName": given, "surname": surname, "email": email,
                "avatarUrl": f"https://www.gravatar.com/avatar/{avatar_hash}?d=identicon",
                "locale": self._bcp47_locale}

    def _email_local_part(self, given: str, surname: str) -> str:
        """"Zoë", "O'Neil" -> "zoe.oneil"; empty for scripts without a Latin transliteration.
        Each name is transliterated once, not once for every user who has it."""
        letters = self._ascii_letters
        for name in (given, surname):
            if name not in letters:
                letters[name] = _ascii_letters(name)
        return _slug_of(f"{letters[given]}.{letters[surname]}")

    def _faker_for(self, path: JsonPath, what: str) -> Faker:
        self._faker.seed_instance(_derived_int(self.seed, path, what))
        return self._faker


SAFE_DOMAINS = ("example.com", "example.org", "example.net")  # Faker's safe_domain_name()


class _NamePool:
    """One of the locale's Faker name lists (weighted or not), for fast seeded draws."""

    def __init__(self, faker: Faker, attribute: str):
        provider = next(p for p in faker.providers if hasattr(p, attribute))
        names = getattr(provider, attribute)
        if isinstance(names, dict):
            self.names = list(names)
            weights = list(names.values())
            self.cum_weights = list(itertools.accumulate(weights))
            self._total = self.cum_weights[-1] + 0.0
        else:
            self.names, self.cum_weights = list(names), None

    def pick(self, rng: random.Random) -> str:
        if self.cum_weights is None:
            return rng.choice(self.names)
        # rng.choices(self.names, cum_weights=self.cum_weights)[0], the same draw by the same
        # formula, without the checks and the list it builds for every call
        return self.names[bisect.bisect(self.cum_weights, rng.random() * self._total, 0, len(self.names) - 1)]


def _fill(raw: dict) -> dict:
    """The normalized seed of a valid fixture: every field present, `generate` expanded."""
    faker_block = raw.get("faker", {})
    seed = int(faker_block.get("seed", DEFAULT_FAKER_SEED))
    locale = faker_block.get("locale", DEFAULT_LOCALE)
    gen = _Generator(seed, locale)
    return {"faker": {"seed": seed, "locale": locale},
            "accounts": [_fill_account(gen, account, ("accounts", a))
                         for a, account in enumerate(raw["accounts"])],
            "oauthClients": [_fill_oauth_client(gen, client, ("oauthClients", c))
                             for c, client in enumerate(raw.get("oauthClients", []))]}


def _fill_account(gen: _Generator, obj: dict, path: JsonPath) -> dict:
    return {
        "id": obj["id"] if "id" in obj else gen.object_id(path),
        "name": obj["name"] if "name" in obj else gen.company(path),
        "keys": _fill_keys(gen, obj, path, "account"),
        "serviceAccounts": [_fill_service_account(gen, sa, path + ("serviceAccounts", s))
                            for s, sa in enumerate(obj.get("serviceAccounts", []))],
        "apps": [_fill_app(gen, app, path + ("apps", p)) for p, app in enumerate(obj.get("apps", []))],
    }


def _fill_service_account(gen: _Generator, obj: dict, path: JsonPath) -> dict:
    return {
        "id": obj["id"] if "id" in obj else gen.object_id(path),
        "name": obj["name"] if "name" in obj else gen.company(path),
        "apps": list(obj.get("apps", [])),
        "keys": _fill_keys(gen, obj, path, "serviceAccount"),
    }


def _fill_app(gen: _Generator, obj: dict, path: JsonPath) -> dict:
    sdk_integrations = {}
    for i, integration in enumerate(obj.get("integrations", [])):
        integration_id = integration["id"] if "id" in integration else gen.object_id(path + ("integrations", i))
        sdk_integrations.setdefault(integration["type"], integration_id)
    users = [_fill_user(gen, user, path + ("users", u), sdk_integrations)
             for u, user in enumerate(obj.get("users", []))]
    count = int(obj.get("generate", {}).get("users", 0))
    generated = _fmt(path + ("generate", "users"))
    users += [gen.generated_user(f"{generated}[{i}]") for i in range(count)]
    return {
        "id": obj["id"] if "id" in obj else gen.object_id(path),
        "name": obj["name"] if "name" in obj else gen.company(path),
        "metadata": copy.deepcopy(obj.get("metadata")),
        "settings": copy.deepcopy(obj.get("settings", {})),
        "keys": _fill_keys(gen, obj, path, "app"),
        "integrations": [_fill_integration(gen, integration, path + ("integrations", i), i)
                         for i, integration in enumerate(obj.get("integrations", []))],
        "users": users,
    }


def _fill_integration(gen: _Generator, obj: dict, path: JsonPath, index: int) -> dict:
    kind = obj["type"]
    return {
        "id": obj["id"] if "id" in obj else gen.object_id(path),
        "type": kind,
        "displayName": obj.get("displayName", f"{INTEGRATION_LABEL[kind]} {index + 1}"),
        "keys": _fill_keys(gen, obj, path, "integration"),  # [] for SDK integrations
        "webhooks": [_fill_webhook(gen, webhook, path + ("webhooks", w))
                     for w, webhook in enumerate(obj.get("webhooks", []))],  # [] for SDK integrations
    }


def _fill_webhook(gen: _Generator, obj: dict, path: JsonPath) -> dict:
    return {
        "id": obj["id"] if "id" in obj else gen.object_id(path),
        "target": obj["target"],
        "triggers": list(obj.get("triggers", DEFAULT_WEBHOOK_TRIGGERS)),
        "secret": obj["secret"] if "secret" in obj else gen.webhook_secret(path),
        "includeFullUser": obj.get("includeFullUser", False),
        "includeFullSource": obj.get("includeFullSource", False),
    }


def _fill_keys(gen: _Generator, owner: dict, owner_path: JsonPath, owner_kind: str) -> list[dict]:
    keys = []
    for k, obj in enumerate(owner.get("keys", [])):
        path = owner_path + ("keys", k)
        keys.append({
            "id": obj["id"] if "id" in obj else gen.key_id(path, owner_kind),
            "secret": obj["secret"] if "secret" in obj else gen.secret(path),
            "name": obj.get("name", f"Key {k + 1}"),
        })
    return keys


def _fill_oauth_client(gen: _Generator, obj: dict, path: JsonPath) -> dict:
    """A partner's client: the client_id is 24 hex like the spec's example
    (5e4af71a81966cfff3ef6550), the secret has the format of a key secret."""
    return {
        "id": obj["id"] if "id" in obj else gen.object_id(path),
        "secret": obj["secret"] if "secret" in obj else gen.secret(path),
        "name": obj["name"] if "name" in obj else gen.company(path),
        "redirectUris": list(obj.get("redirectUris", [])),
    }


def _fill_user(gen: _Generator, obj: dict, path: JsonPath, sdk_integrations: dict[str, str]) -> dict:
    """A written-out user keeps exactly the profile fields it was given."""
    user = {"id": obj["id"] if "id" in obj else gen.object_id(path)}
    for name in ("externalId", "zendeskId"):
        if name in obj:
            user[name] = obj[name]
    user["profile"] = copy.deepcopy(obj.get("profile", {}))
    user["metadata"] = copy.deepcopy(obj.get("metadata", {}))
    user["signedUpAt"] = (_format_timestamp(_parse_timestamp(obj["signedUpAt"])) if "signedUpAt" in obj
                          else gen.signed_up_at(path))
    if obj.get("identities"):
        user["identities"] = copy.deepcopy(obj["identities"])
    if obj.get("devices"):
        user["devices"] = [_fill_device(gen, device, path + ("devices", d), sdk_integrations)
                           for d, device in enumerate(obj["devices"])]
    return user


def _fill_device(gen: _Generator, obj: dict, path: JsonPath, sdk_integrations: dict[str, str]) -> dict:
    """An SDK device; `clientId` names the SDK client the store creates with it."""
    device = {"id": obj["id"] if "id" in obj else gen.object_id(path), "type": obj["type"],
              "guid": obj.get("guid", gen.object_id(path + ("guid",)) + gen.object_id(path + ("guid2",))[:8]),
              "clientId": obj.get("clientId") or gen.object_id(path + ("client",))}
    integration_id = obj.get("integrationId", sdk_integrations.get(obj["type"]))
    if integration_id is not None:
        device["integrationId"] = integration_id
    for name in ("pushNotificationToken", "appVersion"):
        if name in obj:
            device[name] = obj[name]
    return device


# --------------------------------------------------------------------------- derivation

# Each value derives from the path as text (`_fmt`): the functions ending in `_at` take that
# text, so what derives many values from one path (a generated user) formats it once.

_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


def _digest(seed: int, path: JsonPath, what: str, algorithm: str = "sha256") -> bytes:
    return _digest_at(seed, _fmt(path), what, algorithm)


def _digest_at(seed: int, where: str, what: str, algorithm: str = "sha256") -> bytes:
    return _HASHES[algorithm](f"{seed}:{where}:{what}".encode()).digest()


def _derived_id(seed: int, path: JsonPath) -> str:
    """24 lowercase hex characters, like every Smooch object id."""
    return _derived_id_at(seed, _fmt(path))


def _derived_id_at(seed: int, where: str) -> str:
    return _digest_at(seed, where, "id").hex()[:24]


def _derived_key_id(seed: int, path: JsonPath, prefix: str) -> str:
    return f"{prefix}_{_derived_id(seed, path)}"


def _derived_int(seed: int, path: JsonPath, what: str) -> int:
    return _derived_int_at(seed, _fmt(path), what)


def _derived_int_at(seed: int, where: str, what: str) -> int:
    return int.from_bytes(_digest_at(seed, where, what)[:8], "big")


_SLUG = re.compile(r"[a-z0-9]+(\.[a-z0-9]+)*")


def _slug_of(letters: str) -> str:
    """"zoe.oneil" as it is, ".oneil" -> "oneil"; "" when nothing usable is left (the "."
    of two names in a script without a Latin transliteration)."""
    slug = letters.strip(".")
    return slug if _SLUG.fullmatch(slug) else ""


def _ascii_letters(text: str) -> str:
    """The lowercase ASCII letters, digits and dots that `text` transliterates to.  Done
    character by character (a dot, which has no decomposition, ends any run of combining
    marks), so the letters of "given.surname" are those of each name joined by a dot."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9.]", "", ascii_text)


# --------------------------------------------------------------------------- timestamps

_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$")


def _parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp (already matched by the schema's pattern) as an aware UTC datetime."""
    y, mo, d, h, mi, s, fraction, sign, oh, om = _TIMESTAMP.match(text).groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if sign:
        offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
        if offset >= timedelta(days=1) or -offset >= timedelta(days=1) or int(om) > 59:
            raise ValueError(f"time zone offset {sign}{oh}:{om} is out of range")
    local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=timezone(offset))
    return local.astimezone(timezone.utc)


def _format_timestamp(moment: datetime) -> str:
    """The Smooch format: 2020-05-21T15:53:30.197Z (UTC, milliseconds)."""
    m = moment.astimezone(timezone.utc)
    return (f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
            f".{m.microsecond // 1000:03d}Z")


# --------------------------------------------------------------------------- paths & messages

def _fmt(path: JsonPath) -> str:
    """("accounts", 0, "apps", 1, "id") -> "accounts[0].apps[1].id"; () -> "$"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "$"


def _render(problems: list[tuple[JsonPath, str]]) -> list[str]:
    """Problems as "path: message", sorted by path (indexes numerically), without repeats."""
    def order(problem: tuple[JsonPath, str]):
        path, message = problem
        return [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in path], message
    return list(dict.fromkeys(f"{_fmt(p)}: {m}" for p, m in sorted(set(problems), key=order)))


def _show(value: object, limit: int = 80) -> str:
    """A value as JSON, cut short so an error line stays readable (ids fit, 86-char secrets do not)."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[-1]


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if isinstance(value, (int, float)):
        return f"the number {_show(value)}"
    if isinstance(value, str):
        return f"the string {_show(value)}"
    return "a list" if isinstance(value, list) else "an object"


def _a(kind: str) -> str:
    """"app" -> "an app", "serviceAccount" -> "a service account"."""
    label = KIND_LABEL.get(kind, kind)
    return ("an " if label[0] in "aeiou" else "a ") + label


if __name__ == "__main__":  # python -m mocksmooch.fixtures: rebuild the prebuilt default seed
    print(f"wrote {write_prebuilt_default()}")
