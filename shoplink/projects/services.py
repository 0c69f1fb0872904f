"""Writes for projects and memberships."""

from __future__ import annotations

from django.utils.text import slugify

from shoplink.projects.models import Membership, Project, Role


def create_project(name: str, *, owner=None, slug: str | None = None) -> Project:
    """Create a project and, when ``owner`` is given, make them its admin."""
    base = slug or slugify(name) or "project"
    candidate, n = base, 1
    while Project.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    project = Project.objects.create(name=name, slug=candidate)
    if owner is not None:
        add_member(project, owner, Role.ADMIN)
    return project


def add_member(project: Project, user, role: str) -> Membership:
    """Add ``user`` to ``project`` with ``role`` (or change their role)."""
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    return membership
