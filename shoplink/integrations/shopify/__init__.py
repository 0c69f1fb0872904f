"""Everything that knows Shopify exists: connect, sync, webhooks, write-back.

See README.md in this folder for the module map.
"""
