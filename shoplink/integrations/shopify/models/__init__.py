"""Shopify integration models, one module per concern.

- ``store``: ShopifyStore (the link of one Shopify shop to one project), health checks,
  failures and activity.
- ``sync``: SyncRun / EntitySync (bulk import state, checkpoints, leases).
- ``webhooks``: WebhookDelivery (the inbox).
"""

from shoplink.integrations.shopify.models.store import *  # noqa: F403
from shoplink.integrations.shopify.models.sync import *  # noqa: F403
from shoplink.integrations.shopify.models.webhooks import *  # noqa: F403
from shoplink.integrations.shopify.models.writeback import *  # noqa: F403
