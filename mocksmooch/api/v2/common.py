"""What several v2 resources share: status helpers, metadata rules, path lookups."""
from __future__ import annotations

import json

from flask import jsonify

from ..errors import ApiError, bad_request
from ..bodies import field
from ..guard import mock

MAX_METADATA_BYTES = 4096


def created(body: dict):
    response = jsonify(body)
    response.status_code = 201
    return response


def metadata_field(body: dict, owner: str) -> dict | None:
    metadata = field(body, "metadata", dict, nullable=True)
    if metadata is None:
        return None
    for name, value in metadata.items():
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise bad_request(f"metadata.{name} should be a string, number or boolean")
    if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        raise bad_request(f"{owner} metadata is limited to 4096 bytes in size.")
    return metadata


def find_app(app_id: str) -> dict:
    """The app of the path; the guard has checked it exists and is the caller's."""
    return mock().store.get("app", app_id)


def find_user(app_id: str, user_ref: str) -> dict:
    user = mock().store.find_user(app_id, user_ref)
    if user is None:
        raise ApiError(404, "user_not_found", "User not found",
                       f"app {app_id} has no user with id or externalId {user_ref[:64]!r}")
    return user


def render_user(user: dict) -> dict:
    rendered = {"id": user["id"]}
    if user.get("externalId") is not None:
        rendered["externalId"] = user["externalId"]
    if user.get("zendeskId") is not None:
        rendered["zendeskId"] = user["zendeskId"]
    rendered.update({
        "signedUpAt": user["signedUpAt"],
        "toBeRetained": user.get("toBeRetained", False),
        "profile": {name: value for name, value in user.get("profile", {}).items() if value is not None},
        "metadata": user.get("metadata") or {},
        "identities": user.get("identities", []),
    })
    return rendered
