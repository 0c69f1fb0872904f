"""Contact search: one query that finds people by name, email, phone or external id.

Used by the Contacts page and the JSON API's ``GET /contacts?q=``. The rules:

- Every word of the query must appear in the first name, the last name or the email, so
  "Leo Silva", "Silva Leo" and "silva, leo" all find Leo Silva, and "Leo" still does.
- A query with at least :data:`MIN_PHONE_DIGITS` digits and nothing but phone punctuation
  besides ("+1 (415) 555-0123", "415 555 0123", "0415 555 0123") also matches the phone
  number compared digit for digit: both sides lose spaces, dashes, dots, brackets and
  ``+``, and the query its leading zeros (a national trunk prefix), so it is found inside
  the stored ``+14155550123``.
- The whole query equal to an external id matches it (the upsert key, exact).

Cost (docs/performance.md "Contact search"): a single SELECT over the project's contacts
with plain ``LIKE`` predicates, no join and no per-row Python. Substring matches cannot use
a B-tree index on either database, so the rows the project holds are read once; the phone
normalisation (nested ``REPLACE``) is only evaluated for queries that look like a number.
"""

from __future__ import annotations

import re

from django.db.models import CharField, F, Lookup, Q, QuerySet, Transform, Value
from django.db.models.functions import Replace

MIN_PHONE_DIGITS = 4
# Characters people type inside phone numbers; a query made of digits and these is a number.
_PHONE_PUNCTUATION = " -.()+/"
_PHONE_QUERY = re.compile(r"^[\d\s\-.()+/]+$")
_WORD_SPLIT = re.compile(r"[\s,;]+")
MAX_WORDS = 6


def query_words(q: str) -> list[str]:
    """Split a query into the words that must each match a name or email (at most 6)."""
    return [w for w in _WORD_SPLIT.split(q.strip()) if w][:MAX_WORDS]


def phone_digits(q: str) -> str:
    """The digits to look for in phone numbers, or ``""`` when ``q`` is not a number.

    Leading zeros go: they are a national trunk prefix that the stored international
    form (``+44 20…`` for ``020…``) does not have.
    """
    q = q.strip()
    if not _PHONE_QUERY.match(q):
        return ""
    digits = re.sub(r"\D", "", q).lstrip("0")
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def _normalised_phone():
    """SQL for the phone column without the punctuation people type (one REPLACE a char)."""
    expression = F("phone")
    for char in _PHONE_PUNCTUATION:
        expression = Replace(expression, Value(char), Value(""))
    return expression


class _PhoneColumn(Transform):
    """The phone column as stored; exists to carry the ``digits_in_order`` lookup."""

    lookup_name = "as_stored"
    template = "%(expressions)s"
    output_field = CharField()


@_PhoneColumn.register_lookup
class _DigitsInOrder(Lookup):
    """``phone LIKE '%4%1%5%…%'``: the digits appear in this order, anything between.

    A cheap filter (one LIKE, evaluated in C) that lets the exact comparison of the
    normalised number (seven nested REPLACEs, ten times dearer on SQLite) run only on
    the few rows that pass it.
    """

    lookup_name = "digits_in_order"

    def get_db_prep_lookup(self, value, connection):
        return "%s", ["%" + "%".join(value) + "%"]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def search_contacts(contacts: QuerySet, q: str) -> QuerySet:
    """Narrow ``contacts`` to those matching ``q`` (see the module docstring); blank: all."""
    q = q.strip()
    words = query_words(q)
    if not words:
        return contacts
    by_words = Q()
    for word in words:
        by_words &= (
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    match = by_words | Q(external_id=q)
    digits = phone_digits(q)
    if digits:
        contacts = contacts.alias(
            phone_stored=_PhoneColumn(F("phone")), phone_normalised=_normalised_phone()
        )
        # The cheap LIKE first: SQLite evaluates AND terms in order, PostgreSQL by cost.
        match |= Q(phone_stored__digits_in_order=digits) & Q(phone_normalised__contains=digits)
    return contacts.filter(match)
