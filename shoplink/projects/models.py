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
