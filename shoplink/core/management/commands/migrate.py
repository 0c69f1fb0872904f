"""``migrate`` that migrates every configured database unless ``--database`` names one.

With the default SQLite settings the webhook inbox has a database of its own
(``core/dbrouter.py``, ADR 0057); an operator's ``manage.py migrate`` (and ``shoplink
demo``) must create its tables too, without a second command to remember. Django's own
callers (the test runner, ``call_command("migrate", database=...)``) name the database
and get exactly Django's behaviour.
"""

from django.core.management.commands import migrate
from django.db import connections


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
        return None
