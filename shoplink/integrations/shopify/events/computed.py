"""Computed properties per store: RFM segments (D25), recomputed nightly and on demand.

Order counts and spend move with every order change inside ``ingest``; the RFM
segment ranks a store's customers against each other, so it is a set-wise pass.
"""

from __future__ import annotations

from shoplink.commerce import services as commerce
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus


def stores_for_rfm() -> list[int]:
    """Ids of the stores whose segments are kept fresh (linked, Orders on)."""
    return list(
        ShopifyStore.objects.filter(sync_orders=True)
        .exclude(status__in=[StoreStatus.DISCONNECTED, StoreStatus.DELETING])
        .values_list("pk", flat=True)
    )


def recompute_store_rfm(store_id: int) -> dict[str, int]:
    """Score the store's customers and store ``shopify_rfm_segment``; return counts."""
    store = ShopifyStore.objects.select_related("project").get(pk=store_id)
    return commerce.recompute_rfm(store.project, store.source)
