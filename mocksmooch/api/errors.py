"""Error bodies in the envelope of the API version the request was made to.

    v2:                {"errors": [{"code": C, "title": T}]}
    v1, v1.1 and SDK:  {"error": {"code": C, "description": T}}

Auth refusals are mapped here, per version, from the auth core's exception classes;
the precise reason goes to the X-Mocksmooch-Reason header, never into the body.
"""
from __future__ import annotations

import re

from flask import Response, jsonify, request

from .. import auth

REASON_HEADER = "X-Mocksmooch-Reason"


class ApiError(Exception):
    """A refusal by a resource route: bad input, missing resource, conflict..."""

    def __init__(self, status: int, code: str, message: str, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.reason = reason or message


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


# (status, code, text) per auth exception class; the most specific class wins.
_V2_AUTH = {
    auth.AuthenticationError: (401, "unauthorized", "Authorization is required"),
    auth.ScopeNotAllowed: (403, "forbidden", "Forbidden"),
    auth.AppMismatch: (403, "forbidden", "Forbidden"),
    auth.AppNotFound: (404, "app_not_found", "App not found"),
    auth.UserMismatch: (403, "forbidden", "Forbidden"),
    auth.ServiceAccountMismatch: (
        403, "forbidden", "The serviceAccountId provided does not match supplied credentials"),
}

_V1_AUTH = {
    auth.AuthenticationError: (401, "unauthorized", "Authorization is required"),
    auth.InvalidToken: (401, "invalid_auth", "Invalid JWT"),
    auth.MissingKeyId: (401, "invalid_auth", "Invalid JWT header. Missing key id (kid)"),
    auth.InvalidClaims: (401, "invalid_auth", "Invalid JWT body. {detail}"),
    auth.ScopeNotAllowed: (403, "forbidden", "Forbidden"),
    auth.InvalidScope: (403, "forbidden", "Invalid scope"),  # the SDK API (auth/sdk.py)
    auth.AppMismatch: (400, "bad_request", "AppId in path does not match supplied credentials"),
    auth.AppNotFound: (404, "not_found", "App not found"),
    auth.UserMismatch: (403, "forbidden", "Forbidden"),
    auth.ServiceAccountMismatch: (403, "forbidden", "Forbidden"),
}


def api_version(path: str | None = None) -> str:
    """Which envelope a path answers in: "v2", "v1" or "control"."""
    path = path if path is not None else request.path
    if path.startswith("/v2/") or path == "/v2" or path.startswith("/oauth/"):
        return "v2"
    if path.startswith(("/v1/", "/v1.1/", "/sdk/")) or path in ("/v1", "/v1.1"):
        return "v1"
    return "control"


def error_response(status: int, code: str, text: str, reason: str | None = None) -> Response:
    version = api_version()
    if version == "v2":
        body = {"errors": [{"code": code, "title": text}]}
    elif version == "v1":
        body = {"error": {"code": code, "description": text}}
    else:
        body = {"error": {"code": code, "message": text}}
    response = jsonify(body)
    response.status_code = status
    if reason:
        response.headers[REASON_HEADER] = header_safe(reason)
    return response


def auth_error_response(error: auth.AuthError) -> Response:
    table = _V2_AUTH if api_version() == "v2" else _V1_AUTH
    for cls in type(error).__mro__:
        if cls in table:
            status, code, text = table[cls]
            break
    else:  # pragma: no cover - every AuthError subclass is in both tables
        status, code, text = error.status, "unauthorized", "Authorization is required"
    if "{detail}" in text:
        text = text.format(detail=getattr(error, "detail", ""))
    return error_response(status, code, text, error.reason)


def header_safe(text: str) -> str:
    """Header values are latin-1 on the wire and end at a line break; keep the reason
    printable ASCII (control characters escaped, as reasons quote the request) and bounded."""
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", escaped)[:512]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
