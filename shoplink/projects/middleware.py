"""Attach the current project and the user's membership to each request.

The current project is kept in the session (``project_id``); a user who has none
selected gets their first project. ``request.project`` and ``request.membership``
are ``None`` for anonymous users or users without any project.
"""

from __future__ import annotations

from shoplink.projects.models import Membership

SESSION_KEY = "project_id"


class CurrentProjectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.project = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = Membership.objects.select_related("project").filter(user=user)
            wanted = request.session.get(SESSION_KEY)
            membership = None
            if wanted:
                membership = memberships.filter(project_id=wanted).first()
            if membership is None:
                membership = memberships.order_by("project__name").first()
            if membership is not None:
                request.project = membership.project
                request.membership = membership
        return self.get_response(request)
