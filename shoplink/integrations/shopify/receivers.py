"""Signal receivers and sweeper registration for the Shopify integration.

Imported once from ``ShopifyConfig.ready``. Each later module adds its hook here.
"""

from shoplink.integrations.shopify import (
    sweepers_sync,  # noqa: F401  (D17 stall sweeper)
    sweeps_webhooks,  # noqa: F401  (D19 retries, D23)
    writeback,  # noqa: F401  (D21/D27 signal receivers)
)
