"""Signing secrets: encrypted at rest, readable after a key rotation, Standard Webhooks form."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from shoplink.hooks import services, signing


def test_signatures_reject_tampering_and_old_timestamps():
    secret = signing.new_secret()
    headers = signing.headers(secret, "msg_1", 1_000_000, b'{"a":1}')
    assert signing.verify(secret, headers, b'{"a":1}', 1_000_100)
    assert not signing.verify(secret, headers, b'{"a":2}', 1_000_100)
    assert not signing.verify(secret, headers, b'{"a":1}', 1_000_000 + 301)
    assert not signing.verify(signing.new_secret(), headers, b'{"a":1}', 1_000_100)
    assert headers["webhook-signature"].startswith("v1,")


@pytest.mark.django_db
def test_rotating_the_key_keeps_secrets_readable(project, settings, receiver):
    endpoint, secret = services.create_endpoint(project, receiver.url)
    old_cipher = endpoint.secret_encrypted
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    out = io.StringIO()
    call_command("rotate_endpoint_secrets", stdout=out)
    endpoint.refresh_from_db()
    assert endpoint.secret_encrypted != old_cipher and "1 endpoint" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # old key dropped
    assert services.reveal_secret(endpoint) == secret
