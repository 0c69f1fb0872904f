"""Small factories for the write-back tests: a store connected to the real simulator.

The store is connected by the shared helper (``sync_support.connect_store``: the
Install click and the code exchange over HTTP, tokens encrypted at rest).
"""

from __future__ import annotations

import httpx

from shoplink.audience import services as audience
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.tests import sync_support
from shoplink.integrations.shopify.tests.sync_support import create_shop

READ_SCOPES = ["read_customers", "read_orders", "read_products"]
WRITE_SCOPES = [*READ_SCOPES, "write_customers"]


def connect_store(sim, project, shop: str, scopes=WRITE_SCOPES, **toggles) -> ShopifyStore:
    """Create a small shop in the simulator and connect it (``sync_support.connect_store``)."""
    create_shop(sim, shop, customers=3, orders=0, products=1, collections=0, checkouts=0)
    return sync_support.connect_store(sim, project, shop, scopes=scopes, **toggles)


def create_customer(sim, shop: str, **fields) -> dict:
    """Create a customer in the simulator; return its control view (numeric ``id``)."""
    return sim.control("POST", f"/shops/{shop}/customers", fields)


def get_customer(sim, shop: str, customer_id) -> dict:
    return sim.control("GET", f"/shops/{shop}/customers/{customer_id}")


class Contact:
    """A contact record as ``audience.upsert_contacts`` reads it."""

    def __init__(self, external_id, **fields):
        self.external_id = str(external_id)
        for name in (
            "email",
            "phone",
            "first_name",
            "last_name",
            "address1",
            "address2",
            "city",
            "province",
            "country",
            "zip",
            "tags",
            "source_updated_at",
        ):
            setattr(self, name, fields.get(name))


def import_contact(store: ShopifyStore, customer_id, **fields):
    """Store a contact as if imported from ``store`` (D4: external id = Shopify id)."""
    change = audience.upsert_contacts(
        store.project, [Contact(customer_id, **fields)], source=store.source
    )[0]
    return store.project.contacts.get(pk=change.contact_id)


def shop_graphql(sim, store: ShopifyStore, document: str, variables=None) -> dict:
    """Read the simulator's Admin GraphQL directly (test-side verification only)."""
    from django.conf import settings

    from shoplink.core import crypto

    url = f"{sim.url}/{store.domain}/admin/api/{settings.SHOPIFY_API_VERSION}/graphql.json"
    response = httpx.post(
        url,
        json={"query": document, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": crypto.decrypt(store.access_token_enc)},
        timeout=30,
    )
    response.raise_for_status()
    payload = response.json()
    assert not payload.get("errors"), payload
    return payload["data"]


CUSTOMER_METAFIELDS = """
query Metafields($id: ID!) {
  customer(id: $id) { metafields(first: 50) { nodes { namespace key type value } } }
}
"""


def metafields_of(sim, store: ShopifyStore, customer_id) -> dict:
    data = shop_graphql(
        sim, store, CUSTOMER_METAFIELDS, {"id": f"gid://shopify/Customer/{customer_id}"}
    )
    nodes = data["customer"]["metafields"]["nodes"]
    return {n["key"]: (n["namespace"], n["type"], n["value"]) for n in nodes}
