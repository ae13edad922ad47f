"""The OpenAPI 3.0 document of what this mock serves (GET /_mocksmooch/openapi.json).

It is built from the application's own URL map, as `mocksmooch routes` is: one
operation per route and method, whose `security` is the route's declared policy
(`view.policy`), so the document cannot drift from what the guards enforce.

    v2 and OAuth routes   request and response schemas of the v2 reference description
                          (the operation with the same method and path shape), vendored
                          as a compact JSON in mocksmooch/reference/ (see its README)
    v1.1, SDK, control    request bodies `type: object`; responses: an object for
                          success, the error envelope of the path's API version

Every operation lists the statuses the mock can answer with, so a client generated
from the document, or a fuzzer checking it (tests/fuzz), is told the truth: 401/403
where a credential is needed, 404 where the path names something, 400/413 where a body
is read, the few route-specific ones (409, 423...) from a table below, and, for v2, the
ones the reference documents for the real service.
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from flask import Flask

from .api.errors import api_version
from .auth.sdk import SdkPolicy

REFERENCE_FILE = Path(__file__).parent / "reference" / "sunshine-conversations-v2.json"
METHODS = ("get", "post", "put", "patch", "delete")
SCOPE_ORDER = ("account", "app", "integration", "appUser", "user")
BASIC_SCOPES = {"account", "app", "integration"}  # what a key used with Basic auth can be

# Routes whose success is a 201 (the v2 ones take theirs from the reference).
CREATED = {
    "v1.create_app", "v1.create_service_account", "v1.create_deployment", "control.add_fault",
    "sdk.create_app_user", "sdk.create_conversation", "sdk.post_message", "sdk.upload_file",
    *(f"v1.{name}{form}" for form in ("", "_appless") for name in (
        "pre_create_app_user", "post_message", "post_image_message", "upload_attachment", "create_integration",
        "create_integration_menu", "create_webhook", "create_template", "post_notification")),
}

# Routes that take a multipart/form-data upload (a `source` file) rather than JSON.
UPLOADS = {
    "sdk.upload_file",
    *(f"v1.{name}{form}" for form in ("", "_appless") for name in (
        "post_image_message", "upload_attachment", "upload_integration_profile_photo")),
}

# Query parameters of the reference that the mock reads, and may refuse with a 400.
CHECKED_QUERIES = {"page", "filter"}

# Statuses a route answers besides those the rules of `_error_statuses` give it.
EXTRA_STATUSES: dict[str, set[int]] = {
    "v2.token_info": {401},                             # reads a bearer token itself
    "oauth.token": {401},                               # a wrong client, secret or code
    "oauth.authorize": {400, 404},                      # a bad client or redirect; no such app_id
    "sdk.create_app_user": {403},                       # a userId needs that user's JWT
    "v2.create_user": {409}, "v2.sync_user": {409},     # the externalId or zendeskId is taken
    "v1.update_template": {409}, "v1.update_template_appless": {409},
    **{f"v1.{name}{form}": {409} for form in ("", "_appless")
       for name in ("pre_create_app_user", "link_app_user", "create_template")},
    # the conversation holds MESSAGE_LIMIT messages already
    "v2.post_message": {423}, "sdk.post_message": {423}, "sdk.upload_file": {423},
    **{f"v1.{name}{form}": {423} for form in ("", "_appless") for name in ("post_message", "post_image_message")},
}


# --- the reference: v2 operations and their schemas --------------------------------------------

@functools.cache
def reference() -> dict:
    """The vendored v2 operations (by "METHOD /path/{}/shape") and the schemas they use."""
    return json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))


def shape(path: str) -> str:
    """`/v2/apps/{appId}/users/{userIdOrExternalId}` -> `/v2/apps/{}/users/{}`."""
    return re.sub(r"\{[^}]*\}", "{}", path)


# --- the document -------------------------------------------------------------------------------

def document(app: Flask, server_url: str | None = None) -> dict:
    """The OpenAPI 3.0 document of every route of `app` (the /v1 alias of /v1.1 excepted)."""
    admin_header = _admin_token_header(app)
    open_routes = _open_control_routes()
    paths: dict[str, dict] = {}
    for method, path, endpoint, policy in operations(app):
        needs_admin = admin_header is not None and endpoint.startswith("control.") and endpoint not in open_routes
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, endpoint, policy, needs_admin)
    schemes = dict(SECURITY_SCHEMES)
    if admin_header:
        schemes["adminToken"] = {"type": "apiKey", "in": "header", "name": admin_header,
                                 "description": "The control API's admin token (MOCKSMOOCH_ADMIN_TOKEN)."}
    ref = reference()
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "mocksmooch",
            "version": _version(),
            "description": (
                "What this mocksmooch server serves, generated from its route table. Every /v1.1 path is "
                "also served under /v1. Faults injected through the control API answer statuses of their "
                "own, which this document does not list. v2 schemas: " + ref["source"] + "."),
        },
        "servers": [{"url": server_url}] if server_url else [],
        "paths": paths,
        "components": {
            "securitySchemes": schemes,
            "schemas": {**ref["schemas"], **ENVELOPES},
            "responses": _error_responses(),
        },
    }


def operations(app: Flask) -> list[tuple[str, str, str, Any]]:
    """(method, OpenAPI path, endpoint, policy or None) for every route, in route_table's
    order; /v1 routes are left out, as the twins of their /v1.1 routes."""
    from .app import route_table

    by_rule: dict[tuple[str, str], tuple[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("v1_alias.", "static")):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            view = app.view_functions[rule.endpoint]
            by_rule[(method, path)] = (rule.endpoint, getattr(view, "policy", None))
    return [(method, path, *by_rule[(method, path)]) for method, path, _ in route_table(app)]


def _admin_token_header(app: Flask) -> str | None:
    """The header the control API wants its admin token in, when one is configured."""
    from . import control

    configured = getattr(control, "admin_token", None)
    return getattr(control, "ADMIN_TOKEN_HEADER", None) if configured and configured(app.config) else None


def _open_control_routes() -> set[str]:
    """Control routes that need no admin token even when one is set (the health check)."""
    from . import control

    return set(getattr(control, "OPEN_ROUTES", ()))


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("mocksmooch")
    except Exception:  # running from a checkout that was never installed
        return "0"


SECURITY_SCHEMES = {
    "basicAuth": {"type": "http", "scheme": "basic",
                  "description": "An API key: its id as the user name, its secret as the password."},
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "A JWT signed (HS256) with an API key's secret, its id in the `kid` header."},
    "sessionAuth": {"type": "http", "scheme": "basic",
                    "description": "SDK API only: an anonymous user's appUserId and sessionToken."},
}

_OBJECT = {"type": "object"}
ENVELOPES = {
    "v1ErrorResponse": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {"type": "object", "required": ["code", "description"],
                                 "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}},
    },
    "controlErrorResponse": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {"type": "object", "required": ["code", "message"],
                                 "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
ERROR_SCHEMA = {"v2": "errorResponse", "v1": "v1ErrorResponse", "control": "controlErrorResponse"}
REASONS = {200: "OK", 201: "Created", 400: "Bad request", 401: "Unauthorized", 402: "Payment required",
           403: "Forbidden", 404: "Not found", 409: "Conflict", 413: "Request entity too large", 423: "Locked"}


def _operation(method: str, path: str, endpoint: str, policy, needs_admin: bool) -> dict:
    ref = reference()["operations"].get(f"{method} {shape(path)}") if api_version(path) == "v2" else None
    operation: dict[str, Any] = {"operationId": endpoint, "tags": [_tag(path)]}
    if ref and ref.get("summary"):
        operation["summary"] = ref["summary"]
    who = "the admin token" if needs_admin else policy if policy is not None else "anyone (control API)"
    operation["description"] = f"Who may call it: {who}."
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                  for name in re.findall(r"\{(\w+)\}", path)]
    parameters += ref.get("parameters", []) if ref else []
    if parameters:
        operation["parameters"] = parameters
    body = _request_body(method, endpoint, ref)
    if body:
        operation["requestBody"] = body
    responses = _success_responses(path, endpoint, ref)
    checked_query = any(p["in"] == "query" and p["name"] in CHECKED_QUERIES for p in parameters)
    statuses = _error_statuses(method, path, endpoint, policy, checked_query, needs_admin)
    statuses |= {int(status) for status in (ref or {}).get("responses", {}) if int(status) >= 400}
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{api_version(path)}Error{status}"}
    operation["responses"] = responses
    operation["security"] = [{"adminToken": []}] if needs_admin else _security(policy)
    return operation


def _tag(path: str) -> str:
    for prefix, tag in (("/v2/", "v2"), ("/v1.1/", "v1.1"), ("/sdk/", "sdk"), ("/oauth/", "oauth"),
                        ("/media/", "media")):
        if path.startswith(prefix):
            return tag
    if path in ("/_mocksmooch/", "/_mocksmooch/chat") or path.startswith("/_mocksmooch/assets/"):
        return "dashboard"
    return "control"


def _security(policy) -> list[dict]:
    """The route's policy as OpenAPI security: Basic for the scopes an API key gives, Bearer
    for every scope (appUser and user exist only as JWTs); on the SDK API, a user JWT or an
    anonymous user's session; `[]` for a route that takes no credential."""
    if policy is None or not policy.scopes:
        return []
    scopes = [scope for scope in SCOPE_ORDER if scope in policy.scopes]
    if isinstance(policy, SdkPolicy):
        return [{"bearerAuth": scopes}] + ([{"sessionAuth": []}] if policy.sessions else [])
    basic = [scope for scope in scopes if scope in BASIC_SCOPES]
    return ([{"basicAuth": basic}] if basic else []) + [{"bearerAuth": scopes}]


def _request_body(method: str, endpoint: str, ref: dict | None) -> dict | None:
    if ref is not None:
        return ref.get("requestBody")
    if method not in ("POST", "PUT", "PATCH"):
        return None
    if endpoint in UPLOADS:
        return {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": {"source": {"type": "string", "format": "binary"}}}}}}
    return {"required": False, "content": {"application/json": {"schema": _OBJECT}}}


def _success_responses(path: str, endpoint: str, ref: dict | None) -> dict:
    if ref is not None:
        return {status: response for status, response in ref["responses"].items() if int(status) < 400}
    status = 201 if endpoint in CREATED else 200
    if path in ("/_mocksmooch/", "/_mocksmooch/chat"):
        content = {"text/html": {"schema": {"type": "string"}}}
    elif path.startswith("/_mocksmooch/assets/"):
        content = {"text/javascript": {"schema": {"type": "string"}}, "text/css": {"schema": {"type": "string"}}}
    elif path.startswith("/media/"):
        content = {"*/*": {"schema": {"type": "string", "format": "binary"}}}  # the uploaded file, as uploaded
    else:
        content = {"application/json": {"schema": _OBJECT}}
    return {str(status): {"description": REASONS[status], "content": content}}


def _error_statuses(method: str, path: str, endpoint: str, policy, checked_query: bool,
                    needs_admin: bool) -> set[int]:
    """The 4xx a route can answer: by the rules below, and EXTRA_STATUSES for its own."""
    statuses = set(EXTRA_STATUSES.get(endpoint, ()))
    if policy is not None and policy.scopes:  # a credential is needed: missing or bad, then not enough
        statuses |= {401, 403}
        if api_version(path) == "v1":
            statuses.add(400)  # v1 and the SDK answer a credential bound to another app with 400
    if needs_admin:
        statuses.add(401)
    if "{" in path:
        statuses.add(404)  # whatever the path names may not exist
    if method in ("POST", "PUT", "PATCH"):
        statuses |= {400, 413}  # the body is read and checked, and limited to 100 kB
    if checked_query:
        statuses.add(400)  # page[...] and filter[...] are read and checked
    return statuses


def _error_responses() -> dict:
    """One response per API version and error status, each with its version's envelope."""
    return {f"{version}Error{status}": {
        "description": REASONS[status],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    } for version, schema in ERROR_SCHEMA.items() for status in REASONS if status >= 400}


# --- deriving the vendored reference (python -m mocksmooch.openapi --derive FILE.yaml) -----------

# Schema keywords that only document; dropped from the vendored copy to keep it small.
_DOC_KEYWORDS = {"description", "example", "examples", "title", "externalDocs"}


def derive_reference(spec: dict, source: str) -> dict:
    """The compact form of the v2 description `spec` that the package ships: for each
    operation, its summary, query parameters, request body (with its examples) and
    responses, and every schema they reference; descriptions and `x-` extensions dropped."""
    components = spec["components"]

    def resolve(node: dict, kind: str) -> dict:
        while "$ref" in node:
            node = components[kind][node["$ref"].rsplit("/", 1)[1]]
        return node

    operations: dict[str, dict] = {}
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in METHODS:
                continue
            entry: dict[str, Any] = {"operationId": op["operationId"]}
            if op.get("summary"):
                entry["summary"] = op["summary"]
            query = [resolve(p, "parameters") for p in shared + op.get("parameters", [])]
            query = [{k: _clean(v) if k == "schema" else v for k, v in p.items() if k != "description"}
                     for p in query if p["in"] == "query"]
            if query:
                entry["parameters"] = query
            if "requestBody" in op:
                body = resolve(op["requestBody"], "requestBodies")
                content = {}
                for media_type, media in body["content"].items():
                    content[media_type] = {"schema": _clean(media["schema"])}
                    examples = {name: resolve(example, "examples")["value"]
                                for name, example in media.get("examples", {}).items()}
                    if examples:
                        content[media_type]["examples"] = {name: {"value": value} for name, value in examples.items()}
                entry["requestBody"] = {"required": bool(body.get("required")), "content": content}
            entry["responses"] = {}
            for status, response in op["responses"].items():
                response = resolve(response, "responses")
                rendered: dict[str, Any] = {"description": response.get("description", "").split("\n")[0]}
                if "content" in response:
                    rendered["content"] = {media_type: {"schema": _clean(media.get("schema", {}))}
                                           for media_type, media in response["content"].items()}
                if "headers" in response:
                    rendered["headers"] = {name: {"schema": _clean(header.get("schema", {}))}
                                           for name, header in response["headers"].items()}
                entry["responses"][str(status)] = rendered
            key = f"{method.upper()} {shape(path)}"
            assert key not in operations, f"two operations of the shape {key}"
            operations[key] = entry
    names = _referenced(operations, components["schemas"]) | {"errorResponse"}
    names |= _referenced({n: components["schemas"][n] for n in names}, components["schemas"])
    schemas = {name: _clean(components["schemas"][name]) for name in sorted(names)}
    dropped = _valid_examples(operations, schemas)
    return {"source": source, "droppedExamples": dropped, "operations": operations, "schemas": schemas}


def _referenced(node: Any, schemas: dict) -> set[str]:
    """Every schema name reachable from `node` through `#/components/schemas/` refs."""
    found: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    pending.append(schemas[name])
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return found


def _clean(schema: Any) -> Any:
    """A schema without its documentation keywords and `x-` extensions, and two fixes a
    JSON Schema validator needs: `oneOf` becomes `anyOf` (the reference's alternatives
    overlap: a text message is also a valid image message but for the `type` that only its
    `discriminator` tells apart, which validators ignore), and a boolean `required` inside
    a property (JSON Schema wants a list on the object) is dropped."""
    if isinstance(schema, list):
        return [_clean(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned = {}
    for key, value in schema.items():
        if key in _DOC_KEYWORDS or key.startswith("x-") or key == "discriminator" \
                or (key == "required" and isinstance(value, bool)):
            continue
        if key == "properties" and isinstance(value, dict):
            cleaned[key] = {name: _clean(sub) for name, sub in value.items()}
        else:
            cleaned["anyOf" if key == "oneOf" else key] = _clean(value)
    return cleaned


def _valid_examples(operations: dict, schemas: dict) -> list[str]:
    """Drop each request body example its own schema refuses (a fuzzer would try to
    complete it, slowly, or send it as valid); returns what was dropped."""
    import jsonschema

    dropped = []
    for key, operation in operations.items():
        for media in operation.get("requestBody", {}).get("content", {}).values():
            examples = media.get("examples", {})
            validator = jsonschema.Draft4Validator({**media["schema"], "components": {"schemas": schemas}})
            for name in [name for name, example in examples.items() if not validator.is_valid(example["value"])]:
                dropped.append(f"{key} {name}")
                del examples[name]
            if not examples:
                media.pop("examples", None)
    return dropped


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="derive mocksmooch/reference/ from the v2 OpenAPI YAML")
    parser.add_argument("--derive", metavar="YAML", required=True)
    args = parser.parse_args()
    import yaml

    spec = yaml.safe_load(Path(args.derive).read_text(encoding="utf-8"))
    source = (f"the Sunshine Conversations v2 OpenAPI description {spec['info']['version']} "
              "(zendesk/sunshine-conversations-api-spec, openapi.yaml), compacted")
    json.dump(derive_reference(spec, source), sys.stdout, indent=None, separators=(",", ":"), sort_keys=False)
    sys.stdout.write("\n")
