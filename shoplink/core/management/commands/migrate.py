"""``migrate`` that migrates every configured database unless ``--database`` names one.

With the default SQLite settings the webhook inbox has a database of its own
(``core/dbrouter.py``, ADR 0057); an operator's ``manage.py migrate`` (and ``shoplink
demo``) must create its tables too, without a second command to remember. Django's own
callers (the test runner, ``call_command("migrate", database=...)``) name the database
and get exactly Django's behaviour. After migrating every database, rows an older
release left in the main file's inbox tables are moved to the inbox file
(:func:`dbrouter.move_inbox_rows`), so an upgrade loses no waiting delivery.
"""

from django.core.management.commands import migrate
from django.db import connections

from shoplink.core import dbrouter


class Command(migrate.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=None)

    def get_check_kwargs(self, options):
        kwargs = super().get_check_kwargs(options)
        if options["database"] is None:
            kwargs["databases"] = list(connections)
        return kwargs

    def handle(self, *args, **options):
        if options["database"] is not None:
            return super().handle(*args, **options)
        for alias in connections:
            super().handle(*args, **{**options, "database": alias})
        if not (options["plan"] or options["check_unapplied"] or options["prune"]):
            for table, moved in dbrouter.move_inbox_rows().items():
                if moved and options["verbosity"]:
                    self.stdout.write(f"Moved {moved} rows of {table} to the inbox database.")
        return None
