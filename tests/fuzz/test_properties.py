"""Hypothesis property tests: the Authorization header parser, and the JSON body of every
write route.

    parse_authorization(any header values)  -> a Basic or Bearer credential, or
                                               AuthenticationError; never anything else
    Basic base64(keyId:secret)               -> Basic(keyId, secret), for any key id without
                                               ':' and any secret (and Bearer likewise)
    any JSON value as the body of any POST, PUT or PATCH route, with a valid credential
                                             -> never a 5xx; a 4xx in its API version's
                                               envelope; a 2xx in JSON that JavaScript reads

Bounded and derandomized, so CI runs the same examples every time.
"""
from __future__ import annotations

import base64
import json
import re

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings, strategies as st

from mocksmooch import openapi
from mocksmooch.app import create_app
from mocksmooch.auth.credentials import Basic, Bearer, parse_authorization
from mocksmooch.auth.errors import AuthenticationError

from .seeded import GARBAGE_ID, Seeded, envelope_problem, strict_json

BOUNDED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large, HealthCheck.filter_too_much])
THOROUGH = settings(BOUNDED, max_examples=300)  # the parser is a pure function: cheap examples

# --- the Authorization header parser --------------------------------------------------------------

SCHEMES = st.sampled_from(["Basic", "basic", "BASIC", "Bearer", "bearer", "BEARER", "bEaReR", "Digest", "JWT",
                           "", "Basic,", "Bearer:"])
SEPARATORS = st.sampled_from([" ", "  ", "", "\t", " \t", ", "])
BASE64 = st.binary(max_size=64).map(lambda raw: base64.b64encode(raw).decode())
PAYLOADS = st.text(max_size=40) | BASE64 | BASE64.map(lambda text: text.rstrip("=")) \
    | st.builds(lambda a, b: base64.b64encode(f"{a}:{b}".encode()).decode(), st.text(max_size=10), st.text(max_size=10))
HEADER_VALUES = st.text(max_size=60) | st.builds(lambda scheme, sep, payload: scheme + sep + payload,
                                                 SCHEMES, SEPARATORS, PAYLOADS)
# Several values, joined as a WSGI server joins repeated headers, or one after the other.
JOINED = st.lists(HEADER_VALUES, min_size=2, max_size=3).map(", ".join)


@THOROUGH
@given(st.lists(HEADER_VALUES | JOINED, max_size=3))
@example([])
@example(["Basic "])
@example(["Basic Og=="])        # ":" : an empty key id
@example(["Basic /w=="])        # not UTF-8
@example(["Bearer a, Bearer b"])
def test_the_parser_returns_a_credential_or_refuses(values):
    try:
        credential = parse_authorization(values)
    except AuthenticationError as refusal:
        assert refusal.reason  # says why, for the journal and the X-Mocksmooch-Reason header
        return
    assert len(values) == 1
    scheme, payload = values[0].strip(" \t").split(" ")  # blanks around a header value are not part of it
    if isinstance(credential, Basic):
        assert scheme.lower() == "basic" and credential.key_id and ":" not in credential.key_id
        assert base64.b64decode(payload).decode() == f"{credential.key_id}:{credential.secret}"
    else:
        assert isinstance(credential, Bearer) and scheme.lower() == "bearer" and credential.token == payload


@THOROUGH
@given(key_id=st.text(min_size=1).filter(lambda text: ":" not in text), secret=st.text(),
       scheme=st.sampled_from(["Basic", "basic", "BASIC", "bAsIc"]))
@example(key_id="app_6fdbf66a0f28ff7c6efa95b7", secret="a:b:c", scheme="Basic")  # colons in the secret
@example(key_id="\x00", secret="\x00", scheme="Basic")
def test_basic_credentials_round_trip(key_id, secret, scheme):
    header = f"{scheme} " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    assert parse_authorization([header]) == Basic(key_id, secret)


@THOROUGH
@given(token=st.text(min_size=1).filter(lambda text: not {" ", "\t", ","} & set(text)),
       scheme=st.sampled_from(["Bearer", "bearer", "BEARER"]))
@example(token="eyJhbGciOiJIUzI1NiJ9.e30.sig", scheme="Bearer")
def test_bearer_tokens_round_trip(token, scheme):
    """Any token without a blank or a "," (which would start another, joined, header value)."""
    assert parse_authorization([f"{scheme} {token}"]) == Bearer(token)


@THOROUGH
@given(st.lists(HEADER_VALUES, min_size=2, max_size=4))
def test_two_authorization_headers_are_refused(values):
    with pytest.raises(AuthenticationError):
        parse_authorization(values)


# Over HTTP: whatever the header says, a route that needs a credential answers 401 in its
# envelope.  requests refuses to send control characters and leading blanks in a header.
SENDABLE = HEADER_VALUES.filter(lambda value: re.fullmatch(r"[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*", value or "-")
                                and value.isascii())


@pytest.mark.parametrize("path", ["/v2/apps", "/v1.1/apps", "/sdk/v2/apps/0f377dc9e9a0a0215d2274f9/appusers/alice"])
@BOUNDED
@given(value=SENDABLE)
def test_any_authorization_header_gets_a_401_in_its_envelope(mocksmooch, path, value):
    response = requests.get(mocksmooch.url + path, headers={"Authorization": value}, timeout=10)
    assert response.status_code == 401, (value, response.status_code, response.text)
    assert envelope_problem(path, 401, response.json()) is None


# --- the JSON body of every write route --------------------------------------------------------

@pytest.fixture
def seeded(mocksmooch) -> Seeded:
    """Made once per route: the examples of a route share its credentials and records."""
    return Seeded(mocksmooch)


APP = create_app()
DOCUMENT = openapi.document(APP)
WRITES = [(method, path) for method, path, _, _ in openapi.operations(APP) if method in ("POST", "PUT", "PATCH")]

# Names and values the routes read, so that generated objects get past "should have
# required property" now and then, next to arbitrary ones.
FIELDS = st.sampled_from([
    "author", "content", "type", "text", "role", "userId", "externalId", "displayName", "name", "metadata",
    "profile", "givenName", "participants", "target", "triggers", "webhooks", "mediaUrl", "mediaType", "items",
    "actions", "destination", "message", "messages", "matchCriteria", "confirmation", "integrationId",
    "switchboardIntegration", "enabled", "defaultSwitchboardIntegrationId", "keyId", "scope", "advance", "set",
    "freeze", "fixtures", "expiresIn", "code", "grant_type", "client_id", "client_secret", "appUserId",
    "sessionToken", "client", "intent", "locale", "phoneNumber", "hosting", "method", "path", "status", "body",
    "settings", "subscribeSDKClient", "serviceAccountId", "token", "coordinates", "lat", "long", "fields",
])
VALUES = st.sampled_from([
    "text", "image", "file", "business", "user", "personal", "sdkGroup", "appMaker", "appUser", "custom", "web",
    "telegram", "twilio", "mailgun", "alice", "bob", "f0c5b24e32d9721fd876f7c5", "0f377dc9e9a0a0215d2274f9",
    "e4d193f3a0b6e39fb5dac231", "http://127.0.0.1:9/hook", "conversation:message", "typing:start",
    "conversation:read", "immediate", "+15145550000", "app_6fdbf66a0f28ff7c6efa95b7", "app", "account", "*",
    "next", "", " ", "\x00", "a" * 300,
])
KEYS = FIELDS | st.text(max_size=8)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | VALUES


def _containers(children):
    return st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5)


JSON_VALUES = st.recursive(SCALARS, _containers, max_leaves=15)
BODIES = st.dictionaries(KEYS, JSON_VALUES, max_size=6) | JSON_VALUES  # mostly objects, as routes expect


def _strict(text: str):
    try:
        return strict_json(text)
    except ValueError as error:
        raise AssertionError(f"not JSON as JavaScript reads it: {error}: {text[:300]}") from None


@pytest.mark.parametrize("method, path", WRITES, ids=[f"{m} {p}" for m, p in WRITES])
@BOUNDED
@given(body=BODIES)
@example(body={"externalId": "nan", "userId": "nan", "metadata": {"a": float("nan")}, "properties": {"a": 1e308 * 10}})
@example(body={"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})
@example(body=[])
@example(body="")
def test_any_json_body_gets_an_answer_in_its_envelope(mocksmooch, seeded, method, path, body):
    url = re.sub(r"\{(\w+)\}", lambda match: (seeded.choices(match.group(1)) or [GARBAGE_ID])[0], path)
    credential = seeded.credential(DOCUMENT["paths"][path][method.lower()]["security"])
    # json.dumps writes NaN and Infinity, which no JSON parser of a real client accepts: fair game
    response = requests.request(method, mocksmooch.url + url, data=json.dumps(body), timeout=10,
                                headers={"Content-Type": "application/json",
                                         **({"Authorization": credential} if credential else {})})
    try:
        assert response.status_code < 500, (response.status_code, response.text[:500])
        if response.status_code >= 400:
            assert envelope_problem(url, response.status_code, _strict(response.text)) is None
        elif response.headers.get("Content-Type", "").startswith("application/json"):
            assert isinstance(_strict(response.text), dict)
    finally:
        if path.startswith("/_mocksmooch/"):
            mocksmooch.reset()  # a seed, a clock or a fault rule set by the body must not outlive it


# --- regressions the property tests and their examples found ---------------------------------------

@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("path, body, envelope", [
    ("/v2/apps/{app_id}/users", '{"externalId": "nan", "metadata": {"score": %s}}', "errors"),
    ("/v1.1/apps/{app_id}/appusers", '{"userId": "nan", "properties": {"score": %s}}', "error"),
    ("/_mocksmooch/tokens", '{"keyId": "app_6fdbf66a0f28ff7c6efa95b7", "scope": "app", "expiresIn": %s}', "error"),
])
def test_a_number_javascript_cannot_read_back_is_refused(mocksmooch, path, body, envelope, number):
    """They were stored and echoed as NaN / Infinity: a 201 whose body no client could parse."""
    seeded = Seeded(mocksmooch)
    url = path.format(app_id=seeded.app_id)
    response = requests.post(mocksmooch.url + url, data=body % number, timeout=10, headers={
        "Content-Type": "application/json", "Authorization": seeded.credential([{"basicAuth": ["app"]}])})
    assert response.status_code == 400, response.text
    assert envelope_problem(url, 400, response.json()) is None and envelope in response.json()


def test_a_page_query_nested_too_deeply_is_a_400(mocksmooch):
    """`page=[[[[...` made json.loads raise RecursionError: a 500."""
    seeded = Seeded(mocksmooch)
    response = requests.get(f"{mocksmooch.url}/v2/apps/{seeded.app_id}/users", params={"page": "[" * 5000},
                            headers={"Authorization": seeded.credential([{"basicAuth": ["app"]}])}, timeout=10)
    assert response.status_code == 400, response.text
    assert response.json() == {"errors": [{"code": "bad_request", "title": "Invalid query parameters"}]}


def test_an_sdk_upload_field_nested_too_deeply_is_a_400(mocksmooch):
    """The JSON of a multipart field of POST /sdk/v2/.../files: RecursionError was a 500."""
    seeded = Seeded(mocksmooch)
    conversation = seeded.choices("conversation_id")[0]
    credential = seeded.credential([{"bearerAuth": ["appUser", "user"]}])
    response = requests.post(f"{mocksmooch.url}/sdk/v2/apps/{seeded.app_id}/conversations/{conversation}/files",
                             headers={"Authorization": credential}, timeout=10,
                             data={"author": "[" * 5000, "message": "{}"},
                             files={"source": ("a.txt", b"hello", "text/plain")})
    assert response.status_code == 400, response.text
    assert response.json() == {"error": {"code": "bad_request", "description": "author should be a JSON object"}}
