"""Small factories for the write-back tests: a store connected to the real simulator.

The store is installed through the simulator's control API (the same token answer
the OAuth code exchange returns) and its tokens stored the way the connect flow
stores them (``tokens.apply_token_response``: encrypted at rest).
"""

from __future__ import annotations

import httpx

from shoplink.audience import services as audience
from shoplink.integrations.shopify import tokens
from shoplink.integrations.shopify.models import ShopifyStore

READ_SCOPES = ["read_customers", "read_orders", "read_products"]
WRITE_SCOPES = [*READ_SCOPES, "write_customers"]


def connect_store(sim, project, shop: str, scopes=WRITE_SCOPES, **toggles) -> ShopifyStore:
    """Create a small shop in the simulator, install the app and link it to ``project``."""
    sim.control(
        "POST",
        "/shops",
        {
            "domain": shop,
            "customers": 3,
            "orders": 0,
            "products": 1,
            "collections": 0,
            "checkouts": 0,
        },
    )
    body = sim.control("POST", f"/shops/{shop}/install", {"scopes": list(scopes)})
    store = ShopifyStore(project=project, domain=shop, name=shop.split(".")[0], **toggles)
    tokens.apply_token_response(store, body)
    store.save()
    return store


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

    from shoplink.integrations.shopify import crypto

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
