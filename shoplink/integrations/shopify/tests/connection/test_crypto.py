"""Token encryption at rest and key rotation (D6)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from shoplink.core import crypto
from shoplink.integrations.shopify.connection import tokens
from shoplink.integrations.shopify.models import ShopifyStore


def test_encrypt_round_trips_and_hides_the_value():
    cipher = crypto.encrypt("shpat_secret")
    assert "shpat_secret" not in cipher
    assert crypto.decrypt(cipher) == "shpat_secret"


def test_unreadable_ciphertext_raises_without_the_value(settings):
    cipher = crypto.encrypt("shpat_secret")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.DecryptionFailed) as info:
        crypto.decrypt(cipher)
    assert "shpat" not in str(info.value)


@pytest.mark.django_db
def test_rotate_encryption_keys_reencrypts_every_store_with_the_newest_key(project, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    store = ShopifyStore(project=project, domain="rotate-me.myshopify.com")
    tokens.apply_token_response(
        store, {"access_token": "shpat_a", "refresh_token": "shprt_b", "expires_in": 3600}
    )
    store.save()

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone: values must still read
    store.refresh_from_db()
    assert crypto.decrypt(store.access_token_enc) == "shpat_a"
    assert crypto.decrypt(store.refresh_token_enc) == "shprt_b"
