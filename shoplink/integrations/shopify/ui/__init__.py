"""The Integrations pages: views, read models for cards and drawers, forms, URLs."""
