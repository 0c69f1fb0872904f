"""REST-shaped webhook payloads built from GraphQL-shaped records (PLATFORM §2.8–2.9).

Shapes follow `samples/shopify_webhook_samples_2026-07.json`: snake_case, numeric ids,
money as strings with `*_set` bags. Customer payloads carry no tags and no consent
(removed in 2025-01); checkout payloads have no `id` and orders no `checkout_id` (2026-04).
"""

from __future__ import annotations


def num(gid_value) -> int | None:
    if gid_value is None:
        return None
    return int(str(gid_value).rsplit("/", 1)[-1])


def _amt(bag) -> str:
    return (bag or {}).get("shopMoney", {}).get("amount", "0.00")


def _set(bag) -> dict | None:
    if not bag:
        return None
    conv = {k: {"amount": v["amount"], "currency_code": v["currencyCode"]} for k, v in bag.items()}
    return {
        "shop_money": conv.get("shopMoney"),
        "presentment_money": conv.get("presentmentMoney", conv.get("shopMoney")),
    }


def address(
    a: dict | None, customer_id: int | None = None, default: bool | None = None
) -> dict | None:
    if not a:
        return None
    out = {
        "first_name": a.get("firstName"),
        "last_name": a.get("lastName"),
        "company": a.get("company"),
        "address1": a.get("address1"),
        "address2": a.get("address2"),
        "city": a.get("city"),
        "province": a.get("province"),
        "country": a.get("country"),
        "zip": a.get("zip"),
        "phone": a.get("phone"),
        "name": a.get("name"),
        "province_code": a.get("provinceCode"),
        "country_code": a.get("countryCodeV2"),
        "country_name": a.get("country"),
        "latitude": None,
        "longitude": None,
    }
    if customer_id is not None:
        out = {"id": num(a.get("id")), "customer_id": customer_id, **out, "default": bool(default)}
    return out


def customer(c: dict, currency: str = "USD") -> dict:
    cid = num(c["id"])
    return {
        "id": cid,
        "created_at": c.get("createdAt"),
        "updated_at": c.get("updatedAt"),
        "first_name": c.get("firstName"),
        "last_name": c.get("lastName"),
        "state": (c.get("state") or "disabled").lower(),
        "note": c.get("note"),
        "verified_email": c.get("verifiedEmail", True),
        "multipass_identifier": None,
        "tax_exempt": c.get("taxExempt", False),
        "email": c.get("email"),
        "phone": c.get("phone"),
        "currency": currency,
        "addresses": [address(a, cid, i == 0) for i, a in enumerate(c.get("addresses") or [])],
        "tax_exemptions": c.get("taxExemptions") or [],
        "admin_graphql_api_id": c["id"],
        "default_address": address(c.get("defaultAddress"), cid, True),
    }


def email_consent(c: dict) -> dict:
    e = c.get("emailMarketingConsent") or {}
    return {
        "customer_id": num(c["id"]),
        "email_address": c.get("email"),
        "email_marketing_consent": {
            "state": (e.get("marketingState") or "not_subscribed").lower(),
            "opt_in_level": (e.get("marketingOptInLevel") or "").lower() or None,
            "consent_updated_at": e.get("consentUpdatedAt"),
        },
    }


def sms_consent(c: dict) -> dict:
    s = c.get("smsMarketingConsent") or {}
    return {
        "id": num(c["id"]),
        "phone": c.get("phone"),
        "sms_marketing_consent": {
            "state": (s.get("marketingState") or "").lower() or None,
            "opt_in_level": (s.get("marketingOptInLevel") or "").lower() or None,
            "consent_updated_at": s.get("consentUpdatedAt"),
            "consent_collected_from": (s.get("consentCollectedFrom") or "other").lower(),
        },
    }


def _line(li: dict) -> dict:
    price = (li.get("originalUnitPriceSet") or {}).get("shopMoney", {}).get("amount") or (
        li.get("variant") or {}
    ).get("price", "0.00")
    bag = li.get("originalUnitPriceSet")
    variant = li.get("variant") or {}
    prod = li.get("product")
    return {
        "id": num(li["id"]),
        "admin_graphql_api_id": li["id"],
        "variant_id": num(variant.get("id")),
        "product_id": num(prod.get("id")) if prod is not None else None,
        "sku": li.get("sku"),
        "title": li.get("title"),
        "name": li.get("name"),
        "variant_title": li.get("variantTitle"),
        "vendor": li.get("vendor"),
        "quantity": li.get("quantity"),
        "current_quantity": li.get("currentQuantity", li.get("quantity")),
        "price": price,
        "price_set": _set(bag),
        "requires_shipping": True,
        "taxable": True,
        "gift_card": False,
        "grams": 200,
        "fulfillment_service": "manual",
        "fulfillment_status": li.get("_fulfillment_status"),
        "total_discount": "0.00",
        "properties": [],
        "tax_lines": [],
        "discount_allocations": [],
        "duties": [],
    }


def fulfillment(order: dict, f: dict) -> dict:
    tr = (f.get("trackingInfo") or [{}])[0] if f.get("trackingInfo") else {}
    return {
        "id": num(f["id"]),
        "admin_graphql_api_id": f["id"],
        "order_id": num(order["id"]),
        "status": "success",
        "created_at": f.get("createdAt"),
        "updated_at": f.get("updatedAt"),
        "name": f.get("name"),
        "service": "manual",
        "shipment_status": (f.get("displayStatus") or "").lower() or None,
        "tracking_company": tr.get("company"),
        "tracking_number": tr.get("number"),
        "tracking_numbers": [tr["number"]] if tr.get("number") else [],
        "tracking_url": tr.get("url"),
        "tracking_urls": [tr["url"]] if tr.get("url") else [],
        "line_items": [
            {
                "id": num(x["lineItem"]["id"]),
                "quantity": x["quantity"],
                "sku": x["lineItem"].get("sku"),
            }
            for x in f.get("fulfillmentLineItems") or []
        ],
    }


def refund(order: dict, r: dict) -> dict:
    return {
        "id": num(r["id"]),
        "admin_graphql_api_id": r["id"],
        "order_id": num(order["id"]),
        "created_at": r.get("createdAt"),
        "processed_at": r.get("createdAt"),
        "note": r.get("note"),
        "restock": False,
        "refund_line_items": [],
        "transactions": [
            {
                "kind": "refund",
                "status": "success",
                "amount": _amt(r.get("totalRefundedSet")),
                "currency": order.get("currencyCode"),
            }
        ],
        "order_adjustments": [],
        "duties": [],
    }


def order(o: dict) -> dict:
    cur = o.get("currencyCode")
    cust = o.get("customer")
    fin = (o.get("displayFinancialStatus") or "pending").lower()
    ful = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(
        o.get("displayFulfillmentStatus")
    )
    digits = "".join(ch for ch in str(o.get("name") or "") if ch.isdigit())
    number = int(digits) if digits else 1000
    out = {
        "id": num(o["id"]),
        "admin_graphql_api_id": o["id"],
        "name": o.get("name"),
        "number": number - 1000,
        "order_number": number,
        "email": o.get("email"),
        "contact_email": o.get("email"),
        "phone": o.get("phone"),
        "buyer_accepts_marketing": o.get("customerAcceptsMarketing", False),
        "created_at": o.get("createdAt"),
        "updated_at": o.get("updatedAt"),
        "processed_at": o.get("processedAt"),
        "cancelled_at": o.get("cancelledAt"),
        "cancel_reason": (o.get("cancelReason") or "").lower() or None,
        "closed_at": o.get("closedAt"),
        "financial_status": fin,
        "fulfillment_status": ful,
        "currency": cur,
        "presentment_currency": cur,
        "total_price": _amt(o.get("totalPriceSet")),
        "subtotal_price": _amt(o.get("subtotalPriceSet")),
        "total_tax": _amt(o.get("totalTaxSet")),
        "total_discounts": _amt(o.get("totalDiscountsSet")),
        "current_total_price": _amt(o.get("currentTotalPriceSet")),
        "current_subtotal_price": _amt(o.get("currentSubtotalPriceSet")),
        "total_price_set": _set(o.get("totalPriceSet")),
        "subtotal_price_set": _set(o.get("subtotalPriceSet")),
        "total_tax_set": _set(o.get("totalTaxSet")),
        "total_discounts_set": _set(o.get("totalDiscountsSet")),
        "current_total_price_set": _set(o.get("currentTotalPriceSet")),
        "tags": ", ".join(o.get("tags") or []),
        "test": o.get("test", False),
        "token": o.get("_token"),
        "cart_token": o.get("_cartToken"),
        "checkout_token": o.get("_checkoutToken"),
        "source_name": o.get("sourceName", "web"),
        "landing_site": None,
        "referring_site": None,
        "note": o.get("note"),
        "note_attributes": [],
        "customer_locale": "en",
        "confirmed": True,
        "taxes_included": False,
        "tax_lines": [],
        "payment_gateway_names": ["manual"],
        "customer": None,
        "billing_address": address(o.get("billingAddress")),
        "shipping_address": address(o.get("shippingAddress")),
        "line_items": [_line(li) for li in o.get("lineItems") or []],
        "discount_codes": [
            {"code": c, "amount": _amt(o.get("totalDiscountsSet")), "type": "percentage"}
            for c in o.get("discountCodes") or []
        ],
        "shipping_lines": [],
        "refunds": [refund(o, r) for r in o.get("refunds") or []],
        "fulfillments": [fulfillment(o, f) for f in o.get("fulfillments") or []],
        "returns": [],
    }
    if cust is not None:
        cid = num(cust.get("id"))
        out["customer"] = {
            "id": cid,
            "email": cust.get("email"),
            "first_name": cust.get("firstName"),
            "last_name": cust.get("lastName"),
            "state": (cust.get("state") or "disabled").lower(),
            "created_at": cust.get("createdAt"),
            "updated_at": cust.get("updatedAt"),
            "phone": cust.get("phone"),
            "currency": cur,
            "note": None,
            "verified_email": True,
            "tax_exempt": False,
            "tax_exemptions": [],
            "admin_graphql_api_id": cust.get("id"),
            "default_address": address(cust.get("defaultAddress"), cid, True),
        }
    return out


def checkout(c: dict) -> dict:
    cust = c.get("customer")
    cur = (c.get("totalPriceSet") or {}).get("shopMoney", {}).get("currencyCode", "USD")
    return {
        "token": c.get("_token"),
        "cart_token": c.get("_cartToken"),
        "email": c.get("_email") or (cust.get("email") if cust else None),
        "phone": c.get("_phone"),
        "buyer_accepts_marketing": False,
        "buyer_accepts_sms_marketing": False,
        "sms_marketing_phone": None,
        "created_at": c.get("createdAt"),
        "updated_at": c.get("updatedAt"),
        "completed_at": c.get("completedAt"),
        "closed_at": None,
        "abandoned_checkout_url": c.get("abandonedCheckoutUrl"),
        "name": c.get("name"),
        "currency": cur,
        "presentment_currency": cur,
        "line_items": [_line(li) for li in c.get("lineItems") or []],
        "total_price": _amt(c.get("totalPriceSet")),
        "subtotal_price": _amt(c.get("subtotalPriceSet")),
        "total_tax": _amt(c.get("totalTaxSet")),
        "total_discounts": _amt(c.get("totalDiscountSet")),
        "total_line_items_price": _amt(c.get("totalLineItemsPriceSet")),
        "discount_codes": [],
        "billing_address": address(c.get("billingAddress")),
        "shipping_address": address(c.get("shippingAddress")),
        "customer": customer(cust) if cust is not None and cust.get("createdAt") else None,
        "source_name": "web",
        "customer_locale": "en",
        "note": c.get("note"),
        "note_attributes": [],
        "taxes_included": False,
    }


def cart(c: dict) -> dict:
    lines = []
    for li in c.get("lineItems") or []:
        base = _line(li)
        price = base["price"]
        qty = base["quantity"] or 0
        lines.append(
            {
                "id": base["variant_id"],
                "properties": None,
                "quantity": qty,
                "variant_id": base["variant_id"],
                "key": f"{base['variant_id']}:{base['id']}",
                "discounted_price": price,
                "discounts": [],
                "gift_card": False,
                "grams": 200,
                "line_price": f"{float(price) * qty:.2f}",
                "original_line_price": f"{float(price) * qty:.2f}",
                "original_price": price,
                "price": price,
                "product_id": base["product_id"],
                "sku": base["sku"],
                "taxable": True,
                "title": base["name"],
                "total_discount": "0.00",
                "vendor": base["vendor"],
            }
        )
    return {
        "id": c.get("token"),
        "token": c.get("token"),
        "line_items": lines,
        "note": c.get("note"),
        "updated_at": c.get("updatedAt"),
        "created_at": c.get("createdAt"),
    }


def product(p: dict) -> dict:
    pid = num(p["id"])
    return {
        "admin_graphql_api_id": p["id"],
        "body_html": p.get("descriptionHtml"),
        "created_at": p.get("createdAt"),
        "handle": p.get("handle"),
        "id": pid,
        "product_type": p.get("productType"),
        "published_at": p.get("publishedAt"),
        "template_suffix": None,
        "title": p.get("title"),
        "updated_at": p.get("updatedAt"),
        "vendor": p.get("vendor"),
        "status": (p.get("status") or "active").lower(),
        "published_scope": "web",
        "tags": ", ".join(p.get("tags") or []),
        "variants": [
            {
                "admin_graphql_api_id": v["id"],
                "barcode": v.get("barcode"),
                "compare_at_price": v.get("compareAtPrice"),
                "created_at": v.get("createdAt"),
                "id": num(v["id"]),
                "inventory_policy": "deny",
                "position": v.get("position"),
                "price": v.get("price"),
                "product_id": pid,
                "sku": v.get("sku"),
                "taxable": True,
                "title": v.get("title"),
                "updated_at": v.get("updatedAt"),
                "option1": v.get("title"),
                "option2": None,
                "option3": None,
                "image_id": None,
                "inventory_item_id": None,
                "inventory_quantity": v.get("inventoryQuantity"),
                "old_inventory_quantity": v.get("inventoryQuantity"),
            }
            for v in p.get("variants") or []
        ],
        "options": [
            {
                "name": o["name"],
                "id": num(o["id"]),
                "product_id": pid,
                "position": o.get("position", 1),
                "values": o.get("values"),
            }
            for o in p.get("options") or []
        ],
        "images": [
            {
                "id": num(i["id"]),
                "product_id": pid,
                "src": i.get("url"),
                "alt": i.get("altText"),
                "width": i.get("width"),
                "height": i.get("height"),
                "position": n + 1,
                "admin_graphql_api_id": i["id"],
            }
            for n, i in enumerate(p.get("images") or [])
        ],
        "image": None,
        "media": [],
        "variant_gids": [
            {"admin_graphql_api_id": v["id"], "updated_at": v.get("updatedAt")}
            for v in p.get("variants") or []
        ],
        "category": None,
    }


def collection(c: dict) -> dict:
    return {
        "id": num(c["id"]),
        "admin_graphql_api_id": c["id"],
        "handle": c.get("handle"),
        "title": c.get("title"),
        "updated_at": c.get("updatedAt"),
        "body_html": c.get("descriptionHtml"),
        "published_at": c.get("createdAt"),
        "sort_order": "best-selling",
        "template_suffix": None,
        "published_scope": "web",
    }


def shop(s) -> dict:
    r = s.shop_record()
    return {
        "id": s.numeric_id,
        "name": r["name"],
        "email": r["email"],
        "domain": r["primaryDomain"]["host"],
        "myshopify_domain": s.domain,
        "plan_name": s.props["plan"],
        "plan_display_name": r["plan"]["displayName"],
        "currency": r["currencyCode"],
        "iana_timezone": r["ianaTimezone"],
        "country": s.props["country"],
        "country_code": s.props["country"],
        "shop_owner": "Shop Owner",
        "created_at": s.created_at,
        "updated_at": s.created_at,
        "primary_locale": "en",
        "timezone": f"(GMT-05:00) {r['ianaTimezone']}",
    }


SERIALIZERS = {
    "customers": customer,
    "orders": order,
    "checkouts": checkout,
    "carts": cart,
    "products": product,
    "collections": collection,
}
