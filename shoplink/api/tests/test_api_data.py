"""The JSON API's data endpoints: auth, events in, contact upserts, consent, lists (D32)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from shoplink.api.models import ApiKey
from shoplink.audience.models import Consent, Contact
from shoplink.audience.services import create_list
from shoplink.events.models import Event
from shoplink.projects.services import create_project


@pytest.fixture
def api(project):
    _, raw = ApiKey.issue(project, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client, path, body):
    return client.post(f"/api/v1{path}", body, content_type="application/json")


def test_requests_without_a_key_or_with_a_wrong_key_get_401(db):
    assert Client().get("/api/v1/lists").status_code == 401
    wrong = Client(HTTP_AUTHORIZATION="Bearer sl_not-a-key")
    assert wrong.get("/api/v1/stores").status_code == 401
    assert post(wrong, "/events", {"events": [{"name": "email_opened"}]}).status_code == 401


def test_a_revoked_key_gets_401(project):
    key, raw = ApiKey.issue(project, "old")
    key.revoked_at = key.created_at
    key.save()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/lists").status_code == 401


def test_create_api_key_prints_the_key_once_and_it_authenticates(project):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", project.slug, "mailer", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("sl_") and "cannot be shown again" in err.getvalue()
    assert ApiKey.objects.get(project=project).key_hash != raw  # only the hash is kept
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/lists").status_code == 200


def test_create_api_key_for_an_unknown_project_fails_clearly(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No project with slug"):
        call_command("create_api_key", "nope", "x", stdout=io.StringIO())


def test_events_are_recorded_with_generated_keys_and_repeats_are_dropped(api, project):
    Contact.objects.create(project=project, external_id="c1", email="a@example.com")
    body = {
        "events": [
            {
                "name": "email_opened",
                "contact": "c1",
                "occurred_at": "2026-11-30T10:00:00Z",
                "idempotency_key": "open-1",
                "data": {"campaign": "welcome"},
            },
            {"name": "message_sent", "contact": "c1"},
        ]
    }
    first = post(api, "/events", body)
    assert first.status_code == 200, first.content
    accepted = first.json()["accepted"]
    assert accepted[0]["idempotency_key"] == "open-1"
    assert accepted[1]["idempotency_key"].startswith("api:")
    event = Event.objects.get(idempotency_key="open-1")
    assert event.contact.external_id == "c1" and event.data == {"campaign": "welcome"}

    again = post(api, "/events", {"events": [body["events"][0]]})
    assert again.json() == {"accepted": [], "duplicates": ["open-1"]}
    assert Event.objects.filter(project=project).count() == 2

    listed = api.get("/api/v1/events?name=email_opened").json()
    assert [e["idempotency_key"] for e in listed] == ["open-1"]


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([], "at least one event"),
        ([{"name": "email_opened"}] * 101, "at most 100"),
        ([{"name": "Bad Name!"}], "Invalid event name"),
        ([{"name": "shopify_order_placed"}], "reserved"),
        ([{"name": "email_opened", "contact": "ghost"}], "Unknown contact external_id: ghost"),
        ([{"name": "email_opened", "occurred_at": "2026-11-30T10:00:00"}], "time zone"),
    ],
)
def test_bad_event_batches_get_400_with_a_message(api, events, message):
    response = post(api, "/events", {"events": events})
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_an_event_without_a_name_is_a_422_naming_the_field(api):
    response = post(api, "/events", {"events": [{"contact": "c1"}]})
    assert response.status_code == 422
    assert "name" in str(response.json()["detail"])


def test_contacts_are_upserted_by_external_id_and_omitted_fields_kept(api, project):
    created = post(
        api,
        "/contacts",
        {
            "contacts": [
                {
                    "external_id": "x1",
                    "email": "x1@example.com",
                    "first_name": "Ada",
                    "city": "Paris",
                }
            ]
        },
    )
    assert created.status_code == 200, created.content
    assert created.json()[0]["created"] is True
    updated = post(api, "/contacts", {"contacts": [{"external_id": "x1", "last_name": "Lovelace"}]})
    assert updated.json()[0]["changed"] == ["last_name"]
    contact = Contact.objects.get(project=project, external_id="x1")
    assert (contact.first_name, contact.last_name, contact.city) == ("Ada", "Lovelace", "Paris")
    assert Contact.objects.filter(project=project).count() == 1


def test_contact_batches_are_limited_and_need_external_ids(api):
    too_many = [{"external_id": str(i)} for i in range(101)]
    assert "at most 100" in post(api, "/contacts", {"contacts": too_many}).json()["detail"]
    blank = post(api, "/contacts", {"contacts": [{"external_id": "  "}]})
    assert blank.status_code == 400 and "external_id" in blank.json()["detail"]


def test_consent_change_is_recorded_locally(api, project):
    Contact.objects.create(project=project, external_id="c9", email="c9@example.com")
    response = post(api, "/contacts/c9/consent", {"channel": "email", "state": "unsubscribed"})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "external_id": "c9",
        "channel": "email",
        "state": "unsubscribed",
        "marketable": False,
    }
    row = Consent.objects.get(contact__external_id="c9", channel="email")
    assert (row.state, row.state_source) == ("unsubscribed", "local")


def test_consent_validation_and_unknown_contact(api, project):
    Contact.objects.create(project=project, external_id="c9")
    bad = post(api, "/contacts/c9/consent", {"channel": "fax", "state": "unsubscribed"})
    assert bad.status_code == 422
    missing = post(api, "/contacts/nobody/consent", {"channel": "sms", "state": "unsubscribed"})
    assert missing.status_code == 404 and "nobody" in missing.json()["detail"]


def test_lists_are_the_projects_own(api, project):
    create_list(project, "VIP")
    create_list(create_project("Other"), "Not ours")
    assert [row["name"] for row in api.get("/api/v1/lists").json()] == ["VIP"]


def test_a_key_sees_only_its_own_projects_contacts(api, project):
    other = create_project("Other")
    Contact.objects.create(project=other, external_id="theirs")
    response = post(api, "/contacts/theirs/consent", {"channel": "email", "state": "unsubscribed"})
    assert response.status_code == 404


def test_openapi_describes_the_endpoints(db):
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/events",
        "/api/v1/contacts",
        "/api/v1/stores",
        "/api/v1/stores/{store_id}/sync",
        "/api/v1/contacts/{external_id}/consent",
    ):
        assert path in paths
    assert Client().get("/api/v1/docs").status_code == 200


def test_contacts_can_be_read_and_searched_with_consent_and_lists(api, project):
    from shoplink.audience.services import add_to_list, set_local_consent

    ada = Contact.objects.create(
        project=project, external_id="ada", email="ada@example.com", first_name="Ada"
    )
    Contact.objects.create(project=project, external_id="bob", email="bob@example.com")
    vip = create_list(project, "VIP")
    add_to_list(vip, [ada.pk])
    set_local_consent(ada, "email", "subscribed")

    found = api.get("/api/v1/contacts?q=ada").json()
    assert [c["external_id"] for c in found] == ["ada"]
    one = api.get("/api/v1/contacts/ada").json()
    assert one["list_ids"] == [vip.pk]
    [consent] = one["consents"]
    assert (consent["channel"], consent["state"], consent["marketable"]) == (
        "email",
        "subscribed",
        True,
    )
    assert len(api.get("/api/v1/contacts").json()) == 2
    assert api.get("/api/v1/contacts/nobody").status_code == 404
