"""Schemathesis against the live server, from the mock's own OpenAPI document.

Every operation of GET /_mocksmooch/openapi.json is called with requests that
Schemathesis generates from the document, twice: without credentials, and with a valid
one of a scope the route accepts.  Either way: no 5xx; the status, content type, headers
and body are what the document says; every error is in its API version's envelope; and,
without credentials, every route that needs one answers 401.

With credentials, path parameters are mostly a seeded app, user, integration... (one time
in four the garbage Schemathesis made up), so requests get past the guard and into the
routes; garbage ids must get a 4xx, never a 5xx.

Bounded for CI: a few examples per operation (the fuzzing phase, plus the reference's
request body examples), derandomized, no shrinking, and the server reset before each
operation (and after each control API call, which may change what the next one sees).
"""
from __future__ import annotations

import json
import re
import tomllib
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from mocksmooch import openapi
from mocksmooch.app import create_app, route_table

from .seeded import GARBAGE_ID, Seeded, envelope_problem

EXAMPLES_PER_OPERATION = 5
ROOT = Path(__file__).parent.parent.parent
REFERENCE_YAML = ROOT.parent / "shared" / "reference" / "sunshine-conversations-v2-openapi.yaml"

APP = create_app()
DOCUMENT = openapi.document(APP)
CONFIG = schemathesis.Config.from_dict({
    "seed": 20261128,
    "suppress-health-check": ["all"],
    "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True, "no-shrink": True,
                   "database": "none"},
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


# --- the custom check: the error envelope of the path's API version --------------------------------

class WrongEnvelope(Failure):
    def __init__(self, *, operation: str, message: str):
        self.operation = operation
        self.title = "Error body not in its API version's envelope"
        self.message = message
        self.code = "wrong_envelope"
        self.case_id = None
        self.severity = None

    @property
    def _unique_key(self) -> str:
        return self.message


@schemathesis.check
def error_envelope(ctx, response, case):
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        body = response.text[:300]
    path = re.sub(r"^https?://[^/]+", "", response.request.url).split("?", 1)[0]
    problem = envelope_problem(path, response.status_code, body)
    if problem:
        raise WrongEnvelope(operation=case.operation.label, message=problem)
    return None


CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, error_envelope]


# --- the fuzz runs ---------------------------------------------------------------------------------

def call(case, mocksmooch, credential: str | None, seeded: Seeded | None):
    headers = {"Authorization": credential} if credential else {}
    if seeded is not None:
        for name, generated in list((case.path_parameters or {}).items()):
            choices = seeded.choices(name)
            # Mostly a seeded value, one time in four the generated one: chosen by a checksum
            # of the case, so that the run stays deterministic.
            pick = zlib.crc32(repr((name, generated, case.body, case.query)).encode())
            if choices and pick % 4:
                case.path_parameters[name] = choices[pick // 4 % len(choices)]
    response = case.call(base_url=mocksmooch.url, headers=headers, timeout=10, allow_redirects=False)
    case.validate_response(response, checks=CHECKS, headers=headers)
    if credential is None and case.operation.definition.raw.get("security"):
        # a route that needs a credential refuses a request without one, before anything else
        assert response.status_code == 401, (case.operation.label, response.status_code, response.text[:300])
    if case.path.startswith("/_mocksmooch/"):
        mocksmooch.reset()


# The server is reset before each operation (a function-scoped fixture), not each example.
ONCE_PER_OPERATION = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@SCHEMA.parametrize()
@ONCE_PER_OPERATION
def test_without_credentials(case, mocksmooch):
    call(case, mocksmooch, None, None)


@pytest.fixture
def seeded(mocksmooch) -> Seeded:
    return Seeded(mocksmooch)


@SCHEMA.parametrize()
@ONCE_PER_OPERATION
def test_with_credentials(case, mocksmooch, seeded):
    call(case, mocksmooch, seeded.credential(case.operation.definition.raw.get("security", [])), seeded)


# --- the document itself ---------------------------------------------------------------------------

def test_the_route_serves_the_document_of_the_route_table(mocksmooch):
    response = requests.get(f"{mocksmooch.url}/_mocksmooch/openapi.json", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    served = response.json()
    assert served == json.loads(json.dumps(openapi.document(APP, server_url=mocksmooch.url)))
    assert served["openapi"] == "3.0.3" and served["servers"] == [{"url": mocksmooch.url}]
    listed = {(method.lower(), path) for method, path, _ in route_table(APP)}
    documented = {(method, path) for path, item in served["paths"].items() for method in item}
    assert documented == listed
    assert ("get", "/_mocksmooch/openapi.json") in documented
    assert not any(path.startswith("/v1/") for _, path in documented)  # the /v1 alias: said once, in info
    ids = [operation["operationId"] for item in served["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids))
    schemathesis.openapi.from_dict(served).validate()  # against the OpenAPI 3.0 meta-schema


def test_with_an_admin_token_the_control_routes_say_they_need_it():
    from mocksmooch import control

    if not hasattr(control, "admin_token"):
        pytest.skip("this build has no admin token")
    guarded = openapi.document(create_app({"ADMIN_TOKEN": "s3cret"}))
    header = guarded["components"]["securitySchemes"]["adminToken"]
    assert header == {"type": "apiKey", "in": "header", "name": control.ADMIN_TOKEN_HEADER,
                      "description": header["description"]}
    reset = guarded["paths"]["/_mocksmooch/reset"]["post"]
    assert reset["security"] == [{"adminToken": []}] and "401" in reset["responses"]
    assert guarded["paths"]["/_mocksmooch/health"]["get"]["security"] == []
    assert guarded["paths"]["/_mocksmooch/"]["get"]["security"] == []  # the dashboard's page itself is open
    assert "adminToken" not in DOCUMENT["components"]["securitySchemes"]


def operation(path: str, method: str) -> dict:
    return DOCUMENT["paths"][path][method]


def test_security_is_each_routes_policy():
    assert operation("/v2/apps/{app_id}/users/{user_ref}", "get")["security"] == [
        {"basicAuth": ["account", "app", "integration"]}, {"bearerAuth": ["account", "app", "integration"]}]
    assert operation("/v2/apps", "post")["security"] == [{"basicAuth": ["account"]}, {"bearerAuth": ["account"]}]
    # appUser is a JWT scope only: Basic auth cannot give it
    assert operation("/v1.1/appusers/{user_ref}", "get")["security"] == [
        {"basicAuth": ["app", "integration"]}, {"bearerAuth": ["app", "integration", "appUser"]}]
    assert operation("/sdk/v2/apps/{app_id}/appusers/{app_user_id}", "get")["security"] == [
        {"bearerAuth": ["appUser", "user"]}, {"sessionAuth": []}]
    assert operation("/sdk/v2/apps/{app_id}/login", "post")["security"] == [{"bearerAuth": ["appUser", "user"]}]
    for public in (("/oauth/token", "post"), ("/v2/tokenInfo", "get"), ("/sdk/v2/apps/{app_id}/appusers", "post"),
                   ("/media/apps/{app_id}/{attachment_id}/{file_name}", "get"), ("/_mocksmooch/reset", "post")):
        assert operation(*public)["security"] == [], public
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["basicAuth"]["scheme"] == "basic" and schemes["bearerAuth"]["bearerFormat"] == "JWT"
    # every route that checks a credential says so, and the no-credential run holds it to a 401
    for method, path, endpoint, policy in openapi.operations(APP):
        assert bool(operation(path, method.lower())["security"]) == bool(policy is not None and policy.scopes)


def test_v2_operations_reuse_the_reference_schemas():
    get_user = operation("/v2/apps/{app_id}/users/{user_ref}", "get")
    assert get_user["summary"] == "Get User"
    assert get_user["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/userResponse"}
    post_message = operation("/v2/apps/{app_id}/conversations/{conversation_id}/messages", "post")
    assert post_message["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/messagePost"}
    assert set(post_message["requestBody"]["content"]["application/json"]["examples"]) >= {"text", "carousel"}
    assert {"201", "400", "401", "403", "404", "413", "423"} <= set(post_message["responses"])
    assert post_message["responses"]["404"] == {"$ref": "#/components/responses/v2Error404"}
    assert "messagePost" in DOCUMENT["components"]["schemas"]
    list_apps = operation("/v2/apps", "get")
    assert {p["name"] for p in list_apps["parameters"] if p["in"] == "query"} == {"page", "filter"}
    assert "400" in list_apps["responses"]  # page[size] and the filter are checked
    assert "400" not in get_user["responses"]  # its brandId is not read


def test_other_operations_describe_the_envelopes():
    create = operation("/v1.1/apps", "post")
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"type": "object"}
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {"type": "object"}
    responses = DOCUMENT["components"]["responses"]
    assert responses["v1Error404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/v1ErrorResponse"}
    assert responses["controlError400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/controlErrorResponse"}
    assert DOCUMENT["components"]["schemas"]["v1ErrorResponse"]["properties"]["error"]["required"] == [
        "code", "description"]
    assert operation("/sdk/v2/apps/{app_id}/conversations/{conversation_id}/files", "post")["requestBody"][
        "content"]["multipart/form-data"]["schema"]["properties"]["source"]["format"] == "binary"
    assert operation("/v1.1/apps/{app_id}/appusers/{user_ref}", "put")["responses"]["400"] == {
        "$ref": "#/components/responses/v1Error400"}
    assert "text/html" in operation("/_mocksmooch/", "get")["responses"]["200"]["content"]


def test_the_vendored_reference_is_derived_from_the_v2_description():
    if not REFERENCE_YAML.exists():
        pytest.skip(f"{REFERENCE_YAML} is not here (it is beside the repository in CI)")
    yaml = pytest.importorskip("yaml")
    spec = yaml.safe_load(REFERENCE_YAML.read_text(encoding="utf-8"))
    vendored = openapi.reference()
    assert openapi.derive_reference(spec, vendored["source"]) == vendored
    assert len(vendored["operations"]) == 68 and vendored["source"].startswith(
        f"the Sunshine Conversations v2 OpenAPI description {spec['info']['version']}")


def test_the_vendored_reference_ships_in_the_package():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "reference/*.json" in data["mocksmooch"]
    assert openapi.REFERENCE_FILE.parent == Path(openapi.__file__).parent / "reference"
    assert (openapi.REFERENCE_FILE.parent / "README.md").is_file()


# --- regressions Schemathesis found ----------------------------------------------------------------

def test_a_reason_quoting_a_line_break_does_not_break_the_response(mocksmooch):
    """The reason header quoted the request's mediaUrl, line breaks and all: a 500."""
    seeded = Seeded(mocksmooch)
    response = requests.post(f"{mocksmooch.url}/v2/apps/{seeded.app_id}/attachments/remove", timeout=10,
                             headers={"Authorization": seeded.credential([{"basicAuth": ["app"]}])},
                             json={"mediaUrl": "a\nb\rc\u0085d\u2028e\x00f"})
    assert 400 <= response.status_code < 500, response.text
    assert envelope_problem("/v2/apps/x/attachments/remove", response.status_code, response.json()) is None
    reason = response.headers["X-Mocksmooch-Reason"]
    assert "\\x0a" in reason and "\n" not in reason and "\r" not in reason


@pytest.mark.parametrize("method, path, field, longest", [
    ("POST", "/v2/apps", "displayName", 100),
    ("PATCH", "/v2/apps/{app_id}", "displayName", 100),
    ("POST", "/v2/apps/{app_id}/keys", "displayName", 100),
    ("POST", "/v2/apps/{app_id}/users", "externalId", 1024),
])
def test_a_value_longer_than_the_reference_allows_is_refused(mocksmooch, seeded, method, path, field, longest):
    """A 201 whose body broke its own schema (displayName maxLength 100): the official v2
    client would refuse to read what the mock accepted."""
    url = mocksmooch.url + path.format(app_id=seeded.app_id)
    account = {"Authorization": seeded.credential([{"basicAuth": ["account"]}])}
    too_long = requests.request(method, url, json={field: "é" * (longest + 1)}, headers=account, timeout=10)
    assert too_long.status_code == 400, too_long.text
    assert too_long.json() == {"errors": [{"code": "bad_request",
                                           "title": f"{field} should NOT be longer than {longest} characters"}]}
    longest_allowed = requests.request(method, url, json={field: "é" * longest}, headers=account, timeout=10)
    assert longest_allowed.status_code < 300, longest_allowed.text
    documented(method, url.replace(mocksmooch.url, ""), longest_allowed)


def test_the_envelope_check_tells_each_versions_envelope():
    assert envelope_problem("/v2/apps", 403, {"errors": [{"code": "forbidden", "title": "Forbidden"}]}) is None
    assert envelope_problem("/oauth/token", 401, {"errors": [{"code": "unauthorized", "title": "x"}]}) is None
    assert envelope_problem("/v1.1/apps", 401, {"error": {"code": "unauthorized", "description": "x"}}) is None
    assert envelope_problem("/sdk/v2/apps/a/login", 400, {"error": {"code": "bad_request", "description": "x"}}) is None
    assert envelope_problem("/_mocksmooch/clock", 400, {"error": {"code": "bad_request", "message": "x"}}) is None
    for path, body in (("/v2/apps", {"error": {"code": "forbidden", "description": "Forbidden"}}),
                       ("/v2/apps", {"errors": []}),
                       ("/v2/apps", {"errors": [{"code": "forbidden"}]}),
                       ("/v1.1/apps", {"errors": [{"code": "forbidden", "title": "Forbidden"}]}),
                       ("/v1.1/apps", {"error": {"code": "x", "description": "y"}, "extra": 1}),
                       ("/_mocksmooch/clock", {"error": {"code": "x", "description": "y"}}),
                       ("/v1.1/apps", "Internal Server Error")):
        assert envelope_problem(path, 400, body) is not None, (path, body)


@pytest.mark.parametrize("user, status, sabotage, failure", [
    ("nobody", 404, lambda d: d["paths"]["/v2/apps/{app_id}/users/{user_ref}"]["get"]["responses"].pop("404"),
     "Undocumented status code"),
    ("alice", 200, lambda d: d["components"]["schemas"].update(userResponse={"type": "object", "required": ["x"]}),
     "Response violates schema"),
    ("nobody", 404, lambda d: d["components"]["schemas"]["errorResponse"].update(required=["x"]),
     "Response violates schema"),
], ids=["undocumented status", "success body", "error body"])
def test_the_checks_catch_a_response_the_document_does_not_describe(mocksmooch, user, status, sabotage, failure):
    """The checks are not vacuous: with the document spoiled, the same answer fails them."""
    document = json.loads(json.dumps(DOCUMENT))
    sabotage(document)
    strict = schemathesis.openapi.from_dict(document)
    seeded = Seeded(mocksmooch)
    case = strict.find_operation_by_path("GET", f"/v2/apps/{GARBAGE_ID}/users/alice").Case(
        path_parameters={"app_id": seeded.app_id, "user_ref": user})
    headers = {"Authorization": seeded.credential([{"basicAuth": ["app"]}])}
    response = case.call(base_url=mocksmooch.url, headers=headers)
    assert response.status_code == status
    SCHEMA.find_operation_by_path("GET", f"/v2/apps/{seeded.app_id}/users/{user}").Case(
        path_parameters={"app_id": seeded.app_id, "user_ref": user}).validate_response(response, checks=CHECKS)
    with pytest.raises(BaseException) as failures:
        case.validate_response(response, checks=CHECKS, headers=headers)
    assert failure in str(failures.value) + "".join(map(str, getattr(failures.value, "exceptions", ())))


def test_the_envelope_check_fails_a_wrong_envelope():
    case = SCHEMA.find_operation_by_path("GET", "/v2/apps/a/users/b").Case(
        path_parameters={"app_id": "a", "user_ref": "b"})

    def answer(body: dict, status: int = 404):
        content = json.dumps(body).encode()
        return SimpleNamespace(status_code=status, content=content, text=content.decode(),
                               request=SimpleNamespace(url="http://127.0.0.1/v2/apps/a/users/b"))

    assert error_envelope(None, answer({"errors": [{"code": "user_not_found", "title": "User not found"}]}),
                          case) is None
    assert error_envelope(None, answer({"users": []}, 200), case) is None
    with pytest.raises(WrongEnvelope, match="expected"):
        error_envelope(None, answer({"error": {"code": "not_found", "description": "User not found"}}), case)


def test_the_tables_name_real_routes():
    endpoints = {endpoint for _, _, endpoint, _ in openapi.operations(APP)}
    assert set(openapi.EXTRA_STATUSES) | openapi.CREATED | openapi.UPLOADS <= endpoints


# --- success: every operation, on resources that exist, answers what the document says ------------
#
# The fuzz runs above seldom send a body a route accepts; the operation coverage suite
# (tests/test_operation_coverage.py) knows a proper call of every v2 and v1.1 operation.
# Replayed here, each response is checked against the document: status, content type,
# headers and, for v2, the reference's response schema.

try:
    import test_operation_coverage as coverage
except (Exception, pytest.skip.Exception):  # its reference YAML files are beside the repository, in ../shared
    coverage = None

V2_OPERATIONS = coverage.V2 if coverage else []
V1_OPERATIONS = coverage.V1 if coverage else []
SUCCESS_CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance,
                  response_schema_conformance]


def documented(method: str, url: str, response: requests.Response) -> None:
    path = url.split("?", 1)[0].replace("/v1/", "/v1.1/", 1)
    found = SCHEMA.find_operation_by_path(method, path)
    assert found is not None, f"{method} {path} is not in the document"
    template = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(found.path)) + "$"
    parameters = re.match(template, path).groupdict()
    found.Case(path_parameters=parameters).validate_response(response, checks=SUCCESS_CHECKS)


@pytest.mark.skipif(coverage is None, reason="tests/test_operation_coverage.py needs ../shared/reference")
@pytest.mark.parametrize("method, path, spec", V2_OPERATIONS, ids=[f"{m} {p}" for m, p, _ in V2_OPERATIONS])
def test_every_v2_success_is_documented(api, method, path, spec):
    url, kwargs = coverage.v2_request(coverage.Scenario(api), method, path, spec)
    auth = kwargs.pop("auth", None)
    response = api.request(method, url, auth=auth, allow_redirects=False, **kwargs)
    assert response.status_code < 400, response.text
    documented(method, url, response)


@pytest.mark.skipif(coverage is None, reason="tests/test_operation_coverage.py needs ../shared/reference")
@pytest.mark.parametrize("method, path, spec", V1_OPERATIONS, ids=[f"{m} {p}" for m, p, _ in V1_OPERATIONS])
def test_every_v1_success_is_documented(api, method, path, spec):
    url, kwargs = coverage.v1_request(coverage.V1Scenario(api), method, path)
    auth = kwargs.pop("auth")
    response = api.request(method, url, auth=auth, **kwargs)
    assert response.status_code < 400, response.text
    documented(method, url, response)
