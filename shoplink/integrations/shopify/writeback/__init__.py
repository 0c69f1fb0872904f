"""Data to Shopify: profile fill-in, consent opt-outs, engagement metafields, dry run."""
