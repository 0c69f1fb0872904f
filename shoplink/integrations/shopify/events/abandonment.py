"""Abandoned-checkout detection (D23): a sweep every minute, one event per checkout.

A checkout is abandoned when it has an email or a customer, is not completed, no order
carries its token, and nothing updated it for 60 minutes. ``abandoned_event_at`` marks
the ones already announced, so each gets exactly one ``shopify_checkout_abandoned``.
Checkouts last touched before the store's initial import finished are history (D22)
and never announced.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from shoplink.commerce import services as commerce
from shoplink.commerce.models import Checkout, Order
from shoplink.core import clock
from shoplink.integrations.shopify.events import emit as events
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus

INACTIVITY = dt.timedelta(minutes=60)


def abandoned_candidates(store, now: dt.datetime):
    """Checkouts of ``store`` that qualify as abandoned at ``now``."""
    converted = Order.objects.filter(
        project=store.project, source=store.source, checkout_token=OuterRef("external_id")
    )
    history_until = store.initial_sync_completed_at or store.created_at
    return (
        Checkout.objects.filter(
            project=store.project,
            source=store.source,
            completed_at__isnull=True,
            abandoned_event_at__isnull=True,
            source_updated_at__lte=now - INACTIVITY,
            source_updated_at__gt=history_until,
        )
        .filter(~Q(email="") | ~Q(customer_external_id=""))
        .exclude(Exists(converted))
    )


def sweep_store(store, now: dt.datetime | None = None, *, catch_up: bool = False) -> int:
    """Announce the store's newly abandoned checkouts; return how many.

    ``catch_up``: the checkouts were found by the catch-up after a Reconnect, so their
    events carry the flag (ADR 0045).
    """
    now = now or clock.now()
    with transaction.atomic():
        rows = list(abandoned_candidates(store, now).select_for_update()[:500])
        if not rows:
            return 0
        events.emit(
            store, [events.checkout_abandoned(store, row) for row in rows], catch_up=catch_up
        )
        commerce.mark_checkouts_abandoned([r.pk for r in rows], now)
    return len(rows)


def sweep_abandoned_checkouts() -> int:
    """Minute sweeper: every linked store with Orders, checkouts and carts on (D14)."""
    now = clock.now()
    stores = ShopifyStore.objects.filter(sync_orders=True).exclude(
        status__in=[StoreStatus.DISCONNECTED, StoreStatus.DELETING]
    )
    return sum(sweep_store(store, now) for store in stores.select_related("project"))
