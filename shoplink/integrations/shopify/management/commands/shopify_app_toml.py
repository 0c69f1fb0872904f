"""``manage.py shopify_app_toml``: print the shopify.app.toml for this deployment."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shoplink.integrations.shopify.connection.app_config import app_toml


class Command(BaseCommand):
    help = "Print the shopify.app.toml (scopes, redirect URL, webhooks) for this deployment."

    def handle(self, *args, **options):
        self.stdout.write(app_toml(), ending="")
