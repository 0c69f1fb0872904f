"""The guide's "Missing data after sync", rehearsed on the simulator through the pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from shoplink.integrations.shopify import services as shopify
from shoplink.integrations.shopify.tests.sync_support import (
    connect_store,
    create_shop,
    with_customer_list,
)

# Transactional: the store must be committed so the live server processes the webhooks the
# sync triggers (bulk_operations/finish) instead of leaving them waiting for later tests.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.simulator]


def orders_in_all(client, domain) -> int:
    body = client.get(reverse("commerce:orders"), {"store": domain}).content.decode()
    match = re.search(r"(\d+) in all", body)
    return int(match.group(1)) if match else 0


def test_orders_off_means_no_orders_on_the_page_until_turned_on_and_resynced(
    shopify_sim, project, unique_shop, viewer_client
):
    create_shop(shopify_sim, unique_shop, customers=5, orders=9, products=2, collections=1)
    store = with_customer_list(
        connect_store(shopify_sim, project, unique_shop, sync_orders=False)
    )
    shopify.start_sync(store)
    in_shopify = shopify_sim.control("GET", f"/shops/{unique_shop}/orders?limit=1")["total"]
    assert in_shopify == 9
    assert orders_in_all(viewer_client, unique_shop) == 0

    store.refresh_from_db()
    store.sync_orders = True
    store.save()
    shopify.start_sync(store)
    assert orders_in_all(viewer_client, unique_shop) == in_shopify
