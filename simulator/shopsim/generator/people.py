"""Customers and their mailing addresses."""

from __future__ import annotations

import random

from shopsim.generator.words import (
    CITIES,
    EMAIL_STATES,
    FIRST,
    LAST,
    OPT_IN,
    SMS_STATES,
    STREETS,
    TAGS,
)
from shopsim.records import derive_customer, gid, money


class PeopleMixin:
    """Customers (slot 1: the customer's address)."""

    def address(self, r: random.Random, first: str, last: str, num: int) -> dict:
        rb = r._randbelow  # the draw of choice/randint, without their checks (see orders)
        city, prov, pcode, country, ccode, zipc = CITIES[rb(len(CITIES))]
        return {
            "__typename": "MailingAddress",
            "id": gid("MailingAddress", num),
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "company": None,
            "address1": f"{1 + rb(999)} {STREETS[rb(len(STREETS))]} Street",
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
        created, updated = self.iso_stamps("customers", i)
        num = self.num("customers", i)
        first, last = r.choice(FIRST), r.choice(LAST)
        email = f"{first}.{last}.{i}@example.com".lower().replace("'", "").replace("ü", "ue")
        phone = f"+1613555{i % 10000:04d}" if r.random() < 0.6 else None
        es = EMAIL_STATES[i % len(EMAIL_STATES)] if i < 24 else r.choice(EMAIL_STATES)
        ss = SMS_STATES[i % len(SMS_STATES)] if i < 24 else r.choice(SMS_STATES)
        addr = self.address(r, first, last, self.sub_num("customers", 1, i))
        # Drawn as before so the fields after it keep their values; the customer's real
        # order count, amount spent and last order are derived from the orders
        # (Shop.purchases) every time the record is read.
        r.randint(0, 12)
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
                "consentUpdatedAt": updated if es != "NOT_SUBSCRIBED" else None,
            },
            "smsMarketingConsent": (
                {
                    "marketingState": ss,
                    "marketingOptInLevel": r.choice(OPT_IN) if ss == "SUBSCRIBED" else None,
                    "consentUpdatedAt": updated if ss != "NOT_SUBSCRIBED" else None,
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
            "createdAt": created,
            "updatedAt": updated,
            "numberOfOrders": "0",
            "amountSpent": money(0, self.currency)["shopMoney"],
            "defaultAddress": addr,
            "addresses": [addr],
            "addressesV2": [addr],
            "metafields": [],
            "dataSaleOptOut": False,
            "canDelete": True,
            "multipassIdentifier": None,
            "lastOrder": None,
        }
        derive_customer(rec)
        return rec
