"""What each REST list holds and in which order: records of a shop table, or derived lists.

A source turns a list request's filters into `rows(after_key, backwards)` (see `paging.walk`)
and a count. Table-backed lists (customers, orders, products, collections, checkouts) run on
`store.select`, so `since_id` and date filters jump over a million records instead of
building them; derived lists (collects, events, webhooks) are small and built in memory.

Filters: `ids`, `since_id`, `created_at_min/max`, `updated_at_min/max` (and
`processed_at_min/max` for orders) on every table list; orders also `status` (default
`open`), `financial_status`, `fulfillment_status`; products `vendor`, `product_type`,
`handle`, `title`, `status`; collections `title`, `handle`, `product_id`. `order` takes
`id|created_at|updated_at|processed_at asc|desc`. Choices where the reference is silent:
lists are in id order unless `order` says otherwise; `status=open` means neither closed nor
cancelled; an unparseable date or enum value is `400 {"errors":{param:"Invalid value."}}`.
"""

from __future__ import annotations

from collections.abc import Callable

from shopsim import store
from shopsim.records import parse_iso
from shopsim.rest_admin.paging import ParamError

DATE_FILTERS = {
    "created_at_min": ("created_at", ">="),
    "created_at_max": ("created_at", "<="),
    "updated_at_min": ("updated_at", ">="),
    "updated_at_max": ("updated_at", "<="),
}
ORDER_DATES = {
    "processed_at_min": ("processed_at", ">="),
    "processed_at_max": ("processed_at", "<="),
}
SORT_KEYS = {"id": "ID", "created_at": "ID", "processed_at": "ID", "updated_at": "UPDATED_AT"}
FINANCIAL = {
    "authorized",
    "pending",
    "paid",
    "partially_paid",
    "refunded",
    "voided",
    "partially_refunded",
}
FULFILMENT = {"FULFILLED": "shipped", "PARTIALLY_FULFILLED": "partial"}


def parse_ids(filters: dict) -> set[int] | None:
    raw = filters.get("ids")
    if not raw:
        return None
    try:
        return {int(x) for x in str(raw).split(",") if x.strip()}
    except ValueError as e:
        raise ParamError("ids") from e


def parse_order(filters: dict) -> tuple[str, bool]:
    raw = (filters.get("order") or "id asc").strip().lower().split()
    if not raw or raw[0] not in SORT_KEYS or (len(raw) > 1 and raw[1] not in ("asc", "desc")):
        raise ParamError("order")
    return SORT_KEYS[raw[0]], len(raw) > 1 and raw[1] == "desc"


def search_query(filters: dict, kind: str) -> str:
    """REST filters as the simulator's search terms (cheap on generated records)."""
    terms = []
    since = filters.get("since_id")
    if since not in (None, ""):
        if not str(since).isdigit():
            raise ParamError("since_id")
        terms.append(f"id:>{since}")
    dates = dict(DATE_FILTERS, **(ORDER_DATES if kind == "orders" else {}))
    for param, (field, op) in dates.items():
        value = filters.get(param)
        if not value:
            continue
        try:
            parse_iso(value)
        except ValueError as e:
            raise ParamError(param) from e
        terms.append(f"{field}:{op}'{value}'")
    return " ".join(terms)


def _order_predicate(filters: dict):
    status = (filters.get("status") or "open").lower()
    fin = (filters.get("financial_status") or "any").lower()
    ful = (filters.get("fulfillment_status") or "any").lower()
    if status not in ("open", "closed", "cancelled", "any"):
        raise ParamError("status")
    if fin not in FINANCIAL | {"any", "unpaid"}:
        raise ParamError("financial_status")
    if ful not in ("shipped", "partial", "unshipped", "unfulfilled", "any"):
        raise ParamError("fulfillment_status")
    if status == "any" and fin == "any" and ful == "any":
        return None

    def ok(rec: dict) -> bool:
        cancelled, closed = rec.get("cancelledAt") is not None, rec.get("closedAt") is not None
        if status == "open" and (cancelled or closed):
            return False
        if (status == "closed" and not closed) or (status == "cancelled" and not cancelled):
            return False
        have = (rec.get("displayFinancialStatus") or "pending").lower()
        if fin == "unpaid" and have not in ("authorized", "pending", "partially_paid"):
            return False
        if fin not in ("any", "unpaid") and have != fin:
            return False
        shipped = FULFILMENT.get(rec.get("displayFulfillmentStatus"), "unshipped")
        if ful == "unfulfilled":
            return shipped != "shipped"
        return ful == "any" or shipped == ful

    return ok


def _field_predicate(filters: dict, fields: dict[str, str], extra=None):
    wanted = {p: str(filters[p]).lower() for p in fields if filters.get(p)}
    if not wanted and extra is None:
        return None

    def ok(rec: dict) -> bool:
        for param, value in wanted.items():
            have = str(rec.get(fields[param]) or "").lower()
            if param == "handle" and have not in value.split(","):
                return False
            if param != "handle" and have != value:
                return False
        return extra is None or extra(rec)

    return ok


def _collection_predicate(smart: bool):
    def factory(filters: dict):
        pid = filters.get("product_id")

        def kind_ok(rec: dict) -> bool:
            if bool(rec.get("ruleSet")) != smart:
                return False
            members = (str(p.get("id")).rsplit("/", 1)[-1] for p in rec.get("products") or [])
            return not pid or str(pid) in members

        return _field_predicate(filters, {"title": "title", "handle": "handle"}, kind_ok)

    return factory


PREDICATES: dict[str, Callable] = {
    "orders": _order_predicate,
    "products": lambda f: _field_predicate(
        f,
        {
            "vendor": "vendor",
            "product_type": "productType",
            "handle": "handle",
            "title": "title",
            "status": "status",
        },
    ),
    "custom_collections": _collection_predicate(False),
    "smart_collections": _collection_predicate(True),
    "checkouts": lambda f: lambda rec: rec.get("completedAt") is None,
}


class TableSource:
    """A REST list over one shop table (`kind`), filtered by a resource's predicate."""

    def __init__(self, shop, kind: str, resource: str, filters: dict, scopes, serialize):
        self.shop, self.kind, self.serialize = shop, kind, serialize
        self.table = shop.tables[kind]
        query = search_query(filters, kind)
        if kind == "orders":
            query = store.order_window_query(shop, query, scopes)
        self.query = query
        self.sort_key, self.desc = parse_order(filters)
        self.ids = parse_ids(filters)
        factory = PREDICATES.get(resource)
        self.predicate = factory(filters) if factory else None

    def _matches(self, reverse: bool, after: list | None):
        cursor = store.encode_cursor(self.kind, str(after[0]), int(after[1])) if after else None
        for cur, i in store.select(
            self.table, query=self.query, sort_key=self.sort_key, reverse=reverse, after=cursor
        ):
            if self.ids is not None and self.table.num(i) not in self.ids:
                continue
            rec = self.table.get(i)
            if rec is None or (self.predicate is not None and not self.predicate(rec)):
                continue
            yield cur, i, rec

    def rows(self, after: list | None, backwards: bool):
        for cur, i, rec in self._matches(self.desc != backwards, after):
            value, index = store.decode_cursor(cur)
            yield [value, index], self.serialize(self.shop, i, rec)

    def count(self) -> int:
        if self.predicate is None:
            n = 0
            for _, i in store.select(self.table, query=self.query):
                if self.ids is None or self.table.num(i) in self.ids:
                    n += 1
            return n
        return sum(1 for _ in self._matches(False, None))


class ListSource:
    """A REST list built in memory: `items` are (key, item) in ascending key order."""

    def __init__(self, items: list[tuple[list, dict]], desc: bool = False):
        self.items, self.desc = items, desc

    def rows(self, after: list | None, backwards: bool):
        reverse = self.desc != backwards
        seq = reversed(self.items) if reverse else self.items
        for key, item in seq:
            if after is not None and (key <= after if not reverse else key >= after):
                continue
            yield key, item

    def count(self) -> int:
        return len(self.items)
