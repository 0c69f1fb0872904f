"""Activity lines in a merchant's words: operations named for people, never internal names."""

import pytest

from shoplink.integrations.shopify.api.errors import ShopifyUnavailable
from shoplink.integrations.shopify.connection import status
from shoplink.integrations.shopify.models import ShopifyStore


@pytest.mark.parametrize(
    ("operation", "words"),
    [
        ("sync_collections", "Importing collections"),
        ("ShopInfo", "Reading the store's details"),
        ("token_refresh", "Refreshing the access token"),
        ("SomethingNewFromShopify", "Something new from shopify"),
        ("webhook_backfill", "Webhook backfill"),
        ("", "A Shopify call"),
    ],
)
def test_operations_are_described_in_words(operation, words):
    assert status.describe_operation(operation) == words


@pytest.mark.django_db
def test_a_failure_reads_as_a_sentence_in_activity(project):
    store = ShopifyStore.objects.create(project=project, domain="words.myshopify.com")
    error = ShopifyUnavailable("Timed out talking to Shopify", operation="ShopInfo", code="TIMEOUT")
    status.record_failure(store, "sync_collections", error)
    line = store.activity.first()
    assert line.message.startswith("Importing collections failed: ")
    assert "sync_collections" not in line.message
    assert line.detail["operation"] == "sync_collections"  # kept for operators
