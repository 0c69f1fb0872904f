"""``manage.py create_api_key <project-slug> <name>``: issue a JSON API key, shown once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shoplink.api.models import ApiKey
from shoplink.projects.models import Project


class Command(BaseCommand):
    help = "Create a per-project API key and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("project_slug")
        parser.add_argument("name", help="a label for the key, e.g. 'email service'")

    def handle(self, project_slug: str, name: str, **options):
        project = Project.objects.filter(slug=project_slug).first()
        if project is None:
            raise CommandError(f"No project with slug {project_slug!r}.")
        name = name.strip()
        if not name:
            raise CommandError("The key needs a name.")
        key, raw = ApiKey.issue(project, name[:100])
        self.stdout.write(raw)
        self.stderr.write(
            f"API key {key.prefix}… for project {project.slug} ({key.name}). Store it now: "
            "it cannot be shown again."
        )
