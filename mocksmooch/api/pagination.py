"""v2 cursor pagination: `page[after]`, `page[before]` (both exclusive), `page[size]`,
answered with `meta.hasMore`, `meta.afterCursor` / `meta.beforeCursor` and `links`."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlencode

from flask import request

from .errors import ApiError

if TYPE_CHECKING:
    from ..store import Store

DEFAULT_SIZE = 25
MAX_SIZE = 100


def query_object(name: str) -> dict[str, str]:
    """A v2 query object, sent either as documented (`page[after]=X&page[size]=10`,
    deepObject) or as the official Python client sends it (`page={"after": "X", "size": 10}`)."""
    values = {key[len(name) + 1:-1]: value for key, value in request.args.items()
              if key.startswith(name + "[") and key.endswith("]")}
    encoded = request.args.get(name)
    if encoded is not None:
        try:
            decoded = json.loads(encoded)
        except (ValueError, RecursionError):  # RecursionError: `page=[[[[...`, nested too deeply
            decoded = None
        if not isinstance(decoded, dict):
            raise ApiError(400, "bad_request", "Invalid query parameters",
                           f"{name}={encoded[:64]!r} is neither deepObject nor a JSON object")
        values.update({key: value if isinstance(value, str) else json.dumps(value)
                       for key, value in decoded.items() if value is not None})
    return values


def page_query() -> tuple[str | None, str | None, int]:
    page = query_object("page")
    after = page.get("after")
    before = page.get("before")
    size_text = page.get("size", str(DEFAULT_SIZE))
    if after is not None and before is not None:
        raise _invalid("only one of page[after] and page[before] may be given")
    try:
        size = int(size_text)
    except ValueError:
        raise _invalid(f"page[size] {size_text!r} is not an integer") from None
    if not 1 <= size <= MAX_SIZE:
        raise _invalid(f"page[size] must be between 1 and {MAX_SIZE}")
    return after, before, size


def paginate(records: list[dict], collection: str) -> dict:
    """One page of `records` (in creation order) as `{collection: [...], meta, links}`."""
    after, before, size = page_query()
    ids = [record["id"] for record in records]
    if after is not None:
        start = _position(ids, after, "page[after]") + 1
        end = start + size
    elif before is not None:
        end = _position(ids, before, "page[before]")
        start = max(0, end - size)
    else:
        start, end = 0, size
    chosen = records[start:end]
    return _page(chosen, collection, start > 0 and bool(chosen), end < len(records), before, size)


def paginate_children(store: Store, kind: str, parent: str, collection: str,
                      render: Callable[[dict], dict]) -> dict:
    """`paginate` of the records of `kind` under `parent`, reading only the page from the
    store (an app's 100,000 users are not all read to answer for 25 of them)."""
    after, before, size = page_query()
    try:
        records, more_before, more_after = store.page(kind, parent, after=after, before=before, size=size)
    except LookupError:
        name, cursor = ("page[after]", after) if after is not None else ("page[before]", before)
        raise _invalid(f"{name} {cursor[:64]!r} is not a record of this list") from None
    return _page([render(record) for record in records], collection, more_before, more_after, before, size)


def _page(chosen: list[dict], collection: str, more_before: bool, more_after: bool, before: str | None,
          size: int) -> dict:
    meta: dict = {"hasMore": more_before if before is not None else more_after}
    links: dict = {}
    if chosen and more_after:
        meta["afterCursor"] = chosen[-1]["id"]
        links["next"] = _link("page[after]", chosen[-1]["id"], size)
    if chosen and more_before:
        meta["beforeCursor"] = chosen[0]["id"]
        links["prev"] = _link("page[before]", chosen[0]["id"], size)
    return {collection: chosen, "meta": meta, "links": links}


def _position(ids: list[str], cursor: str, name: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise _invalid(f"{name} {cursor[:64]!r} is not a record of this list") from None


def _link(name: str, cursor: str, size: int) -> str:
    query = {k: v for k, v in request.args.items() if k != "page" and not k.startswith("page[")}
    query[name] = cursor
    if size != DEFAULT_SIZE:
        query["page[size]"] = str(size)
    return f"{request.base_url}?{urlencode(query)}"


def _invalid(reason: str) -> ApiError:
    return ApiError(400, "bad_request", "Invalid page query parameters", reason)
