"""The records mapping produces: plain, frozen values the ingest functions write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

# Shopify states that forbid marketing (mapping/consent.py says why; kept upper-case).
OPTED_OUT_STATES = frozenset({"UNSUBSCRIBED", "REDACTED", "INVALID"})


@dataclass(frozen=True)
class ConsentRecord:
    """One channel's marketing consent: our state plus Shopify's raw provenance (D20)."""

    channel: str  # "email" | "sms"
    shopify_state: str | None  # upper-case, e.g. "SUBSCRIBED"; None when Shopify sent null
    state: str  # ours: subscribed | opted_in | unsubscribed | not_subscribed | pending
    opt_in_level: str | None
    collected_from: str | None
    consent_updated_at: datetime | None

    # The audience stores consent in neutral words (``ConsentInput``): the raw state as
    # provenance, and whether the source forbids marketing.
    @property
    def source_state(self) -> str:
        return self.shopify_state or ""

    @property
    def source_opted_out(self) -> bool:
        return (self.shopify_state or "") in OPTED_OUT_STATES


@dataclass(frozen=True)
class CustomerRecord:
    external_id: str
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    address1: str | None
    address2: str | None
    city: str | None
    province: str | None
    country: str | None
    zip: str | None
    tags: list[str] | None  # None = unknown (webhooks since 2025-01)
    source_updated_at: datetime | None
    source_created_at: datetime | None
    email_consent: ConsentRecord | None  # None = unknown
    sms_consent: ConsentRecord | None  # None = unknown


@dataclass(frozen=True)
class OrderRecord:
    external_id: str
    customer_external_id: str | None
    number: int | None
    name: str | None
    email: str | None
    currency: str | None
    total_price: Decimal | None
    subtotal_price: Decimal | None
    total_tax: Decimal | None
    total_discounts: Decimal | None
    current_total_price: Decimal | None
    financial_status: str | None
    fulfillment_status: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    test: bool
    checkout_token: str | None  # webhooks only; GraphQL Order has no checkout token
    discount_codes: list[str]
    line_items: list[dict]
    shipping_address: dict | None
    fulfillments: list[dict]
    refunds: list[dict]
    source_created_at: datetime | None
    source_updated_at: datetime | None


@dataclass(frozen=True)
class CheckoutRecord:
    token: str
    customer_external_id: str | None
    email: str | None
    currency: str | None
    total_price: Decimal | None
    line_items: list[dict]
    abandoned_checkout_url: str | None
    completed_at: datetime | None
    source_created_at: datetime | None
    source_updated_at: datetime | None


@dataclass(frozen=True)
class CartRecord:
    token: str
    line_items: list[dict]
    total_price: Decimal | None
    currency: str | None
    source_updated_at: datetime | None


@dataclass(frozen=True)
class ProductRecord:
    external_id: str
    title: str | None
    handle: str | None
    status: str | None
    vendor: str | None
    product_type: str | None
    tags: list[str]
    price_min: Decimal | None
    price_max: Decimal | None
    image_url: str | None
    variants: list[dict]
    source_updated_at: datetime | None


@dataclass(frozen=True)
class CollectionRecord:
    external_id: str
    title: str | None
    handle: str | None
    product_ids: list[str] | None  # None = unknown (collection webhooks list no products)
    source_updated_at: datetime | None


class ConsentUpdate(NamedTuple):
    """What a consent webhook says: whose consent, the new consent, the address it is for."""

    customer_external_id: str
    consent: ConsentRecord
    address: str | None  # the email address or phone number the consent belongs to


class TagChange(NamedTuple):
    """``customer.tags_added`` / ``customer.tags_removed``: a delta, not the full list."""

    customer_external_id: str
    added: list[str]
    removed: list[str]
    occurred_at: datetime | None


class PurchasingSummary(NamedTuple):
    customer_external_id: str
    number_of_orders: int | None
    amount_spent: Decimal | None
    currency: str | None
    last_order_external_id: str | None
    occurred_at: datetime | None


class BulkFinish(NamedTuple):
    """``bulk_operations/finish``: which operation, and how it ended (upper-case enums)."""

    operation_gid: str
    status: str | None
    error_code: str | None
    type: str | None
    completed_at: datetime | None
