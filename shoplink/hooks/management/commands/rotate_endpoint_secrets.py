"""``manage.py rotate_endpoint_secrets``: re-encrypt push endpoints' secrets with the newest key.

The companion of ``rotate_encryption_keys`` (Shopify tokens) for the secrets the event
push signs with; run both after putting a new key first in ``FIELD_ENCRYPTION_KEYS``.
The secrets themselves do not change (receivers keep verifying).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from shoplink.core import crypto
from shoplink.hooks.models import Endpoint


class Command(BaseCommand):
    help = (
        "Re-encrypt every push endpoint's signing secret with the first FIELD_ENCRYPTION_KEYS key."
    )

    def handle(self, *args, **options):
        rotated = 0
        for pk in Endpoint.objects.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                endpoint = Endpoint.objects.select_for_update().get(pk=pk)
                endpoint.secret_encrypted = crypto.rotate(endpoint.secret_encrypted)
                endpoint.save(update_fields=["secret_encrypted"])
            rotated += 1
        self.stdout.write(f"Re-encrypted the signing secrets of {rotated} endpoint(s).")
