"""Contact upsert, lists and consent services against the database."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import IntegrityError, transaction

from shoplink.audience.models import Consent, Contact, ContactList
from shoplink.audience.services import (
    ConsentInput,
    add_to_list,
    apply_source_consents,
    create_list,
    may_receive_marketing,
    remove_from_list,
    set_local_consent,
    update_attributes,
    upsert_contacts,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass
class Rec:
    external_id: str
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    country: str | None = None
    zip: str | None = None
    tags: list | None = None
    source_updated_at: dt.datetime | None = T0


@pytest.mark.django_db
def test_upsert_is_idempotent(project):
    recs = [Rec("1", email="a@x.test", first_name="Ann"), Rec("2", email="b@x.test")]
    first = upsert_contacts(project, recs, source="shopify:s.myshopify.com")
    again = upsert_contacts(project, recs, source="shopify:s.myshopify.com")
    assert [c.created for c in first] == [True, True]
    assert [c.created for c in again] == [False, False]
    assert all(c.changed == [] for c in again)
    assert Contact.objects.filter(project=project).count() == 2


@pytest.mark.django_db
def test_upsert_updates_changed_fields_and_reports_them(project):
    upsert_contacts(project, [Rec("1", email="a@x.test", first_name="Ann")])
    later = Rec("1", email="a@x.test", first_name="Anna", source_updated_at=T0 + dt.timedelta(1))
    (change,) = upsert_contacts(project, [later])
    assert change.changed == ["first_name"]
    assert Contact.objects.get(external_id="1").first_name == "Anna"


@pytest.mark.django_db
def test_older_record_never_overwrites_newer_row(project):
    upsert_contacts(project, [Rec("1", first_name="New", source_updated_at=T0)])
    (change,) = upsert_contacts(
        project, [Rec("1", first_name="Old", source_updated_at=T0 - dt.timedelta(hours=1))]
    )
    assert change.stale
    assert Contact.objects.get(external_id="1").first_name == "New"


@pytest.mark.django_db
def test_unknown_tags_keep_stored_tags(project):
    upsert_contacts(project, [Rec("1", tags=["vip"])])
    upsert_contacts(project, [Rec("1", tags=None, source_updated_at=T0 + dt.timedelta(1))])
    assert Contact.objects.get(external_id="1").tags == ["vip"]


@pytest.mark.django_db
def test_external_id_unique_per_project(project):
    from shoplink.projects.services import create_project

    Contact.objects.create(project=project, external_id="42")
    Contact.objects.create(project=create_project("Other"), external_id="42")  # fine elsewhere
    with pytest.raises(IntegrityError):
        Contact.objects.create(project=project, external_id="42")


@pytest.mark.django_db
def test_list_size_is_maintained(project):
    contact_list = create_list(project, "Buyers")
    ids = [c.contact_id for c in upsert_contacts(project, [Rec(str(i)) for i in range(5)])]
    assert add_to_list(contact_list, ids) == 5
    assert add_to_list(contact_list, ids) == 0
    assert remove_from_list(contact_list, ids[:2]) == 2
    contact_list.refresh_from_db()
    assert contact_list.size == 3 == contact_list.memberships.count()
    assert ContactList.objects.get(pk=contact_list.pk).size == 3


@pytest.mark.django_db
def test_contacts_created_in_the_transaction_join_and_get_consent_beside_known_ones(project):
    """``created`` skips the look-ups for new contacts only: a known contact that is a
    member already is not added twice, and its stored consent is updated, not doubled."""
    contact_list = create_list(project, "Buyers")
    (known,) = [c.contact_id for c in upsert_contacts(project, [Rec("1")])]
    add_to_list(contact_list, [known])
    subscribed = ConsentInput("email", "subscribed", "SUBSCRIBED", consent_updated_at=T0)
    apply_source_consents([(known, subscribed)], source="shopify")
    with transaction.atomic():  # a bulk batch: contacts and their rows in one transaction
        changes = upsert_contacts(project, [Rec("1"), Rec("2"), Rec("3")])
        created = [c.contact_id for c in changes if c.created]
        ids = [c.contact_id for c in changes]
        assert add_to_list(contact_list, ids, created=created) == 2
        later = ConsentInput(
            "email", "unsubscribed", "UNSUBSCRIBED", consent_updated_at=T0 + dt.timedelta(1)
        )
        applied = apply_source_consents(
            [(i, later) for i in ids], source="shopify", created=created
        )
    assert sorted(c.contact_id for c in applied) == sorted(ids)
    assert sorted(contact_list.memberships.values_list("contact_id", flat=True)) == sorted(ids)
    assert ContactList.objects.get(pk=contact_list.pk).size == 3
    rows = Consent.objects.filter(contact_id__in=ids)
    assert sorted(rows.values_list("contact_id", "state")) == sorted(
        (i, "unsubscribed") for i in ids
    )


@pytest.mark.django_db(transaction=True)
def test_created_is_not_trusted_outside_a_transaction(project):
    """In autocommit the contacts are committed already and may have rows: looked up."""
    contact_list = create_list(project, "Buyers")
    (contact_id,) = [c.contact_id for c in upsert_contacts(project, [Rec("1")])]
    assert add_to_list(contact_list, [contact_id]) == 1
    item = (contact_id, ConsentInput("email", "subscribed", "SUBSCRIBED", consent_updated_at=T0))
    assert len(apply_source_consents([item], source="shopify")) == 1
    assert add_to_list(contact_list, [contact_id], created=[contact_id]) == 0
    assert apply_source_consents([item], source="shopify", created=[contact_id]) == []
    assert contact_list.memberships.count() == 1 == Consent.objects.count()


@pytest.mark.django_db
def test_marketability_follows_stored_consent(project):
    contact = Contact.objects.create(project=project, external_id="9")
    assert not may_receive_marketing(contact, "email")  # nothing recorded
    apply_source_consents(
        [(contact.pk, ConsentInput("email", "subscribed", "SUBSCRIBED", consent_updated_at=T0))],
        source="shopify",
    )
    assert may_receive_marketing(contact, "email")
    set_local_consent(contact, "email", "unsubscribed")
    assert not may_receive_marketing(contact, "email")


@pytest.mark.django_db
def test_a_source_opt_out_wins_over_local_subscribe(project):
    contact = Contact.objects.create(project=project, external_id="9")
    set_local_consent(contact, "sms", "subscribed")
    incoming = ConsentInput(
        "sms", "unsubscribed", "UNSUBSCRIBED", consent_updated_at=T0, source_opted_out=True
    )
    apply_source_consents([(contact.pk, incoming)], source="shopify")
    row = Consent.objects.get(contact=contact, channel="sms")
    assert row.source_state == "UNSUBSCRIBED"
    assert not may_receive_marketing(contact, "sms")


@pytest.mark.django_db
def test_repeated_source_consent_reports_no_change(project):
    contact = Contact.objects.create(project=project, external_id="9")
    item = (contact.pk, ConsentInput("email", "subscribed", "SUBSCRIBED", consent_updated_at=T0))
    assert len(apply_source_consents([item], source="shopify")) == 1
    assert apply_source_consents([item], source="shopify") == []


@pytest.mark.django_db
def test_newer_version_without_changes_still_moves_the_stored_timestamp(project):
    upsert_contacts(project, [Rec("1", email="a@x.test", source_updated_at=T0)])
    later = T0 + dt.timedelta(seconds=1)
    (change,) = upsert_contacts(project, [Rec("1", email="a@x.test", source_updated_at=later)])
    assert change.changed == [] and not change.stale
    assert Contact.objects.get(external_id="1").source_updated_at == later
    # ...so a replay of the first version is now recognised as stale.
    (replay,) = upsert_contacts(project, [Rec("1", email="old@x.test", source_updated_at=T0)])
    assert replay.stale


@pytest.mark.django_db
def test_update_attributes_merges_into_every_contact_of_a_large_set(project):
    # More contacts than one SELECT/UPDATE round handles, so the chunking is exercised.
    Contact.objects.bulk_create(
        Contact(project=project, external_id=str(i), attributes={"kept": i}) for i in range(4100)
    )
    ids = dict(Contact.objects.filter(project=project).values_list("external_id", "id"))
    values = {pk: {"score": int(key) * 2} for key, pk in ids.items()}
    values[-1] = {"score": 0}  # an id that does not exist is not counted
    assert update_attributes(project, values) == 4100
    rows = dict(Contact.objects.filter(project=project).values_list("external_id", "attributes"))
    assert rows["0"] == {"kept": 0, "score": 0}
    assert rows["4099"] == {"kept": 4099, "score": 8198}
    assert all(attrs == {"kept": int(k), "score": int(k) * 2} for k, attrs in rows.items())


@pytest.mark.django_db
def test_a_batch_of_new_existing_stale_and_repeated_contacts(project):
    # On PostgreSQL the new keys are inserted first (COPY, ON CONFLICT DO NOTHING) and the
    # existing ones take the general path: results still come back in input order.
    later = T0 + dt.timedelta(days=1)
    upsert_contacts(project, [Rec("old", email="o@x.test", source_updated_at=later)])
    upsert_contacts(project, [Rec("kept", email="k@x.test")])
    changes = upsert_contacts(
        project,
        [
            Rec("new", email=" n@x.test "),
            Rec("old", email="older@x.test"),  # T0 < later: stale
            Rec("kept", email="k2@x.test", source_updated_at=later),
            Rec("new", email="newer@x.test", source_updated_at=later),
        ],
        source="shopify:s.myshopify.com",
    )
    ids = dict(Contact.objects.filter(project=project).values_list("external_id", "id"))
    assert [(c.external_id, c.contact_id, c.created, c.stale, c.changed) for c in changes] == [
        ("new", ids["new"], True, False, []),
        ("old", ids["old"], False, True, []),
        ("kept", ids["kept"], False, False, ["email"]),
        ("new", ids["new"], True, False, []),
    ]
    emails = dict(Contact.objects.filter(project=project).values_list("external_id", "email"))
    assert emails == {"new": "newer@x.test", "old": "o@x.test", "kept": "k2@x.test"}
