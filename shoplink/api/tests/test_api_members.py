"""The JSON API's members endpoints: list, invite, change a role, remove, audit (D32)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from shoplink.api.models import ApiKey
from shoplink.projects.models import Membership


@pytest.fixture
def api(project):
    _, raw = ApiKey.issue(project, "ci")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _json(client, method, path, body=None):
    response = getattr(client, method)(f"/api/v1{path}", body, content_type="application/json")
    return response.status_code, (response.json() if response.content else None)


def test_list_change_and_remove_members_with_audit(api, project, admin_user, make_user):
    eddie = make_user("eddie", project, "editor")
    status, members = _json(api, "get", "/members")
    assert status == 200
    assert [(m["username"], m["role"]) for m in members] == [
        ("alice", "admin"),
        ("eddie", "editor"),
    ]

    status, member = _json(api, "patch", f"/members/{eddie.pk}", {"role": "viewer"})
    assert (status, member["role"]) == (200, "viewer")
    status, _ = _json(api, "delete", f"/members/{eddie.pk}")
    assert status == 204
    assert not Membership.objects.filter(user=eddie).exists()

    status, audit = _json(api, "get", "/audit")
    assert [a["message"] for a in audit] == [
        "API key ci removed eddie (Viewer) from the project.",
        "API key ci changed eddie's role from Editor to Viewer.",
    ]


def test_the_last_admin_is_kept_with_409(api, admin_user):
    status, body = _json(api, "patch", f"/members/{admin_user.pk}", {"role": "editor"})
    assert status == 409 and "last admin" in body["detail"]
    status, body = _json(api, "delete", f"/members/{admin_user.pk}")
    assert status == 409 and "last admin" in body["detail"]
    assert Membership.objects.get(user=admin_user).role == "admin"


def test_invite_by_email_and_cancel(api, project):
    status, invitation = _json(api, "post", "/invitations", {"email": "kim@example.com"})
    assert status == 201
    assert invitation["role"] == "viewer" and invitation["invited_by"] == "API key ci"
    assert "token" not in invitation and len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kim@example.com"]
    status, pending = _json(api, "get", "/invitations")
    assert [i["email"] for i in pending] == ["kim@example.com"]
    status, _ = _json(api, "delete", f"/invitations/{invitation['id']}")
    assert status == 204
    assert _json(api, "get", "/invitations")[1] == []
    assert _json(api, "delete", f"/invitations/{invitation['id']}")[0] == 404


def test_bad_input_and_other_projects(api, make_user):
    from shoplink.projects.services import create_project

    assert _json(api, "post", "/invitations", {"email": "nope"})[0] == 400
    assert _json(api, "post", "/invitations", {"email": "a@b.co", "role": "owner"})[0] == 422
    stranger = make_user("stranger", create_project("Other"), "admin")
    assert _json(api, "delete", f"/members/{stranger.pk}")[0] == 404
    assert _json(api, "patch", f"/members/{stranger.pk}", {"role": "viewer"})[0] == 404
