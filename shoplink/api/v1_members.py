"""API v1, project members: list, invite by email, change a role, remove; the audit log.

The same services as the Members page (``shoplink.projects.services``), with the API
key as the actor ("API key <name>") in every audit entry. A key acts for its project
with admin rights, like the person who created it. The invitation's link is only ever
emailed: the API answers with the invitation, never its token.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from shoplink.projects import services
from shoplink.projects.models import AuditEntry, Invitation, Membership

router = Router(tags=["members"])

RoleName = Literal["viewer", "editor", "admin"]


def _actor(request) -> str:
    return f"API key {request.auth.name}"


class MemberOut(Schema):
    user_id: int
    username: str
    email: str
    role: str
    since: dt.datetime


class InvitationIn(Schema):
    email: str = Field(..., examples=["sam@example.com"])
    role: RoleName = "viewer"


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    invited_by: str
    created_at: dt.datetime
    expires_at: dt.datetime


class RoleIn(Schema):
    role: RoleName


class AuditOut(Schema):
    at: dt.datetime
    actor: str
    action: str
    message: str
    detail: dict


def _member_out(m: Membership) -> dict:
    return {
        "user_id": m.user_id,
        "username": m.user.get_username(),
        "email": m.user.email,
        "role": m.role,
        "since": m.created_at,
    }


@router.get("/members", response=list[MemberOut], summary="The project's members")
def list_members(request):
    rows = Membership.objects.filter(project=request.project).select_related("user")
    return [_member_out(m) for m in rows.order_by("user__username")]


@router.patch(
    "/members/{user_id}",
    response={200: MemberOut, 409: dict},
    summary="Change a member's role (the last admin keeps theirs: 409)",
)
def patch_member(request, user_id: int, payload: RoleIn):
    try:
        membership = services.change_role(
            request.project, user_id, payload.role, actor=_actor(request)
        )
    except services.MemberNotFound as e:
        raise HttpError(404, str(e)) from e
    except services.LastAdmin as e:
        raise HttpError(409, e.message) from e
    return _member_out(membership)


@router.delete(
    "/members/{user_id}",
    response={204: None, 409: dict},
    summary="Remove a member (the last admin stays: 409)",
)
def delete_member(request, user_id: int):
    try:
        services.remove_member(request.project, user_id, actor=_actor(request))
    except services.MemberNotFound as e:
        raise HttpError(404, str(e)) from e
    except services.LastAdmin as e:
        raise HttpError(409, e.message) from e
    return Status(204, None)


@router.get("/invitations", response=list[InvitationOut], summary="Pending invitations")
def list_invitations(request):
    return list(
        Invitation.objects.filter(
            project=request.project, accepted_at=None, revoked_at=None
        ).order_by("-created_at")
    )


@router.post(
    "/invitations",
    response={201: InvitationOut},
    summary="Invite someone by email (a single-use link that expires is emailed to them)",
)
def post_invitation(request, payload: InvitationIn):
    invitation = services.invite_member(
        request.project, payload.email, payload.role, actor=_actor(request)
    )
    return Status(201, invitation)


@router.delete("/invitations/{invitation_id}", response={204: None}, summary="Cancel one")
def delete_invitation(request, invitation_id: int):
    try:
        services.revoke_invitation(request.project, invitation_id, actor=_actor(request))
    except services.MemberNotFound as e:
        raise HttpError(404, str(e)) from e
    return Status(204, None)


@router.get("/audit", response=list[AuditOut], summary="Membership changes, newest first")
def list_audit(request, limit: int = 100):
    rows = AuditEntry.objects.filter(project=request.project).order_by("-at", "-id")
    return list(rows[: max(1, min(limit, 500))])
