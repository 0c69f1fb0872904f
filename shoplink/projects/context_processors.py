"""Template context: the current project, the user's role and their other projects."""

from shoplink.projects.models import Role


def current_project(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    projects = [
        m.project for m in user.memberships.select_related("project").order_by("project__name")
    ]
    return {
        "current_project": getattr(request, "project", None),
        "current_role": membership.role if membership else None,
        "is_project_admin": bool(membership and membership.has_role(Role.ADMIN)),
        "user_projects": projects,
    }
