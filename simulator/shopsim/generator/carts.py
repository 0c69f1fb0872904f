"""Abandoned checkouts and carts."""

from __future__ import annotations

from shopsim.generator.words import FIRST, LAST
from shopsim.records import gid, money


class CartsMixin:
    """Abandoned checkouts and carts."""

    def _checkouts(self, i: int) -> dict:
        r = self.rng("checkouts", i)
        created, updated = self.iso_stamps("checkouts", i)
        num = self.num("checkouts", i)
        ccount = self.counts.get("customers", 0)
        ncarts = self.counts.get("carts", 0)
        ci = r.randrange(ccount) if ccount and r.random() < 0.7 else None
        lines = [
            self._line(r, self.sub_num("checkouts", 1, i, j, 20), "AbandonedCheckoutLineItem")
            for j in range(r.randint(1, 3))
        ]
        subtotal = sum(li.pop("_price") * li["quantity"] for li in lines)
        tax = round(subtotal * 0.13, 2)
        cur = self.currency
        token = f"{r.getrandbits(128):032x}"
        first, last = r.choice(FIRST), r.choice(LAST)
        addr = self.address(r, first, last, self.sub_num("checkouts", 2, i))
        return {
            "__typename": "AbandonedCheckout",
            "id": gid("AbandonedCheckout", num),
            "legacyResourceId": str(num),
            "name": f"#{num % 10**6}",
            "abandonedCheckoutUrl": f"https://{self.handle}.example.com/checkouts/{token}/recover",
            "createdAt": created,
            "updatedAt": updated,
            "completedAt": updated if r.random() < 0.3 else None,
            "customer": self.ref("customers", ci) if ci is not None else None,
            "lineItems": lines,
            "billingAddress": addr,
            "shippingAddress": dict(
                addr, id=gid("MailingAddress", self.sub_num("checkouts", 3, i))
            ),
            "discountCodes": [],
            "note": None,
            "customAttributes": [],
            "subtotalPriceSet": money(subtotal, cur),
            "totalPriceSet": money(round(subtotal + tax, 2), cur),
            "totalTaxSet": money(tax, cur),
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
        created, updated = self.iso_stamps("carts", i)
        num = self.num("carts", i)
        lines = [
            self._line(r, self.sub_num("carts", 1, i, j, 20), "CartLine")
            for j in range(r.randint(1, 3))
        ]
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
            "createdAt": created,
            "updatedAt": updated,
        }
