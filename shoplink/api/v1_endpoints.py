"""API v1, event push endpoints: register, list, change, test, read the delivery log.

The platform registers where it wants the project's events pushed (ADR 0030); the
signing secret is returned once, on creation (and by ``/rotate-secret``). Each view
calls one service of ``shoplink.hooks.services``.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from shoplink.hooks import services
from shoplink.hooks.models import Endpoint

router = Router(tags=["event push"])


class EndpointIn(Schema):
    url: str = Field(..., description="HTTPS URL receiving signed POSTs")
    event_names: list[str] = Field(default_factory=list, description="Empty: every event")
    description: str = ""


class EndpointPatch(Schema):
    url: str | None = None
    event_names: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    event_names: list[str]
    enabled: bool
    disabled_at: dt.datetime | None
    disabled_reason: str
    failing_since: dt.datetime | None
    consecutive_failures: int
    retry_at: dt.datetime | None


class EndpointCreated(EndpointOut):
    secret: str = Field(..., description="whsec_… signing secret; shown only now")


class DeliveryOut(Schema):
    message_id: str = Field(..., description="The webhook-id header (same on every retry)")
    name: str
    event_id: int | None
    status: str
    attempts: int
    response_code: int | None
    error: str
    last_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None


def _out(e: Endpoint) -> dict:
    return {
        **{k: getattr(e, k) for k in EndpointOut.model_fields if k != "enabled"},
        "enabled": e.active,
    }


def _get(request, endpoint_id: int) -> Endpoint:
    endpoint = Endpoint.objects.filter(project=request.project, pk=endpoint_id).first()
    if endpoint is None:
        raise HttpError(404, f"No endpoint with id {endpoint_id} in this project.")
    return endpoint


@router.get("/endpoints", response=list[EndpointOut], summary="The project's push endpoints")
def list_endpoints(request):
    return [_out(e) for e in Endpoint.objects.filter(project=request.project).order_by("id")]


@router.post(
    "/endpoints", response={201: EndpointCreated}, summary="Register an endpoint (secret once)"
)
def create_endpoint(request, payload: EndpointIn):
    endpoint, secret = services.create_endpoint(
        request.project, payload.url, payload.event_names, payload.description
    )
    return Status(201, {**_out(endpoint), "secret": secret})


@router.get("/endpoints/{endpoint_id}", response=EndpointOut, summary="One endpoint")
def get_endpoint(request, endpoint_id: int):
    return _out(_get(request, endpoint_id))


@router.patch("/endpoints/{endpoint_id}", response=EndpointOut, summary="Change, disable or enable")
def patch_endpoint(request, endpoint_id: int, payload: EndpointPatch):
    endpoint = _get(request, endpoint_id)
    services.update_endpoint(
        endpoint,
        url=payload.url,
        event_names=payload.event_names,
        description=payload.description,
    )
    if payload.enabled is True and not endpoint.active:
        services.enable_endpoint(endpoint)
    elif payload.enabled is False and endpoint.active:
        services.disable_endpoint(endpoint, "Disabled through the API.")
    return _out(endpoint)


@router.delete("/endpoints/{endpoint_id}", response={204: None}, summary="Delete an endpoint")
def delete_endpoint(request, endpoint_id: int):
    _get(request, endpoint_id).delete()
    return Status(204, None)


@router.post(
    "/endpoints/{endpoint_id}/test", response={202: DeliveryOut}, summary="Send a test event"
)
def send_test(request, endpoint_id: int):
    delivery = services.send_test_event(_get(request, endpoint_id))
    return Status(202, delivery)


@router.post(
    "/endpoints/{endpoint_id}/rotate-secret",
    response=EndpointCreated,
    summary="Replace the signing secret (returned once)",
)
def rotate_secret(request, endpoint_id: int):
    endpoint = _get(request, endpoint_id)
    return {**_out(endpoint), "secret": services.rotate_secret(endpoint)}


@router.get(
    "/endpoints/{endpoint_id}/deliveries",
    response=list[DeliveryOut],
    summary="The delivery log, newest first",
)
def list_deliveries(request, endpoint_id: int, before: int = 0, limit: int = 100):
    qs = _get(request, endpoint_id).deliveries.order_by("-id")
    if before:
        qs = qs.filter(id__lt=before)
    return list(qs[: max(1, min(limit, 500))])
