"""Deterministic store data: every record is a pure function of (seed, shop, kind, index).

Nothing is generated up front. `make(kind, index)` builds one GraphQL-shaped dict
(camelCase fields, gids) from its own `random.Random`, and `stamps(kind, index)` gives its
createdAt/updatedAt without building it, so filters on `updated_at` over a million orders
stay cheap. Ids are `base + index`, so id order equals index order.
"""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime

# Re-exported: other modules import these names from here.
from shopsim.records import (  # noqa: F401
    _BASE_DIGIT,
    END,
    KIND_OF_TYPENAME,
    KINDS,
    SPAN,
    TYPENAMES,
    Ref,
    _mix,
    add_fulfillment,
    add_refund,
    derive_customer,
    gid,
    iso,
    money,
    parse_iso,
)

_END_S = int(END.timestamp())
_SPAN_S = int(SPAN.total_seconds())

# fmt: off
FIRST = [
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Mia", "Lucas", "Sofia", "Mateo", "Amara", "Yuki",
    "Chen", "Priya", "Omar", "Lena", "Jonas", "Ines", "Hugo", "Zoe", "Ivan", "Nadia", "Tariq",
    "Elif", "Kofi", "Sara", "Leo", "Maya", "Ethan", "Chloe", "Arjun",
]
LAST = [
    "Smith", "Garcia", "Müller", "Rossi", "Dubois", "Kowalski", "Silva", "Tanaka", "Nguyen",
    "Okafor", "Haddad", "Jensen", "Novak", "Fischer", "Moreau", "Costa", "Ibrahim", "Kim", "Patel",
    "Larsen", "O'Brien", "Schmidt", "Petrov", "Andersson",
]
CITIES = [
    ("Ottawa", "Ontario", "ON", "Canada", "CA", "K2P 1L4"),
    ("Toronto", "Ontario", "ON", "Canada", "CA", "M5V 2T6"),
    ("Austin", "Texas", "TX", "United States", "US", "78701"),
    ("Brooklyn", "New York", "NY", "United States", "US", "11201"),
    ("Berlin", "Berlin", "BE", "Germany", "DE", "10115"),
    ("Lyon", "Auvergne-Rhône-Alpes", "ARA", "France", "FR", "69002"),
    ("Leeds", "England", "ENG", "United Kingdom", "GB", "LS1 4AP"),
    ("Portland", "Oregon", "OR", "United States", "US", "97205"),
]
STREETS = ["Elm", "Oak", "Maple", "King", "Queen", "Church", "Mill", "Station", "Harbour", "Cedar"]
TAGS = [
    "vip", "wholesale", "newsletter", "repeat-buyer", "gift", "local", "influencer", "b2b",
    "first-order", "loyalty",
]
PRODUCT_WORDS = [
    ("Aviator", "Sunglasses", "Accessories"), ("Merino", "Sweater", "Apparel"),
    ("Canvas", "Tote", "Bags"), ("Ceramic", "Mug", "Home"), ("Trail", "Runner", "Shoes"),
    ("Linen", "Shirt", "Apparel"), ("Walnut", "Board", "Home"), ("Wool", "Beanie", "Accessories"),
    ("Cotton", "Tee", "Apparel"), ("Leather", "Wallet", "Accessories"),
]
SIZES = ("S", "M", "L", "XL")
EMAIL_STATES = ("SUBSCRIBED", "NOT_SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "REDACTED", "INVALID")
SMS_STATES = ("SUBSCRIBED", "NOT_SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "REDACTED")
OPT_IN = ("SINGLE_OPT_IN", "CONFIRMED_OPT_IN", "UNKNOWN")
SHIPMENT = (
    "CONFIRMED", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED", "ATTEMPTED_DELIVERY", "FAILURE",
)
DISCOUNTS = ("WELCOME10", "SUMMER15", "VIP20", "FREESHIP")
# fmt: on


class Generator:
    """Builds records for one shop; `counts` says how many generated records each kind has."""

    def __init__(
        self, seed: int, domain: str, counts: dict[str, int], currency: str = "USD", loader=None
    ):
        self.seed, self.domain, self.counts, self.currency = seed, domain, counts, currency
        self.shop_key = zlib.crc32(f"{seed}:{domain}".encode())
        shop_offset = (zlib.crc32(domain.encode()) % 900) * 10**12
        self.base = {k: d * 10**17 + shop_offset for k, d in _BASE_DIGIT.items()}
        self.loader = loader or (lambda kind, index: None)
        self.handle = domain.split(".")[0]
        self._line_templates: dict = {}

    # ids and stamps -------------------------------------------------------------
    def num(self, kind: str, index: int) -> int:
        return self.base[kind] + index + 1

    def index_of(self, kind: str, num: int) -> int:
        return num - self.base[kind] - 1

    def stamp_ts(self, kind: str, index: int) -> tuple[int, int]:
        """(createdAt, updatedAt) as whole epoch seconds; createdAt increases with index.

        Pure arithmetic, so `updated_at:` filters over a million records stay cheap.
        """
        n = max(self.counts.get(kind, 1), 1)
        h = _mix(self.shop_key * 131 + _BASE_DIGIT[kind] * 1_000_003 + index)
        step = _SPAN_S / n
        created = int(_END_S - _SPAN_S + step * index + step * ((h & 0xFFFF) / 65536))
        updated = min(created + (h >> 16) % (20 * 86400), _END_S)
        return created, updated

    def first_index_created_after(self, kind: str, ts: float) -> int:
        """A lower bound on the indexes of generated records created at or after `ts`."""
        n = max(self.counts.get(kind, 1), 1)
        step = _SPAN_S / n
        return max(0, int((ts - (_END_S - _SPAN_S)) / step) - 1)

    def stamps(self, kind: str, index: int) -> tuple[datetime, datetime]:
        """(createdAt, updatedAt) of a generated record as datetimes."""
        c, u = self.stamp_ts(kind, index)
        return datetime.fromtimestamp(c, UTC), datetime.fromtimestamp(u, UTC)

    def rng(self, kind: str, index: int) -> random.Random:
        return random.Random(self.shop_key * 7919 + _BASE_DIGIT[kind] * 10**12 + index)

    def cart_token(self, index: int) -> str:
        k = self.shop_key * 8191 + index
        return f"{_mix(k):016x}{_mix(k + 1):016x}"

    def ref(self, kind: str, index: int) -> Ref:
        return Ref(kind, index, self.num(kind, index), self.loader)

    def make(self, kind: str, index: int) -> dict:
        return getattr(self, "_" + kind)(index)

    # pieces ------------------------------------------------------------------------
    def address(self, r: random.Random, first: str, last: str, num: int) -> dict:
        city, prov, pcode, country, ccode, zipc = r.choice(CITIES)
        return {
            "__typename": "MailingAddress",
            "id": gid("MailingAddress", num),
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "company": None,
            "address1": f"{r.randint(1, 999)} {r.choice(STREETS)} Street",
            "address2": None,
            "city": city,
            "province": prov,
            "provinceCode": pcode,
            "country": country,
            "countryCodeV2": ccode,
            "countryCode": ccode,
            "zip": zipc,
            "phone": None,
        }

    def _customers(self, i: int) -> dict:
        r = self.rng("customers", i)
        created, updated = self.stamps("customers", i)
        num = self.num("customers", i)
        first, last = r.choice(FIRST), r.choice(LAST)
        email = f"{first}.{last}.{i}@example.com".lower().replace("'", "").replace("ü", "ue")
        phone = f"+1613555{i % 10000:04d}" if r.random() < 0.6 else None
        es = EMAIL_STATES[i % len(EMAIL_STATES)] if i < 24 else r.choice(EMAIL_STATES)
        ss = SMS_STATES[i % len(SMS_STATES)] if i < 24 else r.choice(SMS_STATES)
        addr = self.address(r, first, last, num + 10**15)
        norders = r.randint(0, 12)
        rec = {
            "__typename": "Customer",
            "id": gid("Customer", num),
            "legacyResourceId": str(num),
            "firstName": first,
            "lastName": last,
            "email": email,
            "phone": phone,
            "emailMarketingConsent": {
                "marketingState": es,
                "marketingOptInLevel": r.choice(OPT_IN) if es == "SUBSCRIBED" else None,
                "consentUpdatedAt": iso(updated) if es != "NOT_SUBSCRIBED" else None,
            },
            "smsMarketingConsent": (
                {
                    "marketingState": ss,
                    "marketingOptInLevel": r.choice(OPT_IN) if ss == "SUBSCRIBED" else None,
                    "consentUpdatedAt": iso(updated) if ss != "NOT_SUBSCRIBED" else None,
                    "consentCollectedFrom": r.choice(("SHOPIFY", "OTHER")),
                }
                if phone
                else None
            ),
            "tags": sorted(r.sample(TAGS, r.randint(0, 3))),
            "state": r.choice(("ENABLED", "DISABLED", "INVITED", "DECLINED", "ENABLED")),
            "verifiedEmail": r.random() < 0.9,
            "taxExempt": False,
            "taxExemptions": [],
            "note": None,
            "locale": r.choice(("en", "en", "fr", "de")),
            "createdAt": iso(created),
            "updatedAt": iso(updated),
            "numberOfOrders": str(norders),
            "amountSpent": money(norders * r.uniform(20, 120), self.currency)["shopMoney"],
            "defaultAddress": addr,
            "addresses": [addr],
            "addressesV2": [addr],
            "metafields": [],
            "dataSaleOptOut": False,
            "canDelete": norders == 0,
            "multipassIdentifier": None,
            "lastOrder": None,
        }
        derive_customer(rec)
        return rec

    def _line(self, r: random.Random, num: int, typename: str) -> dict:
        pcount = max(self.counts.get("products", 1), 1)
        pi = r.randrange(pcount)
        vj = r.randrange(len(SIZES))
        qty = r.randint(1, 3)
        key = (typename, pi, vj)
        base = self._line_templates.get(key)
        if base is None:
            base = self._line_templates[key] = self._line_template(typename, pi, vj)
        # Shallow copy of a per-(product, size) template: the nested dicts are shared, which
        # is safe because records are deep-copied before any change (Table.editable).
        li = dict(base)
        li["id"] = gid(typename, num)
        li["quantity"] = li["currentQuantity"] = qty
        li["originalTotalSet"] = money(li["_price"] * qty, self.currency)
        return li

    def _line_template(self, typename: str, pi: int, vj: int) -> dict:
        adj, noun, _ = PRODUCT_WORDS[pi % len(PRODUCT_WORDS)]
        price = 10 + (pi * 7) % 90 + 0.99
        vnum = self.num("products", pi) + 10**15 + vj
        sku = f"{noun[:3].upper()}-{pi}-{SIZES[vj]}"
        return {
            "__typename": typename,
            "id": None,
            "title": f"{adj} {noun}",
            "name": f"{adj} {noun} - {SIZES[vj]}",
            "variantTitle": SIZES[vj],
            "sku": sku,
            "quantity": 0,
            "currentQuantity": 0,
            "vendor": "Acme",
            "requiresShipping": True,
            "taxable": True,
            "originalUnitPriceSet": money(price, self.currency),
            "discountedUnitPriceSet": money(price, self.currency),
            "originalTotalSet": None,
            "variant": {
                "__typename": "ProductVariant",
                "id": gid("ProductVariant", vnum),
                "legacyResourceId": str(vnum),
                "sku": sku,
                "title": SIZES[vj],
                "price": f"{price:.2f}",
            },
            "product": self.ref("products", pi),
            "_price": price,
        }

    def _orders(self, i: int) -> dict:
        r = self.rng("orders", i)
        created, updated = self.stamps("orders", i)
        num = self.num("orders", i)
        ccount = self.counts.get("customers", 0)
        ci = r.randrange(ccount) if ccount and r.random() < 0.92 else None
        cur = self.currency
        lines = [
            self._line(r, self.base["orders"] + 10**15 + i * 20 + j, "LineItem")
            for j in range(r.randint(1, 4))
        ]
        subtotal = sum(li["_price"] * li["quantity"] for li in lines)
        code = r.choice(DISCOUNTS) if r.random() < 0.25 else None
        discount = round(subtotal * 0.1, 2) if code else 0.0
        tax = round((subtotal - discount) * 0.13, 2)
        total = round(subtotal - discount + tax, 2)
        roll = r.random()
        cancelled = roll < 0.05
        fin = (
            "REFUNDED"
            if cancelled
            else r.choice(("PAID", "PAID", "PAID", "PENDING", "PARTIALLY_REFUNDED", "AUTHORIZED"))
        )
        fulfil_mode = "none" if cancelled else r.choice(("none", "partial", "full", "full"))
        first, last = r.choice(FIRST), r.choice(LAST)
        addr = self.address(r, first, last, num + 2 * 10**15)
        rec = {
            "__typename": "Order",
            "id": gid("Order", num),
            "legacyResourceId": str(num),
            "name": f"#{1001 + i}",
            "email": f"{first}.{last}.o{i}@example.com".lower().replace("'", "").replace("ü", "ue"),
            "phone": None,
            "createdAt": iso(created),
            "updatedAt": iso(updated),
            "processedAt": iso(created),
            "cancelledAt": iso(updated) if cancelled else None,
            "cancelReason": "CUSTOMER" if cancelled else None,
            "closedAt": None,
            "closed": False,
            "test": roll > 0.97,
            "confirmed": True,
            "displayFinancialStatus": fin,
            "displayFulfillmentStatus": "UNFULFILLED",
            "currencyCode": cur,
            "presentmentCurrencyCode": cur,
            "subtotalPriceSet": money(subtotal, cur),
            "totalDiscountsSet": money(discount, cur),
            "totalTaxSet": money(tax, cur),
            "totalPriceSet": money(total, cur),
            "currentTotalPriceSet": money(total, cur),
            "currentSubtotalPriceSet": money(subtotal, cur),
            "totalShippingPriceSet": money(0, cur),
            "totalRefundedSet": money(0, cur),
            "discountCodes": [code] if code else [],
            "discountCode": code,
            "customer": self.ref("customers", ci) if ci is not None else None,
            "customerAcceptsMarketing": r.random() < 0.5,
            "shippingAddress": addr,
            "billingAddress": dict(addr),
            "lineItems": lines,
            "refunds": [],
            "fulfillments": [],
            "tags": [],
            "note": None,
            "sourceName": "web",
            "customerLocale": "en",
            "_token": f"{r.getrandbits(128):032x}",
            "_checkoutToken": f"{r.getrandbits(128):032x}",
            "_cartToken": None,
        }
        if fulfil_mode != "none":
            chosen = lines if fulfil_mode == "full" else lines[: max(1, len(lines) // 2)]
            if fulfil_mode == "partial" and len(lines) == 1:
                chosen = lines
            add_fulfillment(
                rec,
                chosen,
                f"1Z{r.getrandbits(40):010X}",
                r.choice(SHIPMENT),
                iso(updated),
                self.base["orders"] + 3 * 10**15 + i * 10,
            )
        if fin in ("PARTIALLY_REFUNDED", "REFUNDED"):
            add_refund(
                rec,
                total if fin == "REFUNDED" else round(total / 3, 2),
                iso(updated),
                self.base["orders"] + 4 * 10**15 + i * 10,
            )
        for li in lines:
            li.pop("_price")
        return rec

    def _products(self, i: int) -> dict:
        r = self.rng("products", i)
        created, updated = self.stamps("products", i)
        num = self.num("products", i)
        adj, noun, ptype = PRODUCT_WORDS[i % len(PRODUCT_WORDS)]
        title = f"{adj} {noun}" + (
            f" {i // len(PRODUCT_WORDS) + 1}" if i >= len(PRODUCT_WORDS) else ""
        )
        price = 10 + (i * 7) % 90 + 0.99
        variants = []
        for j, size in enumerate(SIZES[: r.randint(1, 4)]):
            vnum = num + 10**15 + j
            variants.append(
                {
                    "__typename": "ProductVariant",
                    "id": gid("ProductVariant", vnum),
                    "legacyResourceId": str(vnum),
                    "title": size,
                    "sku": f"{noun[:3].upper()}-{i}-{size}",
                    "price": f"{price:.2f}",
                    "compareAtPrice": f"{price + 5:.2f}" if r.random() < 0.3 else None,
                    "position": j + 1,
                    "inventoryQuantity": r.randint(0, 200),
                    "barcode": None,
                    "taxable": True,
                    "selectedOptions": [{"name": "Size", "value": size}],
                    "createdAt": iso(created),
                    "updatedAt": iso(updated),
                }
            )
        images = [
            {
                "__typename": "Image",
                "id": gid("ProductImage", num + 2 * 10**15 + k),
                "url": f"https://cdn.example.com/{self.handle}/p{i}-{k}.jpg",
                "altText": title,
                "width": 1024,
                "height": 1024,
            }
            for k in range(r.randint(1, 3))
        ]
        media = [
            {
                "__typename": "MediaImage",
                "id": gid("MediaImage", num + 4 * 10**15 + k),
                "alt": im["altText"],
                "mediaContentType": "IMAGE",
                "status": "READY",
                "image": im,
                "preview": {"__typename": "MediaPreviewImage", "image": im, "status": "READY"},
            }
            for k, im in enumerate(images)
        ]
        prices = [float(v["price"]) for v in variants]
        return {
            "__typename": "Product",
            "id": gid("Product", num),
            "priceRangeV2": {
                "minVariantPrice": money(min(prices), self.currency)["shopMoney"],
                "maxVariantPrice": money(max(prices), self.currency)["shopMoney"],
            },
            "media": media,
            "featuredMedia": media[0],
            "legacyResourceId": str(num),
            "title": title,
            "handle": title.lower().replace(" ", "-"),
            "descriptionHtml": f"<p>{title} made with care.</p>",
            "vendor": "Acme",
            "productType": ptype,
            "status": "ACTIVE" if r.random() < 0.9 else "DRAFT",
            "tags": sorted(r.sample(("new", "sale", "eco", "bestseller"), r.randint(0, 2))),
            "createdAt": iso(created),
            "updatedAt": iso(updated),
            "publishedAt": iso(created),
            "variants": variants,
            "images": images,
            "featuredImage": images[0],
            "totalInventory": sum(v["inventoryQuantity"] for v in variants),
            "options": [
                {
                    "__typename": "ProductOption",
                    "id": gid("ProductOption", num + 3 * 10**15),
                    "name": "Size",
                    "position": 1,
                    "values": [v["title"] for v in variants],
                }
            ],
            "onlineStoreUrl": f"https://{self.handle}.example.com/products/{i}",
        }

    def _collections(self, i: int) -> dict:
        r = self.rng("collections", i)
        created, updated = self.stamps("collections", i)
        num = self.num("collections", i)
        pcount = self.counts.get("products", 0)
        members = sorted(r.sample(range(pcount), min(pcount, r.randint(1, 8)))) if pcount else []
        title = ("Summer", "Bestsellers", "New arrivals", "Gifts", "Sale", "Essentials")[i % 6] + (
            f" {i // 6 + 1}" if i >= 6 else ""
        )
        return {
            "__typename": "Collection",
            "id": gid("Collection", num),
            "legacyResourceId": str(num),
            "title": title,
            "handle": title.lower().replace(" ", "-"),
            "descriptionHtml": f"<p>{title}</p>",
            "sortOrder": "BEST_SELLING",
            "createdAt": iso(created),
            "updatedAt": iso(updated),
            "products": [self.ref("products", m) for m in members],
            "productsCount": {"count": len(members), "precision": "EXACT"},
            "ruleSet": None,
            "templateSuffix": None,
        }

    def _checkouts(self, i: int) -> dict:
        r = self.rng("checkouts", i)
        created, updated = self.stamps("checkouts", i)
        num = self.num("checkouts", i)
        ccount = self.counts.get("customers", 0)
        ncarts = self.counts.get("carts", 0)
        ci = r.randrange(ccount) if ccount and r.random() < 0.7 else None
        lines = [
            self._line(r, num + 10**15 + j, "AbandonedCheckoutLineItem")
            for j in range(r.randint(1, 3))
        ]
        subtotal = sum(li.pop("_price") * li["quantity"] for li in lines)
        cur = self.currency
        token = f"{r.getrandbits(128):032x}"
        first, last = r.choice(FIRST), r.choice(LAST)
        addr = self.address(r, first, last, num + 2 * 10**15)
        return {
            "__typename": "AbandonedCheckout",
            "id": gid("AbandonedCheckout", num),
            "legacyResourceId": str(num),
            "name": f"#{num % 10**6}",
            "abandonedCheckoutUrl": f"https://{self.handle}.example.com/checkouts/{token}/recover",
            "createdAt": iso(created),
            "updatedAt": iso(updated),
            "completedAt": iso(updated) if r.random() < 0.3 else None,
            "customer": self.ref("customers", ci) if ci is not None else None,
            "lineItems": lines,
            "billingAddress": addr,
            "shippingAddress": dict(addr),
            "discountCodes": [],
            "note": None,
            "customAttributes": [],
            "subtotalPriceSet": money(subtotal, cur),
            "totalPriceSet": money(subtotal * 1.13, cur),
            "totalTaxSet": money(subtotal * 0.13, cur),
            "totalDiscountSet": money(0, cur),
            "totalLineItemsPriceSet": money(subtotal, cur),
            "taxesIncluded": False,
            "taxLines": [],
            "lineItemsQuantity": sum(li["quantity"] for li in lines),
            "_token": token,
            # Most checkouts come from a generated cart, so carts/* webhooks can be matched
            # to checkouts through cart_token (PLATFORM §5.3).
            "_cartToken": self.cart_token(i % ncarts)
            if ncarts and r.random() < 0.8
            else f"{r.getrandbits(128):032x}",
            "_email": f"{first}.{last}.c{i}@example.com".lower()
            .replace("'", "")
            .replace("ü", "ue"),
            "_phone": None,
        }

    def _carts(self, i: int) -> dict:
        r = self.rng("carts", i)
        created, updated = self.stamps("carts", i)
        num = self.num("carts", i)
        lines = [self._line(r, num + 10**15 + j, "CartLine") for j in range(r.randint(1, 3))]
        for li in lines:
            li.pop("_price")
        token = self.cart_token(i)
        return {
            "__typename": "Cart",
            "id": gid("Cart", num),
            "legacyResourceId": str(num),
            "token": token,
            "lineItems": lines,
            "note": None,
            "createdAt": iso(created),
            "updatedAt": iso(updated),
        }
