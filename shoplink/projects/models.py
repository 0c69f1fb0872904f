"""Project and Membership: who may see and change what (DECISIONS D1)."""

from django.conf import settings
from django.db import models

from shoplink.core.models import TimeStampedModel


class Role(models.TextChoices):
    """Project roles, weakest first. Only ``admin`` may open Integrations."""

    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


class Project(TimeStampedModel):
    """A marketing project: contacts, lists, events and stores belong to exactly one."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A staff user's role in one project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"

    def has_role(self, required: str) -> bool:
        """Return True when this membership's role is at least ``required``."""
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(required)]


class Invitation(TimeStampedModel):
    """An invitation to join a project, sent by email as a single-use, expiring link.

    Only the SHA-256 of the link's token is stored, like API keys: the database never
    holds a usable link. ``accepted_at`` or ``revoked_at`` set means the link is spent.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=320)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.CharField(max_length=200, blank=True, default="")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "accepted_at", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.email} to {self.project} ({self.role})"


class AuditAction(models.TextChoices):
    PROJECT_CREATED = "project_created", "Project created"
    MEMBER_INVITED = "member_invited", "Member invited"
    INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    ROLE_CHANGED = "role_changed", "Role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"


class AuditEntry(models.Model):
    """Who changed a project's membership, when, and what (append-only).

    ``actor`` is a readable name kept as text ("alice", "API key ci"), so the record
    survives the user's or key's deletion; ``message`` is the sentence the Members page
    shows; ``detail`` holds the values (role before and after, the email invited).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audit_entries")
    at = models.DateTimeField()
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    message = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-at"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return self.message
