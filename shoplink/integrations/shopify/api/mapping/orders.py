"""Orders with line items, fulfillments and refunds: GraphQL nodes and order webhooks."""

from __future__ import annotations

import re
from decimal import Decimal

from shoplink.integrations.shopify.api.mapping.records import (
    OrderRecord,
)
from shoplink.integrations.shopify.api.mapping.scalars import (
    as_amount,
    as_decimal,
    as_iso,
    as_lower,
    as_money,
    child_nodes,
    gid_to_id,
    money_currency,
    nested_nodes,
    parse_datetime,
    shipping_address,
)

_ORDER_NUMBER = re.compile(r"^\D*(\d+)\D*$")
_FULFILLMENT_STATUS = {
    "fulfilled": "fulfilled",
    "partial": "partial",
    "partially_fulfilled": "partial",
}
# FulfillmentDisplayStatus values that are also REST ``shipment_status`` values.
_SHIPMENT_STATUSES = frozenset(
    {
        "label_printed",
        "label_purchased",
        "attempted_delivery",
        "ready_for_pickup",
        "picked_up",
        "confirmed",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "failure",
        "delayed",
        "not_delivered",
    }
)


def _order_number_from_name(name: str | None) -> int | None:
    """GraphQL ``Order`` has no order-number field; ``#1001`` → 1001 (prefix/suffix ok)."""
    match = _ORDER_NUMBER.match(name or "")
    return int(match.group(1)) if match else None


def rest_line_item(item: dict) -> dict:
    return {
        "id": gid_to_id(item.get("id")) or item.get("key"),
        "product_id": gid_to_id(item.get("product_id")),
        "variant_id": gid_to_id(item.get("variant_id")),
        "sku": item.get("sku"),
        "title": item.get("title"),
        "variant_title": item.get("variant_title"),
        "quantity": item.get("quantity"),
        "price": as_amount(item.get("price")),
    }


def graphql_line_item(item: dict) -> dict:
    return {
        "id": gid_to_id(item.get("id")),
        "product_id": gid_to_id((item.get("product") or {}).get("id")),
        "variant_id": gid_to_id((item.get("variant") or {}).get("id")),
        "sku": item.get("sku"),
        "title": item.get("title"),
        "variant_title": item.get("variantTitle"),
        "quantity": item.get("quantity"),
        "price": as_amount(as_money(item.get("originalUnitPriceSet"))),
    }


def fulfillment_from_webhook(fulfillment: dict) -> dict:
    return {
        "id": gid_to_id(fulfillment.get("id")),
        "status": as_lower(fulfillment.get("status")),
        "shipment_status": as_lower(fulfillment.get("shipment_status")),
        "tracking_company": fulfillment.get("tracking_company"),
        "tracking_numbers": list(fulfillment.get("tracking_numbers") or []),
        "tracking_urls": list(fulfillment.get("tracking_urls") or []),
        "updated_at": as_iso(fulfillment.get("updated_at")),
        "line_items": [
            {"id": gid_to_id(li.get("id")), "quantity": li.get("quantity")}
            for li in fulfillment.get("line_items") or []
        ],
    }


def _graphql_fulfillment(fulfillment: dict) -> dict:
    tracking = fulfillment.get("trackingInfo") or []
    display = as_lower(fulfillment.get("displayStatus"))
    fulfillment_line_items = nested_nodes(fulfillment, "fulfillmentLineItems")
    return {
        "id": gid_to_id(fulfillment.get("id")),
        "status": as_lower(fulfillment.get("status")),
        # REST shipment_status has no GraphQL twin; displayStatus carries the same
        # carrier states (in_transit, delivered, ...) when the fulfillment has them.
        "shipment_status": display if display in _SHIPMENT_STATUSES else None,
        "tracking_company": tracking[0].get("company") if tracking else None,
        "tracking_numbers": [t["number"] for t in tracking if t.get("number")],
        "tracking_urls": [t["url"] for t in tracking if t.get("url")],
        "updated_at": as_iso(fulfillment.get("updatedAt")),
        "line_items": [
            {
                "id": gid_to_id((fli.get("lineItem") or {}).get("id")),
                "quantity": fli.get("quantity"),
            }
            for fli in fulfillment_line_items
        ],
    }


def refund_from_webhook(refund: dict) -> dict:
    transactions = refund.get("transactions") or []
    amounts = [
        as_decimal(t.get("amount"))
        for t in transactions
        if t.get("kind", "refund") == "refund" and t.get("status", "success") == "success"
    ]
    total = sum((a for a in amounts if a is not None), Decimal("0"))
    return {
        "id": gid_to_id(refund.get("id")),
        "amount": str(total),
        "created_at": as_iso(refund.get("created_at")),
    }


def _graphql_refund(refund: dict) -> dict:
    return {
        "id": gid_to_id(refund.get("id")),
        "amount": as_amount(as_money(refund.get("totalRefundedSet"))),
        "created_at": as_iso(refund.get("createdAt")),
    }


def order_from_webhook(payload: dict) -> OrderRecord:
    """Map an ``orders/*`` payload (2026-07: key checkouts by ``checkout_token``, §2.8)."""
    customer = payload.get("customer") or {}
    return OrderRecord(
        external_id=gid_to_id(payload["id"]),
        customer_external_id=gid_to_id(customer.get("id")),
        number=payload.get("order_number"),
        name=payload.get("name"),
        email=payload.get("email") or payload.get("contact_email"),
        currency=payload.get("currency"),
        total_price=as_decimal(payload.get("total_price")),
        subtotal_price=as_decimal(payload.get("subtotal_price")),
        total_tax=as_decimal(payload.get("total_tax")),
        total_discounts=as_decimal(payload.get("total_discounts")),
        current_total_price=as_decimal(payload.get("current_total_price")),
        financial_status=as_lower(payload.get("financial_status")),
        fulfillment_status=_FULFILLMENT_STATUS.get(as_lower(payload.get("fulfillment_status"))),
        cancelled_at=parse_datetime(payload.get("cancelled_at")),
        cancel_reason=as_lower(payload.get("cancel_reason")),
        test=bool(payload.get("test")),
        checkout_token=payload.get("checkout_token"),
        discount_codes=[d.get("code") for d in payload.get("discount_codes") or []],
        line_items=[rest_line_item(li) for li in payload.get("line_items") or []],
        shipping_address=shipping_address(payload.get("shipping_address")),
        fulfillments=[fulfillment_from_webhook(f) for f in payload.get("fulfillments") or []],
        refunds=[refund_from_webhook(r) for r in payload.get("refunds") or []],
        source_created_at=parse_datetime(payload.get("created_at")),
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )


def order_from_graphql(node: dict, children: dict | None = None) -> OrderRecord:
    """Map a GraphQL ``Order``; line items from ``children["LineItem"]`` or nested."""
    line_items = child_nodes(node, children, "LineItem", "lineItems")
    return OrderRecord(
        external_id=gid_to_id(node["id"]),
        customer_external_id=gid_to_id((node.get("customer") or {}).get("id")),
        number=_order_number_from_name(node.get("name")),
        name=node.get("name"),
        email=node.get("email"),
        currency=node.get("currencyCode") or money_currency(node.get("totalPriceSet")),
        total_price=as_money(node.get("totalPriceSet")),
        subtotal_price=as_money(node.get("subtotalPriceSet")),
        total_tax=as_money(node.get("totalTaxSet")),
        total_discounts=as_money(node.get("totalDiscountsSet")),
        current_total_price=as_money(node.get("currentTotalPriceSet")),
        financial_status=as_lower(node.get("displayFinancialStatus")),
        fulfillment_status=_FULFILLMENT_STATUS.get(as_lower(node.get("displayFulfillmentStatus"))),
        cancelled_at=parse_datetime(node.get("cancelledAt")),
        cancel_reason=as_lower(node.get("cancelReason")),
        test=bool(node.get("test")),
        checkout_token=None,
        discount_codes=list(node.get("discountCodes") or []),
        line_items=[graphql_line_item(li) for li in line_items],
        shipping_address=shipping_address(node.get("shippingAddress")),
        fulfillments=[_graphql_fulfillment(f) for f in node.get("fulfillments") or []],
        refunds=[_graphql_refund(r) for r in node.get("refunds") or []],
        source_created_at=parse_datetime(node.get("createdAt")),
        source_updated_at=parse_datetime(node.get("updatedAt")),
    )
