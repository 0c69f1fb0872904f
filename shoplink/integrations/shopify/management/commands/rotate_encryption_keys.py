"""``manage.py rotate_encryption_keys``: re-encrypt every store's tokens with the newest key."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from shoplink.core import crypto
from shoplink.integrations.shopify.models import ShopifyStore


class Command(BaseCommand):
    help = (
        "Re-encrypt every Shopify store's tokens with the first key in "
        "FIELD_ENCRYPTION_KEYS. Run after putting a new key in front; then the old "
        "key can be removed."
    )

    def handle(self, *args, **options):
        rotated = 0
        for pk in ShopifyStore.objects.values_list("pk", flat=True).iterator():
            # One short transaction per store, with the row locked, so a token refresh
            # running at the same time never has its new pair overwritten by an old one.
            with transaction.atomic():
                store = ShopifyStore.objects.select_for_update().get(pk=pk)
                store.access_token_enc = crypto.rotate(store.access_token_enc)
                store.refresh_token_enc = crypto.rotate(store.refresh_token_enc)
                store.save(update_fields=["access_token_enc", "refresh_token_enc", "updated_at"])
            rotated += 1
        self.stdout.write(f"Re-encrypted the tokens of {rotated} store(s).")
