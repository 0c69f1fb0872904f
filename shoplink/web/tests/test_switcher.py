"""The project switcher: only this site's paths as ``next``; a bad id is a 404, not a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/phish", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_switcher_never_redirects_off_site(admin_client, project, target):
    response = admin_client.post("/projects/switch/", {"project_id": project.pk, "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_switcher_follows_a_local_path(admin_client, project):
    response = admin_client.post(
        "/projects/switch/", {"project_id": project.pk, "next": "/contacts/?q=a"}
    )
    assert response["Location"] == "/contacts/?q=a"


@pytest.mark.parametrize("bad", ["abc", "1; drop", "", "١"])
def test_switcher_answers_404_to_a_non_numeric_id(admin_client, bad):
    assert admin_client.post("/projects/switch/", {"project_id": bad}).status_code == 404
