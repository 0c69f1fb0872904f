"""The RFM heat map: counts per segment for the project and per store, cells link to contacts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from shoplink.audience.models import Contact
from shoplink.web.segments import SegmentCounts, grid

A, B = "shopify:a.myshopify.com", "shopify:b.myshopify.com"


def _contacts(project, source, segments):
    Contact.objects.bulk_create(
        Contact(
            project=project,
            external_id=f"{source}-{i}",
            email=f"{i}@{source[8:]}",
            source=source,
            attributes={"shopify_rfm_segment": seg, "shopify_order_count": 1 if seg else 0},
        )
        for i, seg in enumerate(segments)
    )


def _cell_counts(html: str) -> dict[str, int]:
    cells = re.findall(r'title="([^"]+): (\d+) contacts?" data-segment="(\w+)"', html)
    return {segment: int(n) for _, n, segment in cells}


@pytest.fixture
def segmented(project):
    _contacts(project, A, ["champion", "champion", "lost", None])
    _contacts(project, B, ["champion", "at_risk", "at_risk"])
    Contact.objects.create(project=project, external_id="local", email="own@x.test")


@pytest.mark.django_db
def test_heat_map_counts_segments_for_the_project_and_per_store(admin_client, segmented):
    html = admin_client.get(reverse("web:segments")).content.decode()
    counts = _cell_counts(html)
    assert len(counts) == 11  # every segment has a cell
    assert (counts["champion"], counts["at_risk"], counts["lost"], counts["loyal"]) == (3, 2, 1, 0)
    assert "All stores: 6 customers with orders, 1 without" in html
    assert "a.myshopify.com" in html and "b.myshopify.com" in html

    html = admin_client.get(reverse("web:segments"), {"source": B}).content.decode()
    counts = _cell_counts(html)
    assert (counts["champion"], counts["at_risk"], counts["lost"]) == (1, 2, 0)
    assert "b.myshopify.com: 3 customers with orders" in html


@pytest.mark.django_db
def test_a_cell_links_to_the_contacts_of_its_segment(admin_client, segmented):
    html = admin_client.get(reverse("web:segments"), {"source": A}).content.decode()
    link = re.search(r'href="(/contacts/\?segment=champion[^"]*)"', html).group(1)
    response = admin_client.get(link.replace("&amp;", "&"))
    emails = sorted(c.email for c in response.context["page"])
    assert emails == ["0@a.myshopify.com", "1@a.myshopify.com"]
    assert "Segment: <strong>Champion</strong> in a.myshopify.com" in response.content.decode()
    project_wide = admin_client.get(reverse("web:contacts"), {"segment": "champion"})
    assert len(project_wide.context["page"]) == 3


@pytest.mark.django_db
def test_an_unknown_segment_shows_every_contact(admin_client, segmented):
    response = admin_client.get(reverse("web:contacts"), {"segment": "bogus"})
    assert len(response.context["page"]) == 8


@pytest.mark.django_db
def test_heat_map_queries_do_not_grow_with_stores(admin_client, project):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _contacts(project, A, ["champion"])
    with CaptureQueriesContext(connection) as one:
        admin_client.get(reverse("web:segments"))
    for n in range(5):
        _contacts(project, f"shopify:s{n}.myshopify.com", ["loyal", "lost"])
    with CaptureQueriesContext(connection) as six:
        admin_client.get(reverse("web:segments"))
    assert len(six) == len(one)


def test_grid_follows_the_events_table_and_labels_each_segment_once():
    counts = SegmentCounts({"champion": 4, "lost": 1}, 0)
    rows = grid(counts)
    assert [c.segment for c in rows[0]] == [
        "new_customer",
        "potential_loyalist",
        "potential_loyalist",
        "champion",
        "champion",
    ]
    anchors = [c.segment for row in rows for c in row if c.anchor]
    assert len(anchors) == len(set(anchors)) == 11
    assert rows[0][3].heat == 1.0 and rows[4][0].heat == 0.25


@pytest.mark.django_db
def test_a_contacts_segment_links_to_its_peers(admin_client, segmented):
    contact = Contact.objects.get(external_id=f"{A}-2")  # lost
    html = admin_client.get(reverse("web:contact", args=[contact.pk])).content.decode()
    link = re.search(r'href="(/contacts/\?segment=lost[^"]*)"', html).group(1)
    response = admin_client.get(link.replace("&amp;", "&"))
    assert [c.pk for c in response.context["page"]] == [contact.pk]
