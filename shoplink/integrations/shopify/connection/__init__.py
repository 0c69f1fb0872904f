"""A store's link to Shopify: OAuth, tokens, status, health, store info, lifecycle,
subscriptions, app config, and the access seam that hands the client its token."""
