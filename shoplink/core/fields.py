"""Model fields shared by the domain apps.

``UncheckedJSONField`` is Django's ``JSONField`` without the column CHECK that Django adds
on SQLite (``JSON_VALID(col) OR col IS NULL``). The import tables use it: every value in
them is serialised by our own code (``fastwrite`` with orjson, or the ORM), so SQLite
re-parsing each one on INSERT and UPDATE only repeated work — 13% of the instructions
of an order batch of the bulk import (docs/decisions/0008-json-without-check.md).
PostgreSQL stores ``jsonb``, which validates by type; nothing changes there.
"""

from __future__ import annotations

from django.db import models


class UncheckedJSONField(models.JSONField):
    """A ``JSONField`` whose column carries no JSON_VALID CHECK (SQLite)."""

    def db_check(self, connection):
        return None
