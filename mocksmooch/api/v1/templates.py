"""v1.1 message templates of an app: a named message, sent later by referring to its
name in shorthand (`%((template:name))%`).  Account and app scope only (like the menu,
templates configure the app; integrations may not).

Records: `template` under the app, its name as `alt` (unique within the app, since a
shorthand reference must find one template).
"""
from __future__ import annotations

from flask import jsonify

from ... import ids
from ...store import Conflict
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock
from . import app_route, not_found, offset_page, with_status

# Message types and the field each one cannot do without (v1 MessageType, post message API).
MESSAGE_TYPES = {"text": ("text", str), "image": ("mediaUrl", str), "file": ("mediaUrl", str),
                 "carousel": ("items", list), "list": ("items", list), "location": ("coordinates", dict),
                 "form": ("fields", list)}


def message_field(body: dict, name: str, *, prefix: str = "", required: bool = False) -> dict | None:
    """`body[name]` as a v1 message object: a known `type` and the field that type needs.
    Null members are dropped, so a rendered message never holds a null the v1 client
    would refuse."""
    message = field(body, name, dict, required=required)
    if message is None:
        return None
    where = f"{prefix}{name}"
    kind = message.get("type")
    if kind is None:
        raise bad_request(f"{where} should have required property 'type'")
    if kind not in MESSAGE_TYPES:
        raise bad_request(f"{where}.type should be equal to one of the allowed values: {', '.join(MESSAGE_TYPES)}")
    needed, needed_kind = MESSAGE_TYPES[kind]
    value = message.get(needed)
    if value is None:
        raise bad_request(f"{where} should have required property '{needed}'")
    if not isinstance(value, needed_kind) or not value:
        kind_word = {str: "string", list: "array", dict: "object"}[needed_kind]
        raise bad_request(f"{where}.{needed} should be a non-empty {kind_word}")
    return {key: item for key, item in message.items() if item is not None}


def render_template(template: dict) -> dict:
    return {"_id": template["id"], "name": template["name"], "message": template["message"]}


def _template(app_id: str, template_id: str) -> dict:
    template = mock().store.get_of_app("template", template_id, app_id)
    if template is None:
        raise not_found("Template", f"app {app_id} has no template {template_id[:64]!r}")
    return template


def _store(template: dict, *, create: bool) -> None:
    store = mock().store
    try:
        if create:
            store.insert("template", template, parent=template["appId"], alt=template["name"])
        else:
            store.update("template", template, alt=template["name"])
    except Conflict:
        raise ApiError(409, "conflict", "Template already exists",
                       f"app {template['appId']} has a template named {template['name']!r}") from None


@app_route("/templates", "POST", "account", "app")
def create_template(app_id):
    body = json_body()
    template = {"id": ids.object_id(), "appId": app_id,
                "name": field(body, "name", str, required=True, non_empty=True),
                "message": message_field(body, "message", required=True)}
    _store(template, create=True)
    return with_status({"template": render_template(template)}, 201)


@app_route("/templates", "GET", "account", "app")
def list_templates(app_id):
    templates = [render_template(template) for template in mock().store.children("template", app_id)]
    return jsonify(offset_page(templates, "templates"))


@app_route("/templates/<template_id>", "GET", "account", "app")
def get_template(app_id, template_id):
    return jsonify({"template": render_template(_template(app_id, template_id))})


@app_route("/templates/<template_id>", "PUT", "account", "app")
def update_template(app_id, template_id):
    body = json_body()
    template = _template(app_id, template_id)
    if "name" in body:
        template["name"] = field(body, "name", str, non_empty=True)
    if "message" in body:
        template["message"] = message_field(body, "message")
    _store(template, create=False)
    return jsonify({"template": render_template(template)})


@app_route("/templates/<template_id>", "DELETE", "account", "app")
def delete_template(app_id, template_id):
    mock().store.delete("template", _template(app_id, template_id)["id"])
    return jsonify({})
