"""Erasing what a source brought into the audience (part of the audience's write services).

Integrations call these when a connection is deleted (D30), when the source asks for
its data to be erased (``shop/redact``) or for one person to be forgotten
(``customers/redact``). Set-wise, and list sizes follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from shoplink.audience.models import PROFILE_FIELDS, Consent, Contact, ContactList, ListMembership
from shoplink.audience.services import recount_list


def _recount(list_ids: Iterable[int]) -> None:
    for contact_list in ContactList.objects.filter(pk__in=set(list_ids)):
        recount_list(contact_list)


def erase_source_contacts(project, source: str) -> int:
    """Delete every contact that came from ``source``; return how many."""
    contacts = Contact.objects.filter(project=project, source=source)
    lists = list(
        ListMembership.objects.filter(contact__in=contacts).values_list("contact_list", flat=True)
    )
    deleted = contacts.count()
    contacts.delete()
    _recount(lists)
    return deleted


def release_source_contacts(
    project,
    source: str,
    *,
    connected_at: dt.datetime,
    own_list_id: int | None,
    used_elsewhere: QuerySet,
) -> dict[str, int]:
    """Delete contacts that came only from ``source``; strip its fields from the rest (D30).

    "Only from this source": imported by it after ``connected_at``, on no list but the
    source's own, and not in ``used_elsewhere`` (contact ids the caller knows are used,
    e.g. with events from anywhere else). A contact that existed before, or that the
    project uses elsewhere, keeps its own data and becomes independent: it loses the
    source's fields, its source id (``external_id``) among them.
    """
    ours = Contact.objects.filter(project=project, source=source)
    own_list = [own_list_id] if own_list_id else []
    kept_filter = (
        Q(created_at__lt=connected_at)
        | Q(
            pk__in=ListMembership.objects.exclude(contact_list_id__in=own_list).values("contact_id")
        )
        | Q(pk__in=used_elsewhere)
    )
    keep_ids = list(ours.filter(kept_filter).values_list("pk", flat=True))
    touched_lists = set(
        ListMembership.objects.filter(contact__in=ours).values_list("contact_list_id", flat=True)
    )
    deleted = ours.exclude(pk__in=keep_ids).delete()[0]
    kept = Contact.objects.filter(pk__in=keep_ids)
    prefix = source.split(":", 1)[0] + "_"  # "shopify_order_count" and the like
    for contact in kept:
        contact.attributes = {
            k: v for k, v in (contact.attributes or {}).items() if not k.startswith(prefix)
        }
    Contact.objects.bulk_update(list(kept), ["attributes"], batch_size=500)
    # The kept contact's ``external_id`` is the source's own id for that person (that is how
    # the source found it, D4), so it goes with the other source fields: a later connect of
    # the same store starts fresh (D30) and creates its own contact instead of merging the
    # source's data back into one the project now owns.
    kept.update(
        source="",
        external_id=None,
        source_created_at=None,
        source_updated_at=None,
        deleted_in_source=False,
    )
    Consent.objects.filter(contact_id__in=keep_ids).update(
        source_state="", opt_in_level="", collected_from=""
    )
    _recount(touched_lists)
    return {"contacts_deleted": deleted, "contacts_kept": len(keep_ids)}


def delete_list_if_empty(contact_list: ContactList | None, *, created_by_source: str) -> bool:
    """Delete a list the source created once nobody is on it; return whether it went."""
    if contact_list is None or contact_list.created_by_source != created_by_source:
        return False
    if ListMembership.objects.filter(contact_list=contact_list).exists():
        return False
    ContactList.objects.filter(pk=contact_list.pk).delete()
    return True


def redact_contact(contact: Contact) -> None:
    """Erase one person's profile, tags, attributes and consent; the row stays, blank.

    The row and its external id stay so a late webhook cannot bring the person back
    under a new row.
    """
    Consent.objects.filter(contact=contact).delete()
    Contact.objects.filter(pk=contact.pk).update(
        **dict.fromkeys(PROFILE_FIELDS, ""), tags=[], attributes={}
    )
