"""Reading request bodies and query strings, with the real API's 400s."""
from __future__ import annotations

import json
import math
from typing import Any

from flask import request

from .errors import ApiError, bad_request

MAX_JSON_BYTES = 100 * 1024  # "JSON 100kb" (openapi.yaml 17.12.1)


def json_body() -> dict:
    """The request's JSON object; an empty body reads as {}."""
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(413, "payload_too_large", "Request entity too large")
    if not raw.strip():
        return {}
    try:
        body = strict_json(raw)
    except Exception:
        raise bad_request("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


def strict_json(text: str | bytes) -> Any:
    """JSON as the real service's parser reads it: NaN and Infinity are not JSON, and a
    number too large for a double (1e400) is refused too, rather than stored as an
    infinity that no client could read back (raises ValueError, RecursionError)."""
    return json.loads(text, parse_constant=_not_json, parse_float=_finite)


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:32]} is out of range")
    return value


def field(body: dict, name: str, kind: type | tuple[type, ...], *, required: bool = False,
          nullable: bool = False, non_empty: bool = False) -> Any:
    """`body[name]`, checked: the 400 title names the field, as the real API's do."""
    if name not in body:
        if required:
            raise bad_request(f"should have required property '{name}'")
        return None
    value = body[name]
    if value is None:
        if nullable:
            return None
        raise bad_request(f"{name} should not be null")
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise bad_request(f"{name} should be {_kind_name(kind)}")
    if not isinstance(value, kind):
        raise bad_request(f"{name} should be {_kind_name(kind)}")
    if non_empty and isinstance(value, str) and not value:
        raise bad_request(f"{name} should NOT be shorter than 1 characters")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "string", int: "integer", bool: "boolean", dict: "object", list: "array", float: "number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)
