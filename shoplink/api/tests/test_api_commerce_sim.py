"""Page the commerce API through a whole store synced from the simulator over HTTP."""

from __future__ import annotations

import pytest
from django.test import Client

from shoplink.api.models import ApiKey
from shoplink.api.tests.test_api_commerce import page_through
from shoplink.integrations.shopify import services as shopify
from shoplink.integrations.shopify.tests.sync_support import (
    connect_store,
    create_shop,
    exported_ids,
    with_customer_list,
)

# Transactional: the store must be committed so the live server processes the webhooks the
# sync triggers (bulk_operations/finish) instead of leaving them waiting for later tests.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.simulator]

PROFILE = {"customers": 25, "orders": 61, "products": 9, "collections": 4, "checkouts": 7}


def test_api_pages_through_a_synced_store_and_matches_the_simulator(
    shopify_sim, project, unique_shop
):
    create_shop(shopify_sim, unique_shop, **PROFILE)
    store = with_customer_list(connect_store(shopify_sim, project, unique_shop))
    shopify.start_sync(store)
    _, raw = ApiKey.issue(project, "tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    for path, resource in (
        ("/orders", "orders"),
        ("/products", "products"),
        ("/collections", "collections"),
        ("/checkouts", "checkouts"),
    ):
        items = page_through(api, path, limit=7, store=unique_shop)
        ids = [i["external_id"] for i in items]
        assert len(ids) == len(set(ids)), path  # no row twice across pages
        expected = exported_ids(shopify_sim, unique_shop, resource)
        if resource == "checkouts":
            # Checkouts are keyed by token (D19); the export names them by id.
            assert len(ids) == len(expected) == PROFILE["checkouts"]
        else:
            assert set(ids) == expected, path
        assert all(i["store"] == unique_shop for i in items)
    assert len(page_through(api, "/orders", limit=250)) == PROFILE["orders"]
