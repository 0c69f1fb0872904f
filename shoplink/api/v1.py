"""API v1: events in/out, contacts, consent, lists, stores. OpenAPI at /api/v1/docs."""

from __future__ import annotations

import datetime as dt

from ninja import NinjaAPI, Schema
from ninja.security import HttpBearer

from shoplink.api.models import ApiKey, hash_key
from shoplink.events.models import Event


class ProjectKey(HttpBearer):
    """``Authorization: Bearer <key>``; the key names its project."""

    def authenticate(self, request, token):
        key = (
            ApiKey.objects.select_related("project")
            .filter(key_hash=hash_key(token), revoked_at__isnull=True)
            .first()
        )
        if key is None:
            return None
        request.project = key.project
        return key


api = NinjaAPI(title="Shoplink API", version="1", auth=ProjectKey(), urls_namespace="api-v1")


class EventOut(Schema):
    id: int
    name: str
    contact: str | None
    occurred_at: str
    recorded_at: str
    idempotency_key: str
    data: dict


@api.get("/events", response=list[EventOut], summary="Read the event log in order")
def list_events(request, after: int = 0, limit: int = 100, name: str = ""):
    limit = max(1, min(limit, 500))
    qs = Event.objects.filter(project=request.project, id__gt=after).order_by("id")
    if name:
        qs = qs.filter(name=name)
    return [
        EventOut(
            id=e.id,
            name=e.name,
            contact=e.contact_external_id,
            occurred_at=e.occurred_at.astimezone(dt.UTC).isoformat(),
            recorded_at=e.recorded_at.astimezone(dt.UTC).isoformat(),
            idempotency_key=e.idempotency_key,
            data=e.data,
        )
        for e in qs[:limit]
    ]
