"""Admin GraphQL mutations the product uses; each goes through `changes` so webhooks fire."""

from __future__ import annotations

import hashlib
import re

from shopsim import changes
from shopsim.resolvers import access_denied, has_scope
from shopsim.store import now_iso
from shopsim.webhooks import enum_topic

CONSENT_INPUT_STATES = ("SUBSCRIBED", "UNSUBSCRIBED", "PENDING")  # PLATFORM §5.2, trap 20
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,50}$")


def _err(field, message, code=None):
    e = {"field": field, "message": message}
    if code is not None:
        e["code"] = code
    return e


def _customer(ctx, gid_value):
    found = ctx["shop"].find_gid(gid_value or "")
    if not found or found[0] != "customers":
        return None
    return found[1]


def _needs(ctx, scope, field):
    if not has_scope(ctx, scope):
        raise access_denied(field, scope)


def customer_update(ctx, args):
    _needs(ctx, "write_customers", "customerUpdate")
    inp = dict(args.get("input") or {})
    idx = _customer(ctx, inp.pop("id", None))
    if idx is None:
        return {"customer": None, "userErrors": [_err(["id"], "Customer does not exist")]}
    allowed = {
        "email",
        "phone",
        "firstName",
        "lastName",
        "note",
        "tags",
        "locale",
        "taxExempt",
        "taxExemptions",
    }
    fields = {k: v for k, v in inp.items() if k in allowed}
    if inp.get("emailMarketingConsent"):
        c = inp["emailMarketingConsent"]
        fields["emailMarketingConsent"] = {
            "marketingState": c.get("marketingState"),
            "marketingOptInLevel": c.get("marketingOptInLevel"),
            "consentUpdatedAt": c.get("consentUpdatedAt") or now_iso(),
        }
    if inp.get("addresses") is not None:
        current = ctx["shop"].tables["customers"].get(idx)
        fields.update(_addresses(current, inp["addresses"]))
    changes.update(ctx["hub"], ctx["shop"], "customers", idx, fields)
    return {"customer": ctx["shop"].tables["customers"].get(idx), "userErrors": []}


ADDRESS_INPUT_FIELDS = (
    "address1",
    "address2",
    "city",
    "company",
    "countryCode",
    "firstName",
    "lastName",
    "phone",
    "provinceCode",
    "zip",
)


def _mailing_address(inp: dict, gid_value: str) -> dict:
    """A ``MailingAddress`` from a ``MailingAddressInput`` (codes only; names mirror them)."""
    a = {k: inp.get(k) for k in ADDRESS_INPUT_FIELDS}
    a["countryCodeV2"] = a["countryCode"]
    # Shopify resolves codes to names; without a lookup table the code stands in.
    a["country"], a["province"] = a["countryCode"], a["provinceCode"]
    names = [x for x in (a["firstName"], a["lastName"]) if x]
    return {"__typename": "MailingAddress", "id": gid_value, "name": " ".join(names), **a}


def _addresses(customer: dict, inputs: list) -> dict:
    """``CustomerInput.addresses``: an input with an ``id`` updates that address, one
    without adds a new address; the customer's default stays unless it had none."""
    existing = [dict(a) for a in customer.get("addressesV2") or customer.get("addresses") or []]
    by_id = {a.get("id"): a for a in existing}
    for n, inp in enumerate(inputs or []):
        inp = dict(inp or {})
        if inp.get("id") in by_id:
            by_id[inp["id"]].update({k: v for k, v in inp.items() if k in ADDRESS_INPUT_FIELDS})
            continue
        seed = hashlib.sha256(f"{customer['id']}:{len(existing)}:{n}".encode()).hexdigest()
        existing.append(_mailing_address(inp, f"gid://shopify/MailingAddress/{int(seed[:12], 16)}"))
    default = customer.get("defaultAddress")
    if not default or not any(default.get(k) for k in ("address1", "city", "zip")):
        default = existing[0] if existing else None
    else:
        default = by_id.get(default.get("id"), default)
    return {"addresses": existing, "addressesV2": existing, "defaultAddress": default}


def _consent(ctx, args, channel):
    name = (
        "customerEmailMarketingConsentUpdate"
        if channel == "email"
        else "customerSmsMarketingConsentUpdate"
    )
    _needs(ctx, "write_customers", name)
    inp = args.get("input") or {}
    idx = _customer(ctx, inp.get("customerId"))
    key = "emailMarketingConsent" if channel == "email" else "smsMarketingConsent"
    if idx is None:
        return {
            "customer": None,
            "userErrors": [_err(["input", "customerId"], "Customer not found", "INVALID")],
        }
    consent = inp.get(key) or {}
    state = consent.get("marketingState")
    if state not in CONSENT_INPUT_STATES:
        return {
            "customer": None,
            "userErrors": [
                _err(
                    ["input", key, "marketingState"],
                    f"Marketing state {state} is not allowed; "
                    "use SUBSCRIBED, UNSUBSCRIBED or PENDING",
                    "INCLUSION",
                )
            ],
        }
    rec = ctx["shop"].tables["customers"].get(idx)
    if channel == "email" and not rec.get("email"):
        return {
            "customer": None,
            "userErrors": [
                _err(["input", "customerId"], "Customer must have an email address", "INVALID")
            ],
        }
    if channel == "sms" and not rec.get("phone"):
        return {
            "customer": None,
            "userErrors": [
                _err(["input", "customerId"], "Customer must have a phone number", "INVALID")
            ],
        }
    value = {
        "marketingState": state,
        "marketingOptInLevel": consent.get("marketingOptInLevel") or "SINGLE_OPT_IN",
        "consentUpdatedAt": consent.get("consentUpdatedAt") or now_iso(),
    }
    if channel == "sms":
        value["consentCollectedFrom"] = "OTHER"
    changes.update(ctx["hub"], ctx["shop"], "customers", idx, {key: value})
    return {"customer": ctx["shop"].tables["customers"].get(idx), "userErrors": []}


def metafields_set(ctx, args):
    items = args.get("metafields") or []
    shop = ctx["shop"]
    if len(items) > 25:  # PLATFORM §5.2: at most 25 per call
        return {
            "metafields": None,
            "userErrors": [
                _err(
                    ["metafields"],
                    "Exceeded the maximum metafields input limit of 25.",
                    "LESS_THAN_OR_EQUAL_TO",
                )
            ],
        }
    errors, out = [], []
    for n, m in enumerate(items):
        if not shop.find_gid(m.get("ownerId", "")):
            errors.append(
                {
                    **_err(["metafields", str(n), "ownerId"], "Owner does not exist.", "INVALID"),
                    "elementIndex": n,
                }
            )
    if errors:
        return {"metafields": None, "userErrors": errors}  # atomic: all or nothing
    for m in items:
        key = (m["ownerId"], m.get("namespace") or "app", m["key"])
        prev = shop.metafields.get(key)
        digest = hashlib.sha256(str(m["value"]).encode()).hexdigest()
        num = abs(hash(key)) % 10**12
        mf = {
            "__typename": "Metafield",
            "id": f"gid://shopify/Metafield/{num}",
            "namespace": key[1],
            "key": key[2],
            "value": m["value"],
            "type": m.get("type") or (prev or {}).get("type") or "single_line_text_field",
            "ownerType": m["ownerId"].split("/")[3].upper(),
            "compareDigest": digest,
            "createdAt": (prev or {}).get("createdAt") or now_iso(),
            "updatedAt": now_iso(),
        }
        shop.metafields[key] = mf
        out.append(mf)
    return {"metafields": out, "userErrors": []}


def _sub_input(inp):
    uri = inp.get("uri") or inp.get("callbackUrl")
    return uri, inp.get("format") or "JSON", list(inp.get("includeFields") or []), inp.get("filter")


def webhook_create(ctx, args):
    shop = ctx["shop"]
    inp = args.get("webhookSubscription") or {}
    topic = args.get("topic")
    uri, fmt, include, flt = _sub_input(inp)
    if not uri:
        return {
            "webhookSubscription": None,
            "userErrors": [_err(["webhookSubscription", "callbackUrl"], "Address can't be blank")],
        }
    if not re.match(r"^(https?://|pubsub://|arn:aws:events:)", uri):
        return {
            "webhookSubscription": None,
            "userErrors": [_err(["webhookSubscription", "callbackUrl"], "Address is invalid")],
        }
    if any(s["topic"] == topic and s["uri"] == uri for s in shop.subscriptions.values()):
        return {
            "webhookSubscription": None,
            "userErrors": [
                _err(
                    ["webhookSubscription", "callbackUrl"],
                    "Address for this topic has already been taken",
                )
            ],
        }
    name = inp.get("name")
    if name is not None and not NAME_RE.match(name):
        return {
            "webhookSubscription": None,
            "userErrors": [_err(["webhookSubscription", "name"], "Name is invalid")],
        }
    key = shop.next_sub
    shop.next_sub += 1
    num = shop.numeric_id * 1000 + key
    stamp = now_iso()
    sub = {
        "__typename": "WebhookSubscription",
        "id": f"gid://shopify/WebhookSubscription/{num}",
        "legacyResourceId": str(num),
        "_key": key,
        "topic": topic,
        "uri": uri,
        "callbackUrl": uri,
        "format": fmt,
        "includeFields": include,
        "filter": flt,
        "metafieldNamespaces": list(inp.get("metafieldNamespaces") or []),
        "name": name,
        "createdAt": stamp,
        "updatedAt": stamp,
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": uri},
        "apiVersion": {
            "__typename": "ApiVersion",
            "handle": ctx["version"],
            "displayName": ctx["version"],
            "supported": True,
        },
        "_apiVersion": ctx["version"],
        "_topic": enum_topic(topic),
        "failures": 0,
    }
    shop.subscriptions[key] = sub
    return {"webhookSubscription": sub, "userErrors": []}


def _find_sub(shop, gid_value):
    return next((s for s in shop.subscriptions.values() if s["id"] == gid_value), None)


def webhook_update(ctx, args):
    sub = _find_sub(ctx["shop"], args.get("id"))
    if sub is None:
        return {
            "webhookSubscription": None,
            "userErrors": [_err(["id"], "Webhook subscription does not exist")],
        }
    inp = args.get("webhookSubscription") or {}
    uri, fmt, include, flt = _sub_input(inp)
    if uri:
        sub["uri"] = sub["callbackUrl"] = uri
        sub["endpoint"] = {"__typename": "WebhookHttpEndpoint", "callbackUrl": uri}
    if "includeFields" in inp:
        sub["includeFields"] = include
    if "filter" in inp:
        sub["filter"] = flt
    if "format" in inp:
        sub["format"] = fmt
    sub["updatedAt"] = now_iso()
    return {"webhookSubscription": sub, "userErrors": []}


def webhook_delete(ctx, args):
    shop = ctx["shop"]
    sub = _find_sub(shop, args.get("id"))
    if sub is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [_err(["id"], "Webhook subscription does not exist")],
        }
    shop.subscriptions.pop(sub["_key"], None)
    return {"deletedWebhookSubscriptionId": sub["id"], "userErrors": []}


def app_uninstall(ctx, args):
    changes.uninstall(ctx["hub"], ctx["shop"])
    return {
        "app": {"__typename": "App", "id": "gid://shopify/App/1", "title": "Shoplink"},
        "userErrors": [],
    }


def _tags(ctx, args, add: bool):
    found = ctx["shop"].find_gid(args.get("id") or "")
    if not found:
        return {"node": None, "userErrors": [_err(["id"], "Resource does not exist")]}
    kind, idx = found
    rec = ctx["shop"].tables[kind].get(idx)
    tags = list(rec.get("tags") or [])
    given = args.get("tags") or []
    if isinstance(given, str):
        given = [t.strip() for t in given.split(",")]
    new = tags + [t for t in given if t not in tags] if add else [t for t in tags if t not in given]
    changes.update(ctx["hub"], ctx["shop"], kind, idx, {"tags": new})
    return {"node": ctx["shop"].tables[kind].get(idx), "userErrors": []}


def build(bulk) -> dict:
    return {
        "customerUpdate": customer_update,
        "customerEmailMarketingConsentUpdate": lambda c, a: _consent(c, a, "email"),
        "customerSmsMarketingConsentUpdate": lambda c, a: _consent(c, a, "sms"),
        "metafieldsSet": metafields_set,
        "webhookSubscriptionCreate": webhook_create,
        "webhookSubscriptionUpdate": webhook_update,
        "webhookSubscriptionDelete": webhook_delete,
        "appUninstall": app_uninstall,
        "tagsAdd": lambda c, a: _tags(c, a, True),
        "tagsRemove": lambda c, a: _tags(c, a, False),
        "bulkOperationRunQuery": bulk.run_query,
        "bulkOperationCancel": bulk.cancel,
    }
