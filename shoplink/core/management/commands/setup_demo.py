"""Create (or refresh) the demo project and its admin user. Safe to run repeatedly."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from shoplink.core.demo import DEMO_PASSWORD, DEMO_PROJECT_SLUG, DEMO_USER
from shoplink.projects.models import Project, Role
from shoplink.projects.services import add_member, create_project


class Command(BaseCommand):
    help = "Create the demo project and admin user (idempotent)."

    def handle(self, *args, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USER, defaults={"is_staff": True, "is_superuser": True}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = True
            user.save()
        project = Project.objects.filter(slug=DEMO_PROJECT_SLUG).first() or create_project(
            "Demo project", slug=DEMO_PROJECT_SLUG
        )
        add_member(project, user, Role.ADMIN)
        self.stdout.write(f"demo project '{project.name}', user {DEMO_USER}")
