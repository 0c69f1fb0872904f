"""Abandoned checkouts (keyed by token) and carts."""

from __future__ import annotations

from decimal import Decimal

from shoplink.integrations.shopify.api.mapping.orders import graphql_line_item, rest_line_item
from shoplink.integrations.shopify.api.mapping.records import (
    CartRecord,
    CheckoutRecord,
)
from shoplink.integrations.shopify.api.mapping.scalars import (
    as_decimal,
    as_money,
    child_nodes,
    gid_to_id,
    money_currency,
    parse_datetime,
)


def checkout_token_from_url(url: str | None) -> str | None:
    """Return the checkout token in an ``abandonedCheckoutUrl`` (``…/<token>/recover``).

    GraphQL ``AbandonedCheckout`` exposes no token, but webhooks key on it (§2.8, §9
    trap 10) and the recovery URL carries it as the segment before ``recover``.
    """
    if not url:
        return None
    segments = [s for s in url.split("?", 1)[0].split("/") if s]
    if "recover" in segments:
        index = segments.index("recover")
        return segments[index - 1] if index > 0 else None
    return None


def checkout_from_webhook(payload: dict) -> CheckoutRecord:
    """Map ``checkouts/create|update`` (no ``id`` since 2026-04: key on ``token``)."""
    customer = payload.get("customer") or {}
    return CheckoutRecord(
        token=str(payload["token"]),
        customer_external_id=gid_to_id(customer.get("id")),
        email=payload.get("email") or customer.get("email"),
        currency=payload.get("currency"),
        total_price=as_decimal(payload.get("total_price")),
        line_items=[rest_line_item(li) for li in payload.get("line_items") or []],
        abandoned_checkout_url=payload.get("abandoned_checkout_url"),
        completed_at=parse_datetime(payload.get("completed_at")),
        source_created_at=parse_datetime(payload.get("created_at")),
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )


def checkout_from_graphql(node: dict, children: dict | None = None) -> CheckoutRecord:
    """Map a GraphQL ``AbandonedCheckout``; line items from children or nested."""
    customer = node.get("customer") or {}
    email_address = customer.get("defaultEmailAddress") or {}
    line_items = child_nodes(node, children, "AbandonedCheckoutLineItem", "lineItems")
    url = node.get("abandonedCheckoutUrl")
    return CheckoutRecord(
        token=checkout_token_from_url(url) or gid_to_id(node["id"]),
        customer_external_id=gid_to_id(customer.get("id")),
        email=email_address.get("emailAddress") or customer.get("email"),
        currency=money_currency(node.get("totalPriceSet")),
        total_price=as_money(node.get("totalPriceSet")),
        line_items=[graphql_line_item(li) for li in line_items],
        abandoned_checkout_url=url,
        completed_at=parse_datetime(node.get("completedAt")),
        source_created_at=parse_datetime(node.get("createdAt")),
        source_updated_at=parse_datetime(node.get("updatedAt")),
    )


def cart_from_webhook(payload: dict) -> CartRecord:
    """Map ``carts/create|update``; carts carry no total, so it is the sum of line prices."""
    items = payload.get("line_items") or []
    line_prices = [as_decimal(li.get("line_price")) for li in items]
    total = sum((p for p in line_prices if p is not None), Decimal("0")) if items else None
    currency = None
    for item in items:
        money = (item.get("line_price_set") or item.get("price_set") or {}).get("shop_money")
        if money and money.get("currency_code"):
            currency = money["currency_code"]
            break
    return CartRecord(
        token=str(payload.get("token") or payload["id"]),
        line_items=[rest_line_item(li) for li in items],
        total_price=total,
        currency=currency,
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )
