"""List pages render with a fixed number of queries, whatever the row count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shoplink.audience.models import Contact
from shoplink.events.services import EventInput, record_events


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _add(project, n, start=0):
    contacts = [
        Contact(project=project, external_id=str(start + i), email=f"c{start + i}@x.test")
        for i in range(n)
    ]
    Contact.objects.bulk_create(contacts)
    ids = Contact.objects.filter(project=project).values_list("id", flat=True)
    record_events(
        project,
        [
            EventInput(
                "shopify_order_placed",
                f"k:{start + i}",
                dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                contact_id=cid,
            )
            for i, cid in enumerate(list(ids)[start : start + n])
        ],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["web:contacts", "web:events", "web:lists"])
def test_list_pages_do_not_query_per_row(admin_client, project, name):
    _add(project, 3)
    few = _queries(admin_client, reverse(name))
    _add(project, 30, start=3)
    assert _queries(admin_client, reverse(name)) == few


@pytest.mark.django_db
def test_contacts_search_by_external_id(admin_client, project):
    _add(project, 3)
    response = admin_client.get(reverse("web:contacts"), {"q": "2"})
    assert b"c2@x.test" in response.content and b"c1@x.test" not in response.content


@pytest.mark.django_db
def test_contact_of_another_project_is_404(admin_client):
    from shoplink.projects.services import create_project

    other = Contact.objects.create(project=create_project("Other"), external_id="9")
    assert admin_client.get(reverse("web:contact", args=[other.pk])).status_code == 404


@pytest.mark.django_db
def test_healthz(client):
    assert client.get("/healthz").json() == {"ok": True}
