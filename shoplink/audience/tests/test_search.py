"""Contact search through the Contacts page and the JSON API: full names, phones, ids."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shoplink.api.models import ApiKey
from shoplink.audience.models import Contact
from shoplink.audience.search import phone_digits, query_words


@pytest.fixture
def people(project):
    rows = [
        ("1", "Leo", "Silva", "leo@example.test", "+14155550123"),
        ("2", "Leonor", "Costa", "leonor@example.test", "+351912345678"),
        ("3", "Ana", "Silva", "ana.silva@example.test", "+442079460958"),
        ("4", "Mary Ann", "Smith", "mary@example.test", ""),
        ("5", "", "", "nobody@example.test", "+1 (212) 555-0199"),
    ]
    for ext, first, last, email, phone in rows:
        Contact.objects.create(
            project=project,
            external_id=ext,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
        )


def _page_ids(client, q):
    response = client.get(reverse("web:contacts"), {"q": q})
    assert response.status_code == 200
    page = response.context["page"]
    return sorted(c.external_id for c in page)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Leo Silva", ["1"]),
        ("leo silva", ["1"]),
        ("Silva Leo", ["1"]),
        ("Silva, Leo", ["1"]),
        ("  Leo   Silva ", ["1"]),
        ("Leo", ["1", "2"]),
        ("Silva", ["1", "3"]),
        ("Mary Ann Smith", ["4"]),
        ("Leo Costa", ["2"]),  # "Leo" is in "Leonor"
        ("Ana Costa", []),
        ("+1 (415) 555-0123", ["1"]),
        ("415 555 0123", ["1"]),
        ("415-555-0123", ["1"]),
        ("020 7946 0958", ["3"]),
        ("2125550199", ["5"]),
        ("212.555.0199", ["5"]),
        ("4", ["4"]),
        ("@example.test", ["1", "2", "3", "4", "5"]),
    ],
)
def test_contacts_page_finds_people_by_full_name_and_phone(admin_client, people, q, expected):
    assert _page_ids(admin_client, q) == expected


@pytest.mark.django_db
def test_api_contact_search_uses_the_same_rules(project, people):
    _, raw = ApiKey.issue(project, "tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    found = api.get("/api/v1/contacts", {"q": "Leo Silva"}).json()
    assert [c["external_id"] for c in found] == ["1"]
    found = api.get("/api/v1/contacts", {"q": "(415) 555 0123"}).json()
    assert [c["external_id"] for c in found] == ["1"]


@pytest.mark.django_db
def test_search_stays_inside_the_project(admin_client, people):
    from shoplink.projects.services import create_project

    Contact.objects.create(
        project=create_project("Other"), external_id="9", first_name="Leo", last_name="Silva"
    )
    assert _page_ids(admin_client, "Leo Silva") == ["1"]


def test_query_words_split_on_spaces_and_commas():
    assert query_words(" Silva,  Leo ") == ["Silva", "Leo"]
    assert query_words("") == []


def test_phone_digits_only_for_number_like_queries():
    assert phone_digits("+1 (415) 555-0123") == "14155550123"
    assert phone_digits("020 7946 0958") == "2079460958"
    assert phone_digits("123") == ""  # too short to be a phone number
    assert phone_digits("Leo 415") == ""
