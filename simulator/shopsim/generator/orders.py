"""Orders: line items, fulfillments, refunds and the transactions that pay for them."""

from __future__ import annotations

import random

from shopsim.generator.words import DISCOUNTS, FIRST, LAST, PRODUCT_WORDS, SHIPMENT, SIZES
from shopsim.records import add_fulfillment, add_refund, gid, money, transaction

FIN_STATES = ("PAID", "PAID", "PAID", "PENDING", "PARTIALLY_REFUNDED", "AUTHORIZED")
FULFIL_MODES = ("none", "partial", "full", "full")


def unit_price(pi: int) -> float:
    """The price of every variant of generated product `pi` (catalog uses the same rule)."""
    return 10 + (pi * 7) % 90 + 0.99


class OrdersMixin:
    """Orders and the line items orders, checkouts and carts share."""

    def _line(self, r: random.Random, num: int, typename: str) -> dict:
        pcount = max(self.counts.get("products", 1), 1)
        # r._randbelow(n) is what randrange(n), randint and choice draw with: same values,
        # without their argument checks (this runs for every line of a million orders).
        rb = r._randbelow
        pi = rb(pcount)
        vj = rb(len(SIZES))
        return self._line_of(pi, vj, 1 + rb(3), num, typename)

    def _line_of(self, pi: int, vj: int, qty: int, num: int, typename: str) -> dict:
        """Line `num`: `qty` of product `pi`'s variant `vj`."""
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
        price = unit_price(pi)
        vnum = self.sub_num("products", 1, pi, vj, 8)  # the product's own variant
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

    def _order_head(self, i: int):
        """The draws that fix order `i`'s money and states, shared by `_orders` and `purchase`.

        Returns (rng, line specs (product, size, quantity), subtotal, discount code, discount,
        tax, total, roll, financial status, fulfilment mode); the rng continues from there.
        """
        r = self.rng("orders", i)
        rb = r._randbelow  # see _line
        ccount = self.counts.get("customers", 0)
        # These draws picked the customer before `owners` did (it must be invertible); they
        # stay so that every later draw, and so every other field, is what it was.
        if ccount and r.random() < 0.92:
            rb(ccount)
        pcount = max(self.counts.get("products", 1), 1)
        # (product, size, quantity) per line: rb(pcount), rb(4), 1 + rb(3) inlined (the same
        # draws: getrandbits(n.bit_length()) until one is below n), the hottest draws here.
        gb, kp = r.getrandbits, pcount.bit_length()
        specs = []
        for _ in range(1 + rb(4)):
            pi = gb(kp)
            while pi >= pcount:
                pi = gb(kp)
            vj = gb(3)
            while vj >= 4:
                vj = gb(3)
            q = gb(2)
            while q >= 3:
                q = gb(2)
            specs.append((pi, vj, 1 + q))
        subtotal = sum(unit_price(pi) * qty for pi, _, qty in specs)
        code = DISCOUNTS[rb(len(DISCOUNTS))] if r.random() < 0.25 else None
        discount = round(subtotal * 0.1, 2) if code else 0.0
        tax = round((subtotal - discount) * 0.13, 2)
        total = round(subtotal - discount + tax, 2)
        roll = r.random()
        cancelled = roll < 0.05
        fin = "REFUNDED" if cancelled else FIN_STATES[rb(6)]
        fulfil_mode = "none" if cancelled else FULFIL_MODES[rb(4)]
        return r, specs, subtotal, code, discount, tax, total, roll, fin, fulfil_mode

    def purchase(self, i: int) -> tuple[bool, int]:
        """(test, current total in cents) of generated order `i`, without building it."""
        _, _, _, _, _, _, total, roll, fin, _ = self._order_head(i)
        if fin in ("PARTIALLY_REFUNDED", "REFUNDED"):
            # As add_refund computes it: the refund's amount as written, then the total left.
            refunded = float(f"{total if fin == 'REFUNDED' else round(total / 3, 2):.2f}")
            current = f"{max(total - refunded, 0):.2f}"
        else:
            current = f"{total:.2f}"
        return roll > 0.97, int(current.replace(".", ""))

    def _orders(self, i: int) -> dict:
        r, specs, subtotal, code, discount, tax, total, roll, fin, fulfil_mode = self._order_head(i)
        rb = r._randbelow  # see _line
        created, updated = self.iso_stamps("orders", i)
        num = self.num("orders", i)
        ci = self.owners.customer_of(i)
        cur = self.currency
        lines = [
            self._line_of(pi, vj, qty, self.sub_num("orders", 1, i, j, 20), "LineItem")
            for j, (pi, vj, qty) in enumerate(specs)
        ]
        cancelled = roll < 0.05
        first, last = FIRST[rb(len(FIRST))], LAST[rb(len(LAST))]
        addr = self.address(r, first, last, self.sub_num("orders", 2, i))
        rec = {
            "__typename": "Order",
            "id": gid("Order", num),
            "legacyResourceId": str(num),
            "name": f"#{1001 + i}",
            "email": f"{first}.{last}.o{i}@example.com".lower().replace("'", "").replace("ü", "ue"),
            "phone": None,
            "createdAt": created,
            "updatedAt": updated,
            "processedAt": created,
            "cancelledAt": updated if cancelled else None,
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
            "billingAddress": dict(addr, id=gid("MailingAddress", self.sub_num("orders", 5, i))),
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
                updated,
                self.sub_num("orders", 3, i, 0, 10),
            )
        # Payments (slot 6): a sale for paid and refunded orders, an authorization for
        # authorized ones, none for pending; a refund adds its REFUND transaction.
        if fin == "AUTHORIZED":
            txns = [
                transaction(
                    rec,
                    "AUTHORIZATION",
                    total,
                    rec["processedAt"],
                    self.sub_num("orders", 6, i, 0, 10),
                )
            ]
        elif fin == "PENDING":
            txns = []
        else:
            txns = [
                transaction(
                    rec, "SALE", total, rec["processedAt"], self.sub_num("orders", 6, i, 0, 10)
                )
            ]
        rec["transactions"] = txns
        refunded = 0.0
        if fin in ("PARTIALLY_REFUNDED", "REFUNDED"):
            refunded = total if fin == "REFUNDED" else round(total / 3, 2)
            add_refund(
                rec,
                refunded,
                updated,
                self.sub_num("orders", 4, i, 0, 10),
                self.sub_num("orders", 6, i, 1, 10),
                resettle=False,
            )
        # What `settle` would derive from these transactions, without re-reading them.
        received = 0.0 if fin in ("AUTHORIZED", "PENDING") else total
        rec["totalReceivedSet"] = money(received, cur)
        rec["netPaymentSet"] = money(received - refunded, cur)
        rec["totalCapturableSet"] = money(total if fin == "AUTHORIZED" else 0.0, cur)
        rec["totalOutstandingSet"] = money(total if fin == "PENDING" else 0.0, cur)
        for li in lines:
            li.pop("_price")
        return rec
