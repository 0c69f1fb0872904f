"""``manage.py shopify_app_toml`` prints a TOML that matches the running configuration."""

from __future__ import annotations

import io
import tomllib

from django.core.management import call_command


def test_shopify_app_toml_matches_settings(settings):
    settings.APP_URL = "https://shoplink.example.com"
    settings.SHOPIFY_API_KEY = "client-123"
    settings.SHOPIFY_EXTRA_SCOPES = ["read_all_orders"]
    out = io.StringIO()
    call_command("shopify_app_toml", stdout=out)
    config = tomllib.loads(out.getvalue())
    assert config["client_id"] == "client-123" and config["embedded"] is False
    assert config["access_scopes"]["scopes"].split(",") == [
        "read_all_orders",
        "read_customers",
        "read_orders",
        "read_products",
        "write_customers",
    ]
    assert config["auth"]["redirect_urls"] == [
        "https://shoplink.example.com/integrations/shopify/callback"
    ]
    assert config["webhooks"]["api_version"] == settings.SHOPIFY_API_VERSION
    subs = config["webhooks"]["subscriptions"]
    assert {"customers/data_request", "customers/redact", "shop/redact"} == set(
        subs[1]["compliance_topics"]
    )
    assert all(
        s["uri"] == "https://shoplink.example.com/integrations/shopify/webhooks" for s in subs
    )
