"""Writes for projects and memberships: create, invite, accept, change a role, remove.

Every change a person makes to who is in a project writes an ``AuditEntry`` in the same
transaction, named by its actor (a username, or "API key <name>"). The rule that keeps a
project manageable: it always has an admin, so the last admin can be neither demoted nor
removed. Writers take the project's admin rows ``FOR UPDATE`` (PostgreSQL) before
counting them, so two admins demoting each other at once cannot both succeed; SQLite
serialises writers anyway (``transaction_mode = IMMEDIATE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify

from shoplink.core import clock
from shoplink.core.errors import ShoplinkError, ValidationFailed
from shoplink.projects.models import (
    AuditAction,
    AuditEntry,
    Invitation,
    Membership,
    Project,
    Role,
)

DEFAULT_INVITATION_DAYS = 7


class MemberNotFound(ShoplinkError):
    """No such member (or invitation) in this project."""


class LastAdmin(ValidationFailed):
    """The change would leave the project without an admin."""

    def __init__(self, action: str):
        super().__init__(
            f"You can't {action} the last admin of this project: make another member an "
            "admin first."
        )


class InvitationInvalid(ValidationFailed):
    """The link is unknown, expired, already used or revoked; ``message`` says which."""


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError as e:
        raise ValidationFailed(f"Choose a role: viewer, editor or admin (got {value!r}).") from e


def record_audit(project: Project, actor: str, action: str, message: str, **detail) -> AuditEntry:
    """Append one audit entry (call inside the transaction that made the change)."""
    return AuditEntry.objects.create(
        project=project,
        at=clock.now(),
        actor=actor[:200],
        action=action,
        message=message,
        detail=detail,
    )


def create_project(name: str, *, owner=None, slug: str | None = None) -> Project:
    """Create a project and, when ``owner`` is given, make them its admin (audited)."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Give the project a name.")
    base = slug or slugify(name) or "project"
    candidate, n = base, 1
    with transaction.atomic():
        while Project.objects.filter(slug=candidate).exists():
            n += 1
            candidate = f"{base}-{n}"
        project = Project.objects.create(name=name, slug=candidate)
        if owner is not None:
            add_member(project, owner, Role.ADMIN)
            record_audit(
                project,
                owner.get_username(),
                AuditAction.PROJECT_CREATED,
                f"{owner.get_username()} created the project and is its admin.",
            )
    return project


def add_member(project: Project, user, role: str) -> Membership:
    """Add ``user`` to ``project`` with ``role`` (or change their role). Not audited:
    for set-up code (the demo, tests); people go through the functions below."""
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    return membership


# --- invitations ------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_days() -> int:
    return int(getattr(settings, "INVITATION_DAYS", DEFAULT_INVITATION_DAYS))


def invite_member(project: Project, email: str, role: str, *, actor: str) -> Invitation:
    """Invite ``email`` with ``role``: store the invitation and email its link.

    A pending invitation to the same address is revoked (one live link per person). The
    email goes out inside the transaction, so a mail server that refuses it leaves
    nothing behind and the caller sees why.
    """
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as e:
        raise ValidationFailed(f"{email or 'That'} is not an email address.") from e
    role = _role(role)
    if Membership.objects.filter(project=project, user__email__iexact=email).exists():
        raise ValidationFailed(f"{email} is already a member of {project.name}.")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        Invitation.objects.filter(
            project=project, email__iexact=email, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            project=project,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=actor[:200],
            expires_at=now + dt.timedelta(days=invitation_days()),
        )
        record_audit(
            project,
            actor,
            AuditAction.MEMBER_INVITED,
            f"{actor} invited {email} as {role.label}.",
            email=email,
            role=role.value,
        )
        _send_invitation(invitation, token)
    return invitation


def invitation_url(token: str) -> str:
    return settings.APP_URL.rstrip("/") + reverse("projects:invitation", args=[token])


def _send_invitation(invitation: Invitation, token: str) -> None:
    context = {
        "project": invitation.project,
        "role": invitation.get_role_display(),
        "invited_by": invitation.invited_by,
        "url": invitation_url(token),
        "expires_at": invitation.expires_at,
    }
    try:
        send_mail(
            f"Join {invitation.project.name} on Shoplink",
            render_to_string("projects/invitation_email.txt", context),
            None,  # DEFAULT_FROM_EMAIL
            [invitation.email],
        )
    except OSError as e:  # SMTP refused or unreachable: smtplib errors are OSErrors
        raise ValidationFailed(
            f"The invitation email to {invitation.email} could not be sent ({e}); "
            "nothing was saved. Check the mail settings (docs/configuration.md)."
        ) from e


def revoke_invitation(project: Project, invitation_id: int, *, actor: str) -> Invitation:
    """Cancel a pending invitation: its link stops working."""
    with transaction.atomic():
        invitation = Invitation.objects.filter(
            project=project, pk=invitation_id, accepted_at=None, revoked_at=None
        ).first()
        if invitation is None:
            raise MemberNotFound("No pending invitation with that id in this project.")
        invitation.revoked_at = clock.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        record_audit(
            project,
            actor,
            AuditAction.INVITATION_REVOKED,
            f"{actor} cancelled the invitation of {invitation.email}.",
            email=invitation.email,
        )
    return invitation


def pending_invitation(token: str) -> Invitation:
    """The invitation behind a link, or ``InvitationInvalid`` saying why it can't be used."""
    invitation = (
        Invitation.objects.select_related("project").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid. Ask for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation link has already been used.")
    if invitation.revoked_at is not None:
        raise InvitationInvalid("This invitation was cancelled. Ask for a new one.")
    if invitation.expires_at <= clock.now():
        raise InvitationInvalid("This invitation link has expired. Ask for a new one.")
    return invitation


def accept_invitation(token: str, user) -> Membership:
    """Spend the link and make ``user`` a member with the invited role.

    The link is spent with a conditional UPDATE, so two concurrent accepts of one link
    cannot both succeed. A user who is already a member keeps their role.
    """
    with transaction.atomic():
        invitation = pending_invitation(token)
        spent = Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(
            accepted_at=clock.now(), accepted_by=user
        )
        if not spent:
            raise InvitationInvalid("This invitation link has already been used.")
        project = invitation.project
        existing = Membership.objects.filter(project=project, user=user).first()
        if existing is not None:
            return existing
        membership = Membership.objects.create(project=project, user=user, role=invitation.role)
        name = user.get_username()
        record_audit(
            project,
            name,
            AuditAction.INVITATION_ACCEPTED,
            f"{name} joined as {membership.get_role_display()} "
            f"(invited as {invitation.email} by {invitation.invited_by}).",
            email=invitation.email,
            role=invitation.role,
        )
    return membership


# --- members ----------------------------------------------------------------------------


def _locked_membership(project: Project, user_id: int) -> tuple[Membership, int]:
    """The member's row and the number of admins, with the admin rows locked."""
    admins = list(
        Membership.objects.select_for_update()
        .filter(project=project, role=Role.ADMIN)
        .values_list("user_id", flat=True)
    )
    membership = (
        Membership.objects.select_related("user").filter(project=project, user_id=user_id).first()
    )
    if membership is None:
        raise MemberNotFound("No such member in this project.")
    return membership, len(admins)


def change_role(project: Project, user_id: int, role: str, *, actor: str) -> Membership:
    """Give a member another role; the last admin keeps theirs."""
    role = _role(role)
    with transaction.atomic():
        membership, admins = _locked_membership(project, user_id)
        before = Role(membership.role)
        if before == role:
            return membership
        if before == Role.ADMIN and admins <= 1:
            raise LastAdmin("demote")
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        name = membership.user.get_username()
        record_audit(
            project,
            actor,
            AuditAction.ROLE_CHANGED,
            f"{actor} changed {name}'s role from {before.label} to {role.label}.",
            member=name,
            before=before.value,
            after=role.value,
        )
    return membership


def remove_member(project: Project, user_id: int, *, actor: str) -> None:
    """Take a member out of the project; the last admin stays."""
    with transaction.atomic():
        membership, admins = _locked_membership(project, user_id)
        if membership.role == Role.ADMIN and admins <= 1:
            raise LastAdmin("remove")
        name = membership.user.get_username()
        role = membership.get_role_display()
        membership.delete()
        record_audit(
            project,
            actor,
            AuditAction.MEMBER_REMOVED,
            f"{actor} removed {name} ({role}) from the project.",
            member=name,
            role=membership.role,
        )


def sign_up_and_accept(token: str, username: str, password: str):
    """Create an account for the invited email and accept the invitation with it."""
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        invitation = pending_invitation(token)
        user = get_user_model().objects.create_user(
            username, email=invitation.email, password=password
        )
        accept_invitation(token, user)
    return user
