"""View decorator enforcing project roles (D1)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def project_role_required(role: str):
    """Require a logged-in user whose role in the current project is at least ``role``.

    Anonymous users go to the login page; members with a weaker role, and users
    without a project, get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None or not membership.has_role(role):
                raise PermissionDenied("Your role in this project does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
