"""Cursor paging of REST list endpoints: parameters, `page_info` cursors, the `Link` header.

Rules from Shopify's REST pagination guide (PLATFORM §10): `limit` defaults to 50, at most
250; the next and previous pages come only as URLs in the `Link` header, with `page_info`;
a request carrying `page_info` may add only `limit` and `fields`, because the first
request's filters travel inside the cursor. Sorting and filters are applied by the
resource's source; this module only walks it from a cursor.

Choices where the guide is silent: a `limit` above 250 is served as 250 (the guide gives
only the maximum); a cursor that does not decode is `400 {"errors":{"page_info":"Invalid
value."}}`, the body seen in client issue threads.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import orjson

DEFAULT_LIMIT = 50
MAX_LIMIT = 250
PAGE_PARAMS = {"limit", "fields", "page_info"}


class ParamError(Exception):
    """A parameter Shopify would refuse: (field, message) for a 400 body."""

    def __init__(self, field: str, message: str = "Invalid value.", conflict: bool = False):
        super().__init__(message)
        self.field, self.message, self.conflict = field, message, conflict


def parse_limit(params) -> int:
    raw = params.get("limit")
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError as e:
        raise ParamError("limit") from e
    if value < 1:
        raise ParamError("limit")
    return min(value, MAX_LIMIT)


def parse_fields(params) -> list[str] | None:
    raw = params.get("fields")
    if not raw:
        return None
    return [f.strip() for f in raw.split(",") if f.strip()]


def only_fields(item: dict, fields: list[str] | None) -> dict:
    return item if not fields else {k: v for k, v in item.items() if k in fields}


def encode(filters: dict, direction: str, key) -> str:
    raw = orjson.dumps({"direction": direction, "last": key, "filters": filters})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(page_info: str) -> tuple[dict, str, list]:
    try:
        raw = base64.urlsafe_b64decode(page_info + "=" * (-len(page_info) % 4))
        data = orjson.loads(raw)
        filters, direction, key = data["filters"], data["direction"], data["last"]
    except (ValueError, KeyError, TypeError) as e:
        raise ParamError("page_info") from e
    if direction not in ("next", "prev") or not isinstance(filters, dict):
        raise ParamError("page_info")
    return filters, direction, key


def request_filters(params) -> tuple[dict, str, list | None]:
    """(filters, direction, last key) of a list request, from its params or its cursor."""
    page_info = params.get("page_info")
    if not page_info:
        return {k: v for k, v in params.items() if k not in PAGE_PARAMS}, "next", None
    for name in params:
        if name not in PAGE_PARAMS:
            raise ParamError(name, conflict=True)
    return decode(page_info)


@dataclass
class Page:
    items: list
    next_key: list | None  # cursor key of the last item when a next page exists
    prev_key: list | None  # cursor key of the first item when a previous page exists


def walk(
    rows: Callable[[list | None, bool], Iterator[tuple[list, dict]]],
    limit: int,
    direction: str,
    key: list | None,
) -> Page:
    """One page from `rows(after_key, backwards)`, which yields (key, item) strictly after
    `after_key` in the list's order (or strictly before it, newest first, when backwards)."""
    backwards = direction == "prev"
    got = []
    for row in rows(key, backwards):
        got.append(row)
        if len(got) > limit:
            break
    more = len(got) > limit
    got = got[:limit]
    if backwards:
        got.reverse()
    if not got:
        return Page([], None, None)
    first, last = got[0][0], got[-1][0]
    has_next = more if not backwards else True
    has_prev = (key is not None) if not backwards else more
    return Page([item for _, item in got], last if has_next else None, first if has_prev else None)


def link_header(url_base: str, page: Page, filters: dict, limit: int, fields) -> str | None:
    """`<url?limit&page_info>; rel="previous", <…>; rel="next"` (Shopify's order)."""
    links = []
    for rel, direction, key in (
        ("previous", "prev", page.prev_key),
        ("next", "next", page.next_key),
    ):
        if key is None:
            continue
        query = {"limit": limit}
        if fields:
            query["fields"] = ",".join(fields)
        query["page_info"] = encode(filters, direction, key)
        links.append(f'<{url_base}?{urlencode(query)}>; rel="{rel}"')
    return ", ".join(links) or None
