"""Signal receivers and sweeper registration for the Shopify integration.

Imported once from ``ShopifyConfig.ready``. Each later module adds its hook here.
"""
