"""Project pages: a new project, the Members page and its actions, invitation links.

Views validate with a form, call one service in ``shoplink.projects.services`` and
redirect with a message (plain POST forms: they work without JavaScript). Everyone in
the project sees Members; only admins change it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shoplink.core.errors import ValidationFailed
from shoplink.projects import services
from shoplink.projects.forms import InviteForm, ProjectForm, RoleForm, SignUpForm
from shoplink.projects.middleware import SESSION_KEY
from shoplink.projects.models import AuditEntry, Invitation, Membership, Role
from shoplink.projects.permissions import project_role_required

# The invitation token moves from the link's URL into the session at once, so it is not
# sent on as a Referer nor kept in the browser history of the page the user acts on
# (the approach of Django's password reset).
INVITATION_SESSION_KEY = "invitation_token"
RECENT_AUDIT = 20


@login_required
def new_project(request):
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = services.create_project(form.cleaned_data["name"], owner=request.user)
        request.session[SESSION_KEY] = project.pk
        messages.success(request, f"Project {project.name} created. You are its admin.")
        return redirect("web:home")
    return render(request, "projects/new_project.html", {"form": form})


@project_role_required(Role.VIEWER)
def members(request):
    project = request.project
    people = list(
        Membership.objects.filter(project=project).select_related("user").order_by("user__username")
    )
    admins = sum(1 for m in people if m.role == Role.ADMIN)
    for m in people:
        # Shown with the reason instead of controls that would only answer with an error.
        m.is_last_admin = m.role == Role.ADMIN and admins == 1
    context = {
        "nav": "members",
        "members": people,
        "invitations": Invitation.objects.filter(
            project=project, accepted_at=None, revoked_at=None
        ).order_by("-created_at"),
        "audit": AuditEntry.objects.filter(project=project).order_by("-at", "-id")[:RECENT_AUDIT],
        "invite_form": InviteForm(),
        "roles": Role.choices,
    }
    return render(request, "projects/members.html", context)


def _act(request, action, success: str):
    """Run a service call; show its sentence on failure, ``success`` otherwise."""
    try:
        action()
    except ValidationFailed as e:
        messages.error(request, e.message)
    except services.MemberNotFound as e:
        raise Http404(str(e)) from e
    else:
        messages.success(request, success)
    return redirect("projects:members")


@project_role_required(Role.ADMIN)
@require_POST
def invite(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter an email address and choose a role.")
        return redirect("projects:members")
    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    return _act(
        request,
        lambda: services.invite_member(
            request.project, email, role, actor=request.user.get_username()
        ),
        f"Invitation sent to {email}. The link works once, for {services.invitation_days()} days.",
    )


@project_role_required(Role.ADMIN)
@require_POST
def change_role(request, user_id: int):
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role: viewer, editor or admin.")
        return redirect("projects:members")
    role = Role(form.cleaned_data["role"])
    return _act(
        request,
        lambda: services.change_role(
            request.project, user_id, role, actor=request.user.get_username()
        ),
        f"Role changed to {role.label}.",
    )


@project_role_required(Role.ADMIN)
@require_POST
def remove(request, user_id: int):
    return _act(
        request,
        lambda: services.remove_member(request.project, user_id, actor=request.user.get_username()),
        "Member removed from the project.",
    )


@project_role_required(Role.ADMIN)
@require_POST
def revoke(request, invitation_id: int):
    return _act(
        request,
        lambda: services.revoke_invitation(
            request.project, invitation_id, actor=request.user.get_username()
        ),
        "Invitation cancelled: its link no longer works.",
    )


def invitation_link(request, token: str):
    """The link from the email: keep its token in the session, go to the accept page."""
    request.session[INVITATION_SESSION_KEY] = token
    return redirect("projects:accept")


def accept(request):
    """Accept the invitation as the logged-in user, or with a new account."""
    token = request.session.get(INVITATION_SESSION_KEY, "")
    try:
        pending = services.pending_invitation(token)
    except ValidationFailed as e:
        return render(request, "projects/invitation.html", {"problem": e.message}, status=410)
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                user = request.user
                services.accept_invitation(token, user)
            elif form.is_valid():
                user = services.sign_up_and_accept(
                    token, form.cleaned_data["username"], form.cleaned_data["password1"]
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                user = None
        except ValidationFailed as e:
            return render(request, "projects/invitation.html", {"problem": e.message}, status=410)
        if user is not None:
            request.session.pop(INVITATION_SESSION_KEY, None)
            request.session[SESSION_KEY] = pending.project_id
            messages.success(request, f"Welcome to {pending.project.name}.")
            return redirect("web:home")
    return render(request, "projects/invitation.html", {"invitation": pending, "form": form})
