"""Which database holds the webhook inbox: its own SQLite file, or the one database.

On SQLite one writer at a time holds the whole file, so a receiver's INSERT queued behind
every worker transaction (a batch of 100 new orders, an import batch): measured 2.8 s
ack p99 at 200 deliveries/s while a worker drained a backlog (docs/performance.md,
"Webhooks on PostgreSQL + Redis"). The default SQLite settings therefore add a second
alias, ``inbox`` (``inbox.sqlite3`` beside ``shoplink.sqlite3``), and this router sends
the inbox's tables there (ADR 0057). PostgreSQL has row locks: with ``DATABASE_URL`` set
there is no ``inbox`` alias and every model stays on ``default``.

Owns the list of inbox models (by ``app_label.model_name``, so this module imports no
models), :func:`inbox_alias` and :func:`inbox_is_separate` for code that opens a cursor
itself, and the migration rule: an inbox model is created only on the inbox's database,
everything else never there.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import connections

INBOX = "inbox"
# The receiver's tables: the deliveries and the per-shop wake-up bit it reads and sets.
INBOX_MODELS = frozenset({("shopify", "webhookdelivery"), ("shopify", "webhookwake")})


def inbox_alias() -> str:
    """The database alias of the webhook inbox."""
    return INBOX if INBOX in settings.DATABASES else "default"


def inbox_is_separate() -> bool:
    """Whether the inbox has a database of its own (then no transaction spans both)."""
    return inbox_alias() != "default"


def _is_inbox(app_label: str, model_name: str | None) -> bool:
    return (app_label, (model_name or "").lower()) in INBOX_MODELS


class InboxRouter:
    """``DATABASE_ROUTERS`` entry: the inbox models on :func:`inbox_alias`."""

    def db_for_read(self, model, **hints):
        return inbox_alias() if _is_inbox(model._meta.app_label, model._meta.model_name) else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if not inbox_is_separate():
            return None
        if _is_inbox(app_label, model_name):
            return db == INBOX
        # Anything else (other models, RunPython without a model) stays off the inbox.
        return False if db == INBOX else None


def move_inbox_rows() -> dict[str, int]:
    """Move inbox rows an older release kept in the main SQLite file to the inbox file.

    Before ADR 0057 the deliveries and wake-up bits lived in ``shoplink.sqlite3``; after
    an upgrade those tables are still there and nothing reads them. Copies every row
    (ids kept; a row the inbox already holds stays as it is) and empties the old table,
    one table at a time; returns the rows moved per table. A no-op when the inbox shares
    the main database or the old tables do not exist.
    """
    if not inbox_is_separate():
        return {}
    main, inbox = connections["default"], connections[INBOX]
    if main.vendor != "sqlite" or inbox.vendor != "sqlite":
        return {}
    existing = set(main.introspection.table_names())
    moved: dict[str, int] = {}
    quote = main.ops.quote_name
    for app_label, model_name in sorted(INBOX_MODELS):
        meta = apps.get_model(app_label, model_name)._meta
        if meta.db_table not in existing:
            continue
        columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
        table = quote(meta.db_table)
        with main.cursor() as cursor:
            # ATTACH needs autocommit (no open transaction); the copy and the delete are
            # one transaction across both files, so a crash moves everything or nothing.
            cursor.execute("ATTACH DATABASE %s AS inbox_file", [str(inbox.settings_dict["NAME"])])
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(
                    f"INSERT OR IGNORE INTO inbox_file.{table} ({columns}) "
                    f"SELECT {columns} FROM main.{table}"
                )
                moved[meta.db_table] = cursor.rowcount
                cursor.execute(f"DELETE FROM main.{table}")
                cursor.execute("COMMIT")
            except Exception:
                cursor.execute("ROLLBACK")
                raise
            finally:
                cursor.execute("DETACH DATABASE inbox_file")
    return moved
