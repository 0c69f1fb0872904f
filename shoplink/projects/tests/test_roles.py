"""Only project admins may open Integrations (D1); everyone in the project sees contacts."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_admin_opens_integrations(admin_client):
    response = admin_client.get(reverse("shopify:integrations"))
    assert response.status_code == 200
    assert b"Connect platform" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("client_fixture", ["editor_client", "viewer_client"])
def test_editor_and_viewer_get_403_on_integrations(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    response = client.get(reverse("shopify:integrations"))
    assert response.status_code == 403
    assert b"Only project admins can open Integrations" in response.content


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("shopify:integrations"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db
def test_viewer_sees_contacts(viewer_client):
    assert viewer_client.get(reverse("web:contacts")).status_code == 200


@pytest.mark.django_db
def test_user_cannot_switch_into_a_project_they_do_not_belong_to(make_user, project):
    from django.test import Client

    from shoplink.projects.services import create_project

    other = create_project("Other")
    user = make_user("sam", project, "admin")
    client = Client()
    client.force_login(user)
    client.post(reverse("web:switch_project"), {"project_id": other.pk})
    response = client.get(reverse("web:contacts"))
    assert response.context["current_project"] == project
