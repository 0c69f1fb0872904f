"""shopsim: a local Shopify simulator (OAuth, Admin GraphQL, bulk operations, webhooks)."""

__version__ = "0.1.0"
