"""Projects and members through the web pages: new project, invite, accept, roles, audit."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from shoplink.projects.models import AuditEntry, Invitation, Membership


def _link(message) -> str:
    return re.search(r"http://\S+/invitations/\S+/", message.body).group(0)


def _path(url: str) -> str:
    return urlsplit(url).path


def _invite(client, email="sam@example.com", role="editor"):
    return client.post(reverse("projects:invite"), {"email": email, "role": role}, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_a_user_creates_a_project_from_the_switcher_and_becomes_its_admin(admin_client):
    response = admin_client.post(reverse("web:switch_project"), {"project_id": "new"})
    assert response["Location"] == reverse("projects:new")
    response = admin_client.post(reverse("projects:new"), {"name": "Spring launch"}, follow=True)
    assert response.context["current_project"].name == "Spring launch"
    assert response.context["current_role"] == "admin"
    assert "Project Spring launch created. You are its admin." in _messages(response)
    entry = AuditEntry.objects.get(project__name="Spring launch")
    assert entry.action == "project_created" and entry.actor == "alice"


@pytest.mark.django_db
def test_admin_invites_by_email_and_the_link_works_once(admin_client, project):
    response = _invite(admin_client)
    assert "Invitation sent to sam@example.com" in _messages(response)[0]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@example.com"]
    assert "Test project" in message.subject and "as Editor" in message.body
    link = _link(message)
    # Only the token's hash is stored.
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert not Invitation.objects.filter(token_hash=token).exists()

    guest = Client()
    page = guest.get(_path(link), follow=True)
    assert page.status_code == 200
    assert b"Join Test project" in page.content
    assert token.encode() not in page.content  # moved into the session
    response = guest.post(
        reverse("projects:accept"),
        {"username": "sam", "password1": "a-long-passphrase", "password2": "a-long-passphrase"},
        follow=True,
    )
    assert response.context["user"].get_username() == "sam"
    assert response.context["current_project"] == project
    assert response.context["current_role"] == "editor"
    sam = get_user_model().objects.get(username="sam")
    assert sam.email == "sam@example.com"

    again = Client().get(_path(link), follow=True)
    assert again.status_code == 410
    assert b"already been used" in again.content
    actions = list(AuditEntry.objects.filter(project=project).values_list("action", flat=True))
    assert sorted(actions) == ["invitation_accepted", "member_invited"]


@pytest.mark.django_db
def test_a_logged_in_user_accepts_with_their_account(admin_client, project, make_user):
    _invite(admin_client, "bob@example.com", "viewer")
    bob = Client()
    bob.force_login(make_user("bob"))
    bob.get(_path(_link(mail.outbox[0])))
    response = bob.post(reverse("projects:accept"), follow=True)
    assert response.context["current_project"] == project
    assert Membership.objects.get(project=project, user__username="bob").role == "viewer"


@pytest.mark.django_db
def test_an_expired_or_cancelled_link_is_refused(admin_client, project, frozen_clock):
    frozen_clock.freeze(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    _invite(admin_client, "old@example.com")
    frozen_clock.advance(dt.timedelta(days=7, seconds=1))
    page = Client().get(_path(_link(mail.outbox[0])), follow=True)
    assert page.status_code == 410 and b"expired" in page.content

    _invite(admin_client, "gone@example.com")
    invitation = Invitation.objects.get(email="gone@example.com")
    admin_client.post(reverse("projects:revoke", args=[invitation.pk]))
    page = Client().get(_path(_link(mail.outbox[1])), follow=True)
    assert page.status_code == 410 and b"cancelled" in page.content


@pytest.mark.django_db
def test_admin_changes_a_role_and_removes_a_member_with_audit(admin_client, project, make_user):
    eddie = make_user("eddie", project, "editor")
    admin_client.post(reverse("projects:change_role", args=[eddie.pk]), {"role": "admin"})
    assert Membership.objects.get(user=eddie).role == "admin"
    response = admin_client.post(reverse("projects:remove", args=[eddie.pk]), follow=True)
    assert "Member removed from the project." in _messages(response)
    assert not Membership.objects.filter(user=eddie).exists()
    page = admin_client.get(reverse("projects:members"))
    assert b"alice changed eddie&#x27;s role from Editor to Admin." in page.content
    assert b"alice removed eddie (Admin) from the project." in page.content


@pytest.mark.django_db
def test_the_last_admin_can_be_neither_demoted_nor_removed(admin_client, admin_user, project):
    response = admin_client.post(
        reverse("projects:change_role", args=[admin_user.pk]), {"role": "viewer"}, follow=True
    )
    assert "You can't demote the last admin" in _messages(response)[0]
    response = admin_client.post(reverse("projects:remove", args=[admin_user.pk]), follow=True)
    assert "You can't remove the last admin" in _messages(response)[0]
    assert Membership.objects.get(user=admin_user).role == "admin"
    assert not AuditEntry.objects.filter(project=project).exists()
    # The page says why there is no control instead of offering one that fails.
    assert b"The only admin: make another member an admin" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", ["editor_client", "viewer_client"])
def test_only_admins_change_members(request, fixture, project, make_user):
    client = request.getfixturevalue(fixture)
    assert client.get(reverse("projects:members")).status_code == 200
    target = make_user("tom", project, "viewer")
    assert _invite(client).status_code == 403
    assert client.post(reverse("projects:remove", args=[target.pk])).status_code == 403
    url = reverse("projects:change_role", args=[target.pk])
    assert client.post(url, {"role": "admin"}).status_code == 403
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_members_of_another_project_are_out_of_reach(admin_client, make_user):
    from shoplink.projects.services import create_project

    other = create_project("Other")
    stranger = make_user("stranger", other, "admin")
    response = admin_client.post(reverse("projects:remove", args=[stranger.pk]))
    assert response.status_code == 404
    assert Membership.objects.filter(user=stranger).exists()


@pytest.mark.django_db
def test_inviting_a_bad_address_or_a_member_says_why(admin_client, admin_user):
    admin_user.email = "alice@example.com"
    admin_user.save()
    assert "Enter an email address" in _messages(_invite(admin_client, "not-an-email"))[0]
    response = _invite(admin_client, "Alice@Example.com")
    assert "alice@example.com is already a member" in _messages(response)[0].lower()
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_a_user_without_a_project_can_start_one(make_user):
    client = Client()
    client.force_login(make_user("newbie"))
    page = client.get(reverse("web:home"))
    assert page.status_code == 403
    assert reverse("projects:new").encode() in page.content
    response = client.post(reverse("projects:new"), {"name": "  "})
    assert response.status_code == 200 and b"This field is required." in response.content
    response = client.post(reverse("projects:new"), {"name": "Mine"}, follow=True)
    assert response.context["current_project"].name == "Mine"
    assert response.context["current_role"] == "admin"
