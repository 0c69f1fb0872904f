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

from django.conf import settings

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
