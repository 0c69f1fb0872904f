"""ApiKey: a per-project key for the JSON API (only its hash is stored)."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models

from shoplink.projects.models import Project


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls, project: Project, name: str) -> tuple[ApiKey, str]:
        """Create a key and return it with the raw secret (shown once, never stored)."""
        raw = "sl_" + secrets.token_urlsafe(32)
        key = cls.objects.create(
            project=project, name=name, prefix=raw[:10], key_hash=hash_key(raw)
        )
        return key, raw
