"""Events are idempotent by key within a project and ordered by a monotonic id."""

import datetime as dt

import pytest

from shoplink.events.models import Event
from shoplink.events.services import EventInput, record_events

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_second_emission_with_same_key_is_dropped(project):
    e = EventInput("shopify_order_placed", "shopify_order_placed:1", T0, {"order_id": "1"})
    assert len(record_events(project, [e])) == 1
    assert record_events(project, [e]) == []
    assert len(record_events(project, [e, e])) == 0
    assert Event.objects.filter(project=project).count() == 1


@pytest.mark.django_db
def test_same_key_in_another_project_is_kept(project):
    from shoplink.projects.services import create_project

    e = EventInput("shopify_order_placed", "shopify_order_placed:1", T0)
    record_events(project, [e])
    assert len(record_events(create_project("Other"), [e])) == 1


@pytest.mark.django_db
def test_ids_are_monotonic(project):
    rows = record_events(project, [EventInput("x", f"x:{i}", T0) for i in range(3)])
    ids = list(Event.objects.filter(project=project).order_by("id").values_list("id", flat=True))
    assert ids == sorted(ids) and len(rows) == 3
