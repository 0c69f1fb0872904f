"""UncheckedJSONField: the import tables' JSON columns carry no JSON_VALID CHECK (ADR 0008)."""

import pytest
from django.db import connection

from shoplink.audience.models import Contact
from shoplink.commerce.models import Order
from shoplink.events.models import Event


def _table_sql(model) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [model._meta.db_table])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_import_tables_have_no_json_check_and_other_tables_keep_it():
    if connection.vendor != "sqlite":
        # jsonb validates by type on PostgreSQL; Django adds no CHECK there for any field.
        assert Order._meta.get_field("line_items").db_check(connection) is None
        return
    assert "JSON_VALID" not in _table_sql(Order)
    assert "JSON_VALID" not in _table_sql(Contact)
    assert "JSON_VALID" in _table_sql(Event)  # a plain JSONField elsewhere keeps Django's
    # The columns still hold and return JSON as before.
    assert Order._meta.get_field("line_items").get_internal_type() == "JSONField"
