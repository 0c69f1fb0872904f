"""What Shopify changes mean for journeys: the ``shopify_*`` events, abandoned-checkout
detection and the computed properties."""
