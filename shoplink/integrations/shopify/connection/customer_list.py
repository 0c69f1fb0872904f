"""The store's own customer list, "<store name> customers" (D8, D14).

Created when a store first connects and when the merchant picks "New list" in Sync
settings; both go through :func:`create_customer_list`, so the name rule lives here.
"""

from __future__ import annotations

from shoplink.audience.models import ContactList
from shoplink.audience.services import create_list
from shoplink.integrations.shopify.models import ShopifyStore


def create_customer_list(store: ShopifyStore) -> ContactList:
    """Create "<store> customers" in the store's project and assign it to the store."""
    contact_list = create_list(
        store.project, f"{store.name or store.domain} customers", created_by_source=store.source
    )
    store.customer_list = contact_list
    ShopifyStore.objects.filter(pk=store.pk).update(customer_list=contact_list)
    return contact_list
