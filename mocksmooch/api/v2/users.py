"""v2 users, by id or externalId."""
from __future__ import annotations

from flask import jsonify

from ... import ids
from ...clock import parse_rfc3339, rfc3339
from ...store import Conflict
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock, requires
from ..pagination import paginate, query_object
from . import v2
from .common import created, find_user, metadata_field, render_user

PROFILE_FIELDS = {"givenName": 128, "surname": 128, "email": 128, "avatarUrl": 2048, "locale": 64}


@v2.post("/apps/<app_id>/users")
@requires("account", "app", "integration")
def create_user(app_id):
    body = json_body()
    external_id = field(body, "externalId", str, non_empty=True)
    user = {
        "id": ids.object_id(),
        "appId": app_id,
        "signedUpAt": _signed_up_at(body) or rfc3339(mock().clock.now()),
        "toBeRetained": field(body, "toBeRetained", bool) or False,
        "profile": _profile(body, {}),
        "metadata": metadata_field(body, "User") or {},
    }
    if external_id is not None:
        user["externalId"] = external_id
    try:
        mock().store.insert("user", user, parent=app_id, alt=external_id)
    except Conflict:
        raise ApiError(409, "conflict", "User already exists",
                       f"app {app_id} has a user with externalId {external_id!r}") from None
    return created({"user": render_user(user)})


@v2.get("/apps/<app_id>/users")
@requires("account", "app", "integration")
def list_users(app_id):
    users = mock().store.children("user", app_id)
    email = query_object("filter").get("identities.email")
    if email is not None:
        users = [user for user in users
                 if any(identity.get("type") == "email" and identity.get("value") == email
                        for identity in user.get("identities", []))]
    return jsonify(paginate([render_user(user) for user in users], "users"))


@v2.get("/apps/<app_id>/users/<user_ref>")
@requires("account", "app", "integration")
def get_user(app_id, user_ref):
    return jsonify({"user": render_user(find_user(app_id, user_ref))})


@v2.patch("/apps/<app_id>/users/<user_ref>")
@requires("account", "app", "integration")
def update_user(app_id, user_ref):
    body = json_body()
    user = find_user(app_id, user_ref)
    if "signedUpAt" in body:
        user["signedUpAt"] = _signed_up_at(body)
    if "toBeRetained" in body:
        user["toBeRetained"] = field(body, "toBeRetained", bool)
    if "profile" in body:
        user["profile"] = _profile(body, user.get("profile", {}))
    if "metadata" in body:
        user["metadata"] = metadata_field(body, "User") or {}
    mock().store.update("user", user, alt=user.get("externalId"))
    return jsonify({"user": render_user(user)})


@v2.delete("/apps/<app_id>/users/<user_ref>")
@requires("account", "app", "integration")
def delete_user(app_id, user_ref):
    mock().store.delete("user", find_user(app_id, user_ref)["id"])
    return jsonify({})


def _signed_up_at(body: dict) -> str | None:
    text = field(body, "signedUpAt", str)
    if text is None:
        return None
    try:
        return rfc3339(parse_rfc3339(text))
    except ValueError:
        raise bad_request("signedUpAt should match format \"date-time\"") from None


def _profile(body: dict, current: dict) -> dict:
    """The profile after applying `body["profile"]`: given fields replace, null clears."""
    changes = field(body, "profile", dict) or {}
    profile = dict(current)
    for name, value in changes.items():
        if name not in PROFILE_FIELDS:
            raise bad_request(f"profile should NOT have additional property '{name}'")
        if value is None:
            profile.pop(name, None)
            continue
        if not isinstance(value, str):
            raise bad_request(f"profile.{name} should be string")
        if not 1 <= len(value) <= PROFILE_FIELDS[name]:
            raise bad_request(f"profile.{name} should be between 1 and {PROFILE_FIELDS[name]} characters")
        profile[name] = value
    return profile

