"""Orders, checkouts, carts, products and collections from any commerce source.

Rows carry ``source`` (e.g. ``shopify:mystore.myshopify.com``) and the source's id;
``(project, source, external_id)`` is unique. Line items, fulfillments and refunds
are kept as JSON on the order: they are read with it and never queried alone
(reference 2.11 "line items do not sync as standalone records").
"""

from __future__ import annotations

from django.db import models

from shoplink.audience.models import Contact
from shoplink.core.fields import UncheckedJSONField
from shoplink.core.models import TimeStampedModel
from shoplink.projects.models import Project

MONEY = {"max_digits": 14, "decimal_places": 2, "null": True, "blank": True}


class SourcedModel(TimeStampedModel):
    # No index of its own: each subclass's unique (project, source, external_id) leads with
    # it and serves every lookup by project (and the cascade); one index write fewer a row.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    source = models.CharField(max_length=200)
    external_id = models.CharField(max_length=64)
    source_created_at = models.DateTimeField(null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Order(SourcedModel):
    # No index of its own: ("contact", "source_created_at") below leads with it and serves
    # every lookup by contact (and SET_NULL on delete); one index fewer per imported order.
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        db_index=False,
    )
    customer_external_id = models.CharField(max_length=64, blank=True, default="")
    number = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(max_length=64, blank=True, default="")
    email = models.CharField(max_length=320, blank=True, default="")
    currency = models.CharField(max_length=8, blank=True, default="")
    total_price = models.DecimalField(**MONEY)
    subtotal_price = models.DecimalField(**MONEY)
    total_tax = models.DecimalField(**MONEY)
    total_discounts = models.DecimalField(**MONEY)
    current_total_price = models.DecimalField(**MONEY)
    financial_status = models.CharField(max_length=40, blank=True, default="")
    fulfillment_status = models.CharField(max_length=40, null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=40, null=True, blank=True)
    test = models.BooleanField(default=False)
    checkout_token = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    discount_codes = UncheckedJSONField(default=list, blank=True)
    line_items = UncheckedJSONField(default=list, blank=True)
    shipping_address = UncheckedJSONField(null=True, blank=True)
    fulfillments = UncheckedJSONField(default=list, blank=True)
    refunds = UncheckedJSONField(default=list, blank=True)

    KEEP_WHEN_NONE = ("fulfillments", "refunds")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "source", "external_id"], name="uniq_order_source_id"
            )
        ]
        indexes = [
            models.Index(fields=["contact", "source_created_at"]),
            # Orders that arrived before their customer, found when the customer lands
            # (ingest._link_waiting_rows): partial, so linked orders cost no entry.
            models.Index(
                fields=["project", "source", "customer_external_id"],
                condition=models.Q(contact__isnull=True),
                name="order_waiting_for_contact",
            ),
        ]

    @property
    def counts_toward_totals(self) -> bool:
        """D24: orders that are neither cancelled nor test count."""
        return self.cancelled_at is None and not self.test


class Checkout(SourcedModel):
    """A checkout, keyed by Shopify's ``token`` (stored in ``external_id``; D19)."""

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkouts"
    )
    customer_external_id = models.CharField(max_length=64, blank=True, default="")
    email = models.CharField(max_length=320, blank=True, default="")
    currency = models.CharField(max_length=8, blank=True, default="")
    total_price = models.DecimalField(**MONEY)
    line_items = UncheckedJSONField(default=list, blank=True)
    abandoned_checkout_url = models.CharField(max_length=1000, blank=True, default="")
    completed_at = models.DateTimeField(null=True, blank=True)
    abandoned_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "source", "external_id"], name="uniq_checkout_source_id"
            )
        ]
        indexes = [models.Index(fields=["completed_at", "abandoned_event_at", "source_updated_at"])]


class Cart(SourcedModel):
    line_items = UncheckedJSONField(default=list, blank=True)
    total_price = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "source", "external_id"], name="uniq_cart_source_id"
            )
        ]


class Product(SourcedModel):
    title = models.CharField(max_length=500, blank=True, default="")
    handle = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=20, blank=True, default="")
    vendor = models.CharField(max_length=300, blank=True, default="")
    product_type = models.CharField(max_length=300, blank=True, default="")
    tags = UncheckedJSONField(default=list, blank=True)
    price_min = models.DecimalField(**MONEY)
    price_max = models.DecimalField(**MONEY)
    image_url = models.CharField(max_length=1000, blank=True, default="")
    variants = UncheckedJSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "source", "external_id"], name="uniq_product_source_id"
            )
        ]


class Collection(SourcedModel):
    title = models.CharField(max_length=500, blank=True, default="")
    handle = models.CharField(max_length=500, blank=True, default="")
    product_ids = UncheckedJSONField(default=list, blank=True)

    KEEP_WHEN_NONE = ("product_ids",)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "source", "external_id"], name="uniq_collection_source_id"
            )
        ]
