"""Shared record helpers: ids, timestamps, money bags, lazy references, derived fields.

Used by the generator (to build records) and by `changes` (to change them the way
Shopify would: a fulfillment recomputes fulfillment status, a refund the totals).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

KINDS = ("customers", "orders", "products", "collections", "checkouts", "carts")
TYPENAMES = {
    "customers": "Customer",
    "orders": "Order",
    "products": "Product",
    "collections": "Collection",
    "checkouts": "AbandonedCheckout",
    "carts": "Cart",
}
KIND_OF_TYPENAME = {v: k for k, v in TYPENAMES.items()}
_BASE_DIGIT = {
    "customers": 7,
    "orders": 8,
    "products": 6,
    "collections": 4,
    "checkouts": 3,
    "carts": 2,
}
# Generated history ends here so ids/timestamps are reproducible; records changed at run
# time get the real clock, which is later, so `updated_at:>` sync works naturally.
END = datetime(2026, 11, 15, tzinfo=UTC)
SPAN = timedelta(days=730)


def iso(dt: datetime) -> str:
    if dt.tzinfo is not UTC:
        dt = dt.astimezone(UTC)
    # f-string instead of strftime: this runs several times per generated record.
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}Z"
    )


_DAYS: dict[int, str] = {}
_CLOCK: list[str] | None = None  # "HH:MM:SSZ" of every second of a day, built on first use


def iso_ts(sec: int) -> str:
    """`iso` of whole epoch seconds, without building a datetime (the generator's hot path)."""
    day, rem = divmod(int(sec), 86400)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = iso(datetime.fromtimestamp(day * 86400, UTC))[:11]
    clock = _CLOCK or _build_clock()
    return prefix + clock[rem]


def _build_clock() -> list[str]:
    global _CLOCK
    # Built whole, then published: a thread never sees a half-built table.
    _CLOCK = [f"{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]
    return _CLOCK


def parse_iso(value: str) -> datetime:
    value = value.strip().strip("'\"")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def mix(x: int) -> int:
    """splitmix64: a cheap, well-spread hash for per-record stamps."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


_mix = mix  # the name the generator has always used


def money(amount: float, currency: str) -> dict:
    bag = {"amount": f"{amount:.2f}", "currencyCode": currency}
    # Shared on purpose (cheaper); records are deep-copied before any change.
    return {"shopMoney": bag, "presentmentMoney": bag}


def gid(typename: str, num: int) -> str:
    return f"gid://shopify/{typename}/{num}"


class Ref:
    """A pointer to another record, loaded only when a field other than its id is read."""

    __slots__ = ("_loader", "index", "kind", "num")

    def __init__(self, kind: str, index: int, num: int, loader):
        self.kind, self.index, self.num, self._loader = kind, index, num, loader

    def __deepcopy__(self, memo):
        return self  # refs are immutable pointers; copying a record must not copy the shop

    def __repr__(self) -> str:
        return f"Ref({self.kind!r}, {self.index})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Ref) and (self.kind, self.num) == (other.kind, other.num)

    def __hash__(self) -> int:
        return hash((self.kind, self.num))

    def __getitem__(self, key):
        return self.get(key)

    def get(self, key, default=None):
        if key == "id":
            return gid(TYPENAMES[self.kind], self.num)
        if key == "legacyResourceId":
            return str(self.num)
        if key == "__typename":
            return TYPENAMES[self.kind]
        rec = self._loader(self.kind, self.index)
        return default if rec is None else rec.get(key, default)


def derive_customer(rec: dict) -> None:
    """Keep derived fields (displayName, defaultEmailAddress, defaultPhoneNumber) consistent."""
    rec["displayName"] = (
        " ".join(x for x in (rec.get("firstName"), rec.get("lastName")) if x)
        or rec.get("email")
        or ""
    )
    emc = rec.get("emailMarketingConsent")
    if rec.get("email"):
        emc = emc or {
            "marketingState": "NOT_SUBSCRIBED",
            "marketingOptInLevel": None,
            "consentUpdatedAt": None,
        }
        rec["emailMarketingConsent"] = emc
        rec["defaultEmailAddress"] = {
            "emailAddress": rec["email"],
            "marketingState": emc["marketingState"],
            "marketingOptInLevel": emc.get("marketingOptInLevel"),
            "marketingUpdatedAt": emc.get("consentUpdatedAt"),
            "validFormat": True,
            "sourceLocation": None,
            "marketingUnsubscribeUrl": f"https://example.com/unsubscribe/{rec['legacyResourceId']}",
            "openTrackingLevel": "UNKNOWN",
        }
    else:
        rec["emailMarketingConsent"] = None
        rec["defaultEmailAddress"] = None
    smc = rec.get("smsMarketingConsent")
    if rec.get("phone"):
        smc = smc or {
            "marketingState": "NOT_SUBSCRIBED",
            "marketingOptInLevel": None,
            "consentUpdatedAt": None,
            "consentCollectedFrom": "OTHER",
        }
        rec["smsMarketingConsent"] = smc
        rec["defaultPhoneNumber"] = {
            "phoneNumber": rec["phone"],
            "marketingState": smc["marketingState"],
            "marketingOptInLevel": smc.get("marketingOptInLevel"),
            "marketingUpdatedAt": smc.get("consentUpdatedAt"),
            "marketingCollectedFrom": smc.get("consentCollectedFrom"),
            "smsMarketingConsent": smc,
        }
    else:
        rec["smsMarketingConsent"] = None
        rec["defaultPhoneNumber"] = None


def add_fulfillment(
    order: dict, lines: list[dict], tracking: str | None, status: str, at: str, num: int
) -> dict:
    """Append a fulfillment for `lines` and recompute displayFulfillmentStatus."""
    ful = {
        "__typename": "Fulfillment",
        "id": gid("Fulfillment", num),
        "legacyResourceId": str(num),
        "status": "SUCCESS",
        "displayStatus": status,
        "createdAt": at,
        "updatedAt": at,
        "name": f"{order['name']}-F{len(order['fulfillments']) + 1}",
        "trackingInfo": [
            {
                "number": tracking,
                "company": "UPS",
                "url": f"https://www.ups.com/track?tracknum={tracking}",
            }
        ]
        if tracking
        else [],
        "fulfillmentLineItems": [
            {
                "__typename": "FulfillmentLineItem",
                "id": gid("FulfillmentLineItem", num * 10 + k),
                "quantity": li["quantity"],
                "lineItem": {"__typename": "LineItem", "id": li["id"], "sku": li.get("sku")},
            }
            for k, li in enumerate(lines)
        ],
        "events": [
            {
                "__typename": "FulfillmentEvent",
                # num × 10 + k (k ≤ 8) are the fulfillment's line items; + 9 is its event.
                "id": gid("FulfillmentEvent", num * 10 + 9),
                "status": status,
                "happenedAt": at,
            }
        ],
    }
    order["fulfillments"].append(ful)
    done = {
        fli["lineItem"]["id"] for f in order["fulfillments"] for fli in f["fulfillmentLineItems"]
    }
    all_ids = {li["id"] for li in order["lineItems"]}
    order["displayFulfillmentStatus"] = "FULFILLED" if all_ids <= done else "PARTIALLY_FULFILLED"
    return ful


def transaction(
    order: dict, kind: str, amount: float, at: str, num: int, parent: dict | None = None
) -> dict:
    """One successful OrderTransaction of `amount` (SALE, AUTHORIZATION, CAPTURE, REFUND)."""
    cur = order["currencyCode"]
    bag = money(amount, cur)
    return {
        "__typename": "OrderTransaction",
        "id": gid("OrderTransaction", num),
        "kind": kind,
        "status": "SUCCESS",
        "test": bool(order.get("test")),
        "gateway": "shopify_payments",
        "formattedGateway": "Shopify Payments",
        "amountSet": bag,
        "amount": bag["shopMoney"]["amount"],
        "amountV2": bag["shopMoney"],
        "createdAt": at,
        "processedAt": at,
        "errorCode": None,
        "authorizationCode": f"{num % 10**6:06d}" if kind == "AUTHORIZATION" else None,
        "manuallyCapturable": kind == "AUTHORIZATION",
        "parentTransaction": (
            {"__typename": "OrderTransaction", "id": parent["id"], "kind": parent["kind"]}
            if parent
            else None
        ),
    }


def settle(order: dict) -> None:
    """Recompute the payment totals from the order's transactions (Shopify derives them too).

    received = successful SALE + CAPTURE; refunded = successful REFUND; capturable =
    AUTHORIZATION not yet captured; outstanding = total − received (never below 0), except
    that an authorized amount is not outstanding yet.
    """
    cur = order["currencyCode"]
    ok = [t for t in order.get("transactions") or () if t["status"] == "SUCCESS"]

    def amount(t):
        return float(t["amountSet"]["shopMoney"]["amount"])

    received = sum(amount(t) for t in ok if t["kind"] in ("SALE", "CAPTURE"))
    refunded = sum(amount(t) for t in ok if t["kind"] == "REFUND")
    authorized = sum(amount(t) for t in ok if t["kind"] == "AUTHORIZATION")
    captured = sum(amount(t) for t in ok if t["kind"] == "CAPTURE")
    capturable = max(authorized - captured, 0.0)
    total = float(order["totalPriceSet"]["shopMoney"]["amount"])
    order["totalReceivedSet"] = money(received, cur)
    order["netPaymentSet"] = money(received - refunded, cur)
    order["totalCapturableSet"] = money(capturable, cur)
    order["totalOutstandingSet"] = money(max(total - received - capturable, 0.0), cur)


def add_refund(
    order: dict, amount: float, at: str, num: int, txn_num: int, resettle: bool = True
) -> dict:
    """Append a refund of `amount` (with its REFUND transaction) and recompute the totals."""
    cur = order["currencyCode"]
    txns = order.setdefault("transactions", [])
    sale = next((t for t in txns if t["kind"] in ("SALE", "CAPTURE")), None)
    txn = transaction(order, "REFUND", amount, at, txn_num, parent=sale)
    ref = {
        "__typename": "Refund",
        "id": gid("Refund", num),
        "legacyResourceId": str(num),
        "createdAt": at,
        "updatedAt": at,
        "note": None,
        "totalRefundedSet": money(amount, cur),
        "refundLineItems": [],
        "transactions": [txn],
    }
    order["refunds"].append(ref)
    txns.append(txn)
    total = float(order["totalPriceSet"]["shopMoney"]["amount"])
    refunded = sum(float(r["totalRefundedSet"]["shopMoney"]["amount"]) for r in order["refunds"])
    order["totalRefundedSet"] = money(refunded, cur)
    order["currentTotalPriceSet"] = money(max(total - refunded, 0), cur)
    order["displayFinancialStatus"] = (
        "REFUNDED" if refunded >= total - 0.005 else "PARTIALLY_REFUNDED"
    )
    if resettle:  # the generator sets the payment totals itself
        settle(order)
    return ref
