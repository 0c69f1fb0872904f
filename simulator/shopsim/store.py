"""In-memory shops: lazily generated records plus overrides, search and cursor pagination.

A `Table` holds one resource kind of one shop. Generated records (index < count) are built
on demand by the `Generator`; `overrides` maps index → changed record, or None when deleted;
records created at run time get indexes from `next_index`. Nothing else is kept, which is
what lets a shop hold a million orders in a few megabytes.

A customer's totals (`numberOfOrders`, `amountSpent`, `lastOrder`, `canDelete`) are derived
from its orders whenever the customer is read (`Shop.purchases`): generated orders through
the generator's invertible order ↔ customer assignment, changed ones through the orders
table's `by_customer` index.
"""

from __future__ import annotations

import base64
import copy
import re
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shopsim.config import Profile, Settings
from shopsim.generator import Generator
from shopsim.records import KINDS, TYPENAMES, Ref, derive_customer, iso, parse_iso

SHOP_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")
# Restore rates per plan, PLATFORM §3 (bucket = 20 × restore rate).
PLAN_RESTORE = {
    "basic": 100.0,
    "standard": 100.0,
    "shopify": 100.0,
    "advanced": 200.0,
    "plus": 1000.0,
    "shopify_plus": 1000.0,
    "enterprise": 2000.0,
    "partner_test": 100.0,
    "development": 100.0,
}
_DELETED = None


def now_iso() -> str:
    return iso(datetime.now(UTC))


class Table:
    """One resource kind of one shop."""

    def __init__(self, shop: Shop, kind: str, count: int):
        self.shop, self.kind, self.count = shop, kind, count
        self.next_index = count
        self.overrides: dict[int, dict | None] = {}
        # Orders kept as overrides, by the index of the customer they name (Shop.purchases).
        self.by_customer: dict[int, set[int]] = {}
        self.owner: dict[int, int] = {}
        self.version = 0  # bumped on every put/delete

    def get(self, index: int) -> dict | None:
        if index < 0 or index >= self.next_index:
            return None
        if index in self.overrides:
            rec = self.overrides[index]
        elif index < self.count:
            rec = self.shop.gen.make(self.kind, index)
        else:
            return None
        if self.kind == "customers" and rec is not None:
            rec = self.shop.with_purchases(index, rec)
        return rec

    def exists(self, index: int) -> bool:
        if index < 0 or index >= self.next_index:
            return False
        return self.overrides.get(index, True) is not _DELETED

    def updated_at(self, index: int) -> str:
        rec = self.overrides.get(index)
        if rec is not None:
            return rec.get("updatedAt") or ""
        return iso(self.shop.gen.stamps(self.kind, index)[1])

    def stamp_ts(self, index: int, field: str = "updatedAt") -> float:
        """Epoch seconds of updatedAt/createdAt without building a generated record."""
        rec = self.overrides.get(index)
        if rec is not None:
            value = rec.get(field)
            return parse_iso(value).timestamp() if value else 0.0
        c, u = self.shop.gen.stamp_ts(self.kind, index)
        return u if field == "updatedAt" else c

    def created_at(self, index: int) -> str:
        rec = self.overrides.get(index)
        if rec is not None:
            return rec.get("createdAt") or ""
        return iso(self.shop.gen.stamps(self.kind, index)[0])

    def indexes(self, reverse: bool = False, start: int | None = None):
        """Live indexes in id order, optionally starting after `start`."""
        if reverse:
            hi = self.next_index - 1 if start is None else min(start - 1, self.next_index - 1)
            rng = range(hi, -1, -1)
        else:
            rng = range(0 if start is None else max(start + 1, 0), self.next_index)
        ov = self.overrides
        for i in rng:
            if i in ov and ov[i] is _DELETED:
                continue
            yield i

    def live_count(self) -> int:
        return self.next_index - sum(1 for v in self.overrides.values() if v is _DELETED)

    def num(self, index: int) -> int:
        return self.shop.gen.num(self.kind, index)

    def index_of_num(self, num: int) -> int:
        return self.shop.gen.index_of(self.kind, num)

    def put(self, index: int, rec: dict) -> None:
        if self.kind == "customers":
            derive_customer(rec)
        self.overrides[index] = rec
        self.version += 1
        if self.kind == "orders":
            self._own(index, self.shop.customer_index(rec.get("customer")))

    def _own(self, index: int, customer: int | None) -> None:
        """Index override order `index` under `customer` (None: under nobody)."""
        before = self.owner.pop(index, None)
        if before is not None:
            self.by_customer.get(before, set()).discard(index)
        if customer is not None:
            self.owner[index] = customer
            self.by_customer.setdefault(customer, set()).add(index)

    def create(self, rec: dict) -> int:
        index = self.next_index
        self.next_index += 1
        self.put(index, rec)
        return index

    def delete(self, index: int) -> None:
        self.overrides[index] = _DELETED
        self.version += 1
        if self.kind == "orders":
            self._own(index, None)

    def restore(self, next_index: int, overrides: dict[int, dict | None]) -> None:
        """Take saved run-time state back (persist.py), rebuilding the orders' owner index."""
        self.next_index = next_index
        self.overrides = overrides
        self.by_customer, self.owner = {}, {}
        self.version += 1
        if self.kind == "orders":
            for index, rec in overrides.items():
                if rec is not None:
                    self._own(index, self.shop.customer_index(rec.get("customer")))

    def editable(self, index: int) -> dict | None:
        """A private deep copy of a record, to change and `put` back."""
        rec = self.get(index)
        return copy.deepcopy(rec) if rec is not None else None


# search ------------------------------------------------------------------------------
_TERM = re.compile(r"""(-?)(\w+):(>=|<=|>|<)?('[^']*'|"[^"]*"|\S+)""")


def parse_search(query: str | None) -> list[tuple[bool, str, str, str]]:
    """Parse Shopify search syntax into (negated, field, op, value); ANDs only (OR is ignored)."""
    if not query:
        return []
    return [
        (neg == "-", f.lower(), op or "=", v.strip("'\"")) for neg, f, op, v in _TERM.findall(query)
    ]


def _cmp(a, op: str, b) -> bool:
    return {"=": a == b, ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]


def matcher(table: Table, terms):
    """Return a predicate on index; cheap terms (id, dates) never build the record."""
    if not terms:
        return lambda i: True

    when: dict = {}  # parsed search dates, once per query

    def ok(i: int) -> bool:
        rec = None
        for neg, fld, op, val in terms:
            if fld == "id":
                try:
                    res = _cmp(table.num(i), op, int(val.rsplit("/", 1)[-1]))
                except ValueError:
                    res = False
            elif fld in ("updated_at", "created_at", "processed_at"):
                if (fld, val) not in when:
                    try:
                        when[(fld, val)] = parse_iso(val).timestamp()
                    except ValueError:
                        when[(fld, val)] = None
                target = when[(fld, val)]
                stamp = table.stamp_ts(i, "updatedAt" if fld == "updated_at" else "createdAt")
                res = target is not None and _cmp(stamp, op, target)
            else:
                rec = rec or table.get(i) or {}
                key = {
                    "tag": "tags",
                    "status": "status",
                    "email": "email",
                    "name": "name",
                    "title": "title",
                    "sku": "sku",
                    "financial_status": "displayFinancialStatus",
                }.get(fld, fld)
                have = rec.get(key)
                if isinstance(have, list):
                    res = any(str(x).lower() == val.lower() for x in have)
                else:
                    res = have is not None and str(have).lower() == val.lower()
            if res == neg:
                return False
        return True

    return ok


def order_window_query(shop, query: str | None, scopes) -> str | None:
    """Add `processed_at:>=` for the 60-day window when the shop enforces it."""
    days = shop.props.get("orders_window_days")
    if not days or "read_all_orders" in scopes:
        return query
    since = iso(datetime.now(UTC) - timedelta(days=float(days)))
    return f"{query or ''} processed_at:>='{since}'".strip()


def encode_cursor(kind: str, key: str, index: int) -> str:
    return base64.b64encode(
        f'{{"last_id":{index},"last_value":"{key}","k":"{kind}"}}'.encode()
    ).decode()


def decode_cursor(cursor: str) -> tuple[str, int] | None:
    try:
        raw = base64.b64decode(cursor.encode()).decode()
        m = re.match(r'\{"last_id":(-?\d+),"last_value":"([^"]*)"', raw)
        return (m.group(2), int(m.group(1))) if m else None
    except (ValueError, UnicodeDecodeError):
        return None


def select(
    table: Table,
    *,
    query=None,
    sort_key="ID",
    reverse=False,
    after=None,
    before=None,
    limit: int | None = None,
):
    """Yield (cursor, index) in the requested order, honouring search terms and cursors."""
    terms = parse_search(query)
    ok = matcher(table, terms)
    sk = (sort_key or "ID").upper()
    if sk in ("UPDATED_AT",):
        keyf = table.updated_at
        rows = sorted(
            ((keyf(i), i) for i in _candidates(table, terms, False, None) if ok(i)), reverse=reverse
        )
        if after and (c := decode_cursor(after)):
            pos = (c[0], c[1])
            rows = [r for r in rows if (r > pos if not reverse else r < pos)]
        if before and (c := decode_cursor(before)):
            pos = (c[0], c[1])
            rows = [r for r in rows if (r < pos if not reverse else r > pos)]
        for n, (k, i) in enumerate(rows):
            if limit is not None and n >= limit:
                return
            yield encode_cursor(table.kind, k, i), i
        return
    # ID / CREATED_AT / PROCESSED_AT / RELEVANCE: generated createdAt grows with index, and
    # records created at run time get later indexes, so index order is the sort order.
    start = None
    if after and (c := decode_cursor(after)):
        start = c[1]
    stop = None
    if before and (c := decode_cursor(before)):
        stop = c[1]
    # Jump straight to `id:>N` instead of scanning a million indexes.
    for neg, fld, op, val in terms:
        if fld == "id" and not neg and op in (">", ">=") and not reverse and val.isdigit():
            j = table.index_of_num(int(val)) - (1 if op == ">=" else 0)
            start = j if start is None else max(start, j)
    n = 0
    for i in _candidates(table, terms, reverse, start):
        if stop is not None and (i >= stop if not reverse else i <= stop):
            return
        if not ok(i):
            continue
        if limit is not None and n >= limit:
            return
        n += 1
        yield encode_cursor(table.kind, str(i), i), i


def _candidates(table: Table, terms, reverse: bool, start: int | None):
    """Indexes worth testing, in id order.

    Generated createdAt grows with index and updatedAt ≤ createdAt + 20 days, so for
    `updated_at:>X` / `created_at:>X` every generated record below a computable index
    fails; skip them (changed records, kept as overrides, are always tested).
    """
    lo = None
    for neg, fld, op, val in terms:
        if neg or op not in (">", ">=") or fld not in ("updated_at", "created_at", "processed_at"):
            continue
        try:
            ts = parse_iso(val).timestamp()
        except ValueError:
            continue
        slack = 20 * 86400 + 1 if fld == "updated_at" else 1
        first = table.shop.gen.first_index_created_after(table.kind, ts - slack)
        lo = first if lo is None else max(lo, first)
    if lo is None or lo <= 0 or reverse:
        yield from table.indexes(reverse=reverse, start=start)
        return
    ov = table.overrides
    early = sorted(
        k for k, v in ov.items() if k < lo and v is not None and (start is None or k > start)
    )
    yield from early
    yield from table.indexes(start=max(lo - 1, start if start is not None else -1))


@dataclass
class Faults:
    error_rate: float = 0.0
    latency_ms: int = 0
    restore_rate: float | None = None
    rest_leak_rate: float | None = None  # REST bucket leak (requests/s); bucket = 20 s of it
    bulk: dict = field(default_factory=dict)
    webhooks: dict = field(default_factory=dict)


class Shop:
    """All state of one simulated shop (data, install, tokens, subscriptions, faults)."""

    def __init__(
        self,
        settings: Settings,
        domain: str,
        profile: Profile | None = None,
        props: dict | None = None,
    ):
        props = props or {}
        self.settings = settings
        self.domain = domain
        self.lock = threading.RLock()
        profile = profile or settings.profile
        self.counts = {k: getattr(profile, k, 0) for k in KINDS}
        self.handle = domain.split(".")[0]
        self.numeric_id = 548380000 + zlib.crc32(domain.encode()) % 10**6
        self.props = {
            "name": props.get("name") or self.handle.replace("-", " ").title(),
            "email": props.get("email") or f"owner@{self.handle}.example.com",
            "plan": (props.get("plan") or "basic").lower(),
            "currency": props.get("currency") or "USD",
            "country": props.get("country") or "CA",
            "timezone": props.get("timezone") or "America/Toronto",
            "custom_domain": props.get("custom_domain"),
            # Opt-in: Shopify only returns the last 60 days of orders without read_all_orders
            # (PLATFORM §5.3, trap 12). Off by default so full imports see every order.
            "orders_window_days": props.get("orders_window_days"),
        }
        self.gen = Generator(
            settings.seed, domain, self.counts, self.props["currency"], loader=self._load
        )
        self.tables = {k: Table(self, k, self.counts[k]) for k in KINDS}
        self.purchase_cache: dict[tuple[int, int], tuple] = {}
        self.state = "active"
        self.installed = False
        self.granted_scopes: list[str] = []
        self.removed_scopes: set[str] = set()
        self.subscriptions: dict[int, dict] = {}
        self.next_sub = 1
        self.faults = Faults()
        self.bucket_available: float | None = None
        self.bucket_at = 0.0
        self.rest_bucket_level = 0.0  # REST requests in the bucket (rest_admin.bucket)
        self.rest_bucket_at = 0.0
        self.events: list[dict] = []  # REST Event log of run-time changes (rest_admin.events)
        self.webhook_log: list[dict] = []
        self.bulk_ops: dict[int, object] = {}
        self.metafields: dict[tuple, dict] = {}
        self.created_at = "2023-03-01T12:00:00Z"
        self.tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.tokens_issued = 0
        self.seq = 0

    def new_id(self) -> int:
        """A fresh numeric id for objects created at run time (fulfillments, refunds, events).

        The 9… prefix is used by no generated kind, so these never collide with them.
        """
        with self.lock:
            self.seq += 1
            return 9 * 10**17 + (zlib.crc32(self.domain.encode()) % 900) * 10**12 + self.seq

    def _load(self, kind: str, index: int):
        return self.tables[kind].get(index)

    def customer_index(self, ref) -> int | None:
        """The customer index an order's `customer` field points at (a Ref or {id}), or None."""
        if ref is None:
            return None
        if isinstance(ref, Ref):
            return ref.index if ref.kind == "customers" else None
        ident = ref.get("id") if isinstance(ref, dict) else None
        if not ident:
            return None
        return self.tables["customers"].index_of_num(int(str(ident).rsplit("/", 1)[-1]))

    def purchases(self, index: int) -> tuple[int, int, int | None, bool]:
        """(orders counted, their current total in cents, last counted order, any order at all).

        Shopify counts every order of the customer except test and archived (closed) ones
        (REST Customer `orders_count`); the amount is what those orders come to now, after
        refunds. Generated orders come from `owners` unless changed at run time; changed and
        new ones from the orders table's index.
        """
        orders = self.tables["orders"]
        # Payloads read a referenced customer field by field, each read loading the record:
        # keep the answer until an order changes (put/delete bump `version`).
        key = (index, orders.version)
        got = self.purchase_cache.get(key)
        if got is not None:
            return got
        if len(self.purchase_cache) > 50_000:
            self.purchase_cache.clear()
        ov = orders.overrides
        count = cents = 0
        last, seen = None, False
        for i in self.gen.owners.orders_of(index):
            if i in ov:
                continue
            seen = True
            test, amount = self.gen.purchase(i)
            if not test:
                count, cents, last = count + 1, cents + amount, i
        for i in sorted(orders.by_customer.get(index, ())):
            rec = ov.get(i)
            if rec is None:
                continue
            seen = True
            if rec.get("test") or rec.get("closedAt"):
                continue
            bag = (rec.get("currentTotalPriceSet") or rec.get("totalPriceSet") or {}).get(
                "shopMoney"
            ) or {}
            count += 1
            cents += round(float(bag.get("amount") or 0) * 100)
            last = i if last is None else max(last, i)
        got = self.purchase_cache[key] = (count, cents, last, seen)
        return got

    def with_purchases(self, index: int, rec: dict) -> dict:
        """Customer `rec` with `numberOfOrders`, `amountSpent`, `lastOrder`, `canDelete` derived."""
        count, cents, last, seen = self.purchases(index)
        out = dict(rec)
        out["numberOfOrders"] = str(count)
        out["amountSpent"] = {
            "amount": f"{cents // 100}.{cents % 100:02d}",
            "currencyCode": self.props["currency"],
        }
        out["lastOrder"] = None if last is None else self.gen.ref("orders", last)
        out["canDelete"] = not seen
        return out

    @property
    def restore_rate(self) -> float:
        if self.faults.restore_rate:
            return float(self.faults.restore_rate)
        return PLAN_RESTORE.get(self.props["plan"], 100.0)

    def find_gid(self, gid_value: str):
        """Resolve a gid to (kind, index) when it names a top-level record of this shop."""
        m = re.match(r"^gid://shopify/(\w+)/(\d+)", gid_value or "")
        if not m:
            return None
        typename, num = m.group(1), int(m.group(2))
        for kind, tn in TYPENAMES.items():
            if tn == typename:
                idx = self.tables[kind].index_of_num(num)
                return (kind, idx) if self.tables[kind].exists(idx) else None
        return None

    def shop_record(self) -> dict:
        """The Shop object as GraphQL fields."""
        p = self.props
        host = p["custom_domain"] or self.domain
        plan_display = {
            "basic": "Basic",
            "standard": "Shopify",
            "advanced": "Advanced",
            "plus": "Shopify Plus",
            "shopify_plus": "Shopify Plus",
            "enterprise": "Commerce Components",
            "partner_test": "Developer Preview",
            "development": "Development",
        }.get(p["plan"], p["plan"].title())
        return {
            "__typename": "Shop",
            "id": f"gid://shopify/Shop/{self.numeric_id}",
            "name": p["name"],
            "email": p["email"],
            "contactEmail": p["email"],
            "myshopifyDomain": self.domain,
            "url": f"https://{host}",
            "primaryDomain": {
                "__typename": "Domain",
                "id": f"gid://shopify/Domain/{self.numeric_id}",
                "host": host,
                "url": f"https://{host}",
                "sslEnabled": True,
            },
            "plan": {
                "displayName": plan_display,
                "partnerDevelopment": p["plan"] in ("partner_test", "development"),
                "shopifyPlus": p["plan"] in ("plus", "shopify_plus", "enterprise"),
            },
            "currencyCode": p["currency"],
            "ianaTimezone": p["timezone"],
            "timezoneAbbreviation": "EST",
            "billingAddress": {
                "__typename": "ShopAddress",
                "id": f"gid://shopify/ShopAddress/{self.numeric_id}",
                "country": p["country"],
                "countryCodeV2": p["country"],
                "city": "Ottawa",
            },
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "description": None,
            "enabledPresentmentCurrencies": [p["currency"]],
            "weightUnit": "KILOGRAMS",
            "setupRequired": False,
            "checkoutApiSupported": True,
            "taxesIncluded": False,
        }

    def summary(self) -> dict:
        return {
            "domain": self.domain,
            "installed": self.installed,
            "granted_scopes": self.granted_scopes,
            "state": self.state,
            "counts": {k: t.live_count() for k, t in self.tables.items()},
            "subscriptions": [
                {
                    "id": s["id"],
                    "topic": s["topic"],
                    "uri": s["uri"],
                    "name": s.get("name"),
                    "consecutive_failures": s["failures"],
                }
                for s in self.subscriptions.values()
            ],
            "props": self.props,
            "faults": self.faults.__dict__,
        }


class Registry:
    """All shops of the server; any valid `<name>.myshopify.com` springs into existence."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.shops: dict[str, Shop] = {}
        self.lock = threading.Lock()

    def get(self, domain: str, create: bool = True) -> Shop | None:
        domain = domain.lower()
        if not SHOP_RE.match(domain):
            return None
        with self.lock:
            shop = self.shops.get(domain)
            if shop is None and create:
                shop = self.shops[domain] = Shop(self.settings, domain)
            return shop

    def replace(self, domain: str, profile: Profile, props: dict) -> Shop:
        with self.lock:
            shop = self.shops[domain.lower()] = Shop(self.settings, domain.lower(), profile, props)
            return shop
