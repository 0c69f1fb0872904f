"""One module per topic family: ``handle_<topic>`` functions, and the table that routes to them.

``TOPIC_HANDLERS`` maps every subscribed topic to its handler; ``COMPLIANCE_HANDLERS``
the three mandatory privacy topics (PLATFORM.md §2.5), which run for every project
holding the shop's data. Both paths through the inbox (one delivery at a time in
``inbox.py``, new orders set-wise in ``drain.py``) end in these modules.
"""

from __future__ import annotations

from collections.abc import Callable

from shoplink.integrations.shopify.api.topics import KNOWN_TOPICS
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.integrations.shopify.webhooks.topics import app as handlers_app
from shoplink.integrations.shopify.webhooks.topics import catalog as handlers_catalog
from shoplink.integrations.shopify.webhooks.topics import checkouts as handlers_checkouts
from shoplink.integrations.shopify.webhooks.topics import compliance as privacy
from shoplink.integrations.shopify.webhooks.topics import customers as handlers_customers
from shoplink.integrations.shopify.webhooks.topics import orders as handlers_orders
from shoplink.integrations.shopify.webhooks.topics.base import Context

Handler = Callable[[ShopifyStore, dict, Context], None]

TOPIC_HANDLERS: dict[str, Handler] = {
    "customers/create": handlers_customers.handle_customers_create,
    "customers/update": handlers_customers.handle_customers_update,
    "customers/delete": handlers_customers.handle_customers_delete,
    "customer.tags_added": handlers_customers.handle_customer_tags,
    "customer.tags_removed": handlers_customers.handle_customer_tags,
    "customers/purchasing_summary": handlers_customers.handle_customers_purchasing_summary,
    "customers_email_marketing_consent/update": handlers_customers.handle_consent_update,
    "customers_marketing_consent/update": handlers_customers.handle_consent_update,
    "orders/create": handlers_orders.handle_orders_create,
    "orders/updated": handlers_orders.handle_orders_updated,
    "orders/paid": handlers_orders.handle_orders_paid,
    "orders/fulfilled": handlers_orders.handle_orders_fulfilled,
    "orders/partially_fulfilled": handlers_orders.handle_orders_partially_fulfilled,
    "orders/cancelled": handlers_orders.handle_orders_cancelled,
    "orders/delete": handlers_orders.handle_orders_delete,
    "refunds/create": handlers_orders.handle_refunds_create,
    "fulfillments/create": handlers_orders.handle_fulfillments_create,
    "fulfillments/update": handlers_orders.handle_fulfillments_update,
    "fulfillment_events/create": handlers_orders.handle_fulfillment_events_create,
    "checkouts/create": handlers_checkouts.handle_checkouts_create,
    "checkouts/update": handlers_checkouts.handle_checkouts_update,
    "checkouts/delete": handlers_checkouts.handle_checkouts_delete,
    "carts/create": handlers_checkouts.handle_carts,
    "carts/update": handlers_checkouts.handle_carts,
    "products/create": handlers_catalog.handle_products_create,
    "products/update": handlers_catalog.handle_products_update,
    "products/delete": handlers_catalog.handle_products_delete,
    "collections/create": handlers_catalog.handle_collections,
    "collections/update": handlers_catalog.handle_collections,
    "collections/delete": handlers_catalog.handle_collections_delete,
    "app/uninstalled": handlers_app.handle_app_uninstalled,
    "app/scopes_update": handlers_app.handle_app_scopes_update,
    "bulk_operations/finish": handlers_app.handle_bulk_operations_finish,
}
COMPLIANCE_HANDLERS = {
    "customers/data_request": privacy.handle_customers_data_request,
    "customers/redact": privacy.handle_customers_redact,
    "shop/redact": privacy.handle_shop_redact,
}
assert set(TOPIC_HANDLERS) | set(COMPLIANCE_HANDLERS) == KNOWN_TOPICS
