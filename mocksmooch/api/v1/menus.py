"""v1.1 app menu: the persistent menu shown on channels that have one (Messenger,
WeChat).  One per app; account and app scope only ("`/v1/menu/*` no" for integrations).

Record: `menu` under the app, with `alt` "menu" (so there is at most one): appId, items
(each with a generated `_id`, as the documented responses show), settings?.
"""
from __future__ import annotations

from flask import jsonify

from ... import ids
from ..bodies import field, json_body
from ..errors import bad_request
from ..guard import mock
from . import app_route

MAX_ITEMS = 3      # "Menus contain 1 to 3 menu items at its first level of hierarchy."
MAX_SUBITEMS = 5   # "Submenus contain 1 to 5 menu items."
TOP_TYPES = ("link", "postback", "submenu")
SUB_TYPES = ("link", "postback")


def render_menu(menu: dict | None) -> dict:
    """An app without a menu has an empty one, as DELETE answers."""
    if menu is None:
        return {"items": []}
    rendered = {"items": menu["items"]}
    if menu.get("settings") is not None:
        rendered["settings"] = menu["settings"]
    return rendered


def _menu(app_id: str) -> dict | None:
    return mock().store.get_by_alt("menu", app_id, "menu")


@app_route("/menu", "GET", "account", "app")
def get_menu(app_id):
    return jsonify({"menu": render_menu(_menu(app_id))})


@app_route("/menu", "PUT", "account", "app")
def update_menu(app_id):
    """Replace the menu.  An empty `items` list clears it, like DELETE."""
    return jsonify({"menu": render_menu(save_menu(app_id, app_id, json_body()))})


def save_menu(owner_id: str, app_id: str, body: dict, **extra: str) -> dict:
    """Create or replace the menu of `owner_id` (the app, or one of its integrations) from a
    request body: the app menu and the integration menus follow the same rules."""
    items = _items(field(body, "items", list, required=True), "items", TOP_TYPES, MAX_ITEMS)
    settings = field(body, "settings", dict)
    if settings is not None:
        if not isinstance(settings.get("inputEnabled", True), bool):
            raise bad_request("settings.inputEnabled should be boolean")
        settings = {"inputEnabled": settings.get("inputEnabled", True)}
    store = mock().store
    existing = store.get_by_alt("menu", owner_id, "menu")
    menu = {"id": existing["id"] if existing else ids.object_id(), "appId": app_id, **extra, "items": items,
            "settings": settings}
    if existing:
        store.update("menu", menu, alt="menu")
    else:
        store.insert("menu", menu, parent=owner_id, alt="menu")
    return menu


@app_route("/menu", "DELETE", "account", "app")
def delete_menu(app_id):
    existing = _menu(app_id)
    if existing:
        mock().store.delete("menu", existing["id"])
    return jsonify({"menu": render_menu(None)})


def _items(items: list, where: str, types: tuple[str, ...], limit: int) -> list[dict]:
    if len(items) > limit:
        raise bad_request(f"{where} should NOT have more than {limit} items")
    return [_item(item, f"{where}[{index}]", types) for index, item in enumerate(items)]


def _item(item, where: str, types: tuple[str, ...]) -> dict:
    """A menu item: `type` and `text`, plus `uri` (link), `payload` (postback) or
    `items` (submenu, one level deep, 1 to 5 items)."""
    if not isinstance(item, dict):
        raise bad_request(f"{where} should be object")
    kind = item.get("type")
    if kind is None:
        raise bad_request(f"{where} should have required property 'type'")
    if not isinstance(kind, str) or kind not in types:
        raise bad_request(f"{where}.type should be equal to one of the allowed values: {', '.join(types)}")
    text = item.get("text")
    if text is None:
        raise bad_request(f"{where} should have required property 'text'")
    if not isinstance(text, str) or not text:
        raise bad_request(f"{where}.text should be a non-empty string")
    rendered = {"_id": ids.object_id(), "type": kind, "text": text}
    needed = {"link": "uri", "postback": "payload", "submenu": "items"}[kind]
    value = item.get(needed)
    if value is None:
        raise bad_request(f"{where} should have required property '{needed}'")
    if kind == "submenu":
        if not isinstance(value, list) or not value:
            raise bad_request(f"{where}.items should NOT have fewer than 1 items")
        rendered["items"] = _items(value, f"{where}.items", SUB_TYPES, MAX_SUBITEMS)
    elif not isinstance(value, str) or not value:
        raise bad_request(f"{where}.{needed} should be a non-empty string")
    else:
        rendered[needed] = value
    return rendered
