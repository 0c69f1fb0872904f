"""API v1, project data: events in, contact upserts, local consent and lists (D32).

Views authenticate (the router's bearer key), validate with the schemas below, call
one service in ``shoplink.api.services`` and return plain JSON. Engagement events
recorded here (``email_opened``, ``email_clicked``, ``sms_clicked``,
``message_sent``) feed the Shopify engagement metafields (D27).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Router, Schema
from ninja.errors import HttpError

from shoplink.api import services
from shoplink.audience.models import Contact, ContactList
from shoplink.audience.search import search_contacts
from shoplink.events.models import Event

router = Router(tags=["data"])


class EventIn(Schema):
    name: str = Field(..., description="Event name, e.g. email_opened", examples=["email_opened"])
    contact: str | None = Field(None, description="The contact's external_id")
    occurred_at: dt.datetime | None = Field(None, description="ISO 8601 with zone; default now")
    idempotency_key: str | None = Field(
        None, max_length=300, description="Repeat-safe key; generated when omitted"
    )
    data: dict = Field(default_factory=dict)


class EventsIn(Schema):
    events: list[EventIn] = Field(..., description="1 to 100 events")


class AcceptedEvent(Schema):
    id: int
    idempotency_key: str


class EventsOut(Schema):
    accepted: list[AcceptedEvent]
    duplicates: list[str]


class EventOut(Schema):
    id: int
    name: str
    contact: str | None
    occurred_at: str
    recorded_at: str
    idempotency_key: str
    catch_up: bool
    data: dict


@router.get("/events", response=list[EventOut], summary="Read the event log in order")
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
            catch_up=e.catch_up,
            data=e.data,
        )
        for e in qs[:limit]
    ]


@router.post("/events", response=EventsOut, summary="Record up to 100 events (idempotent)")
def post_events(request, payload: EventsIn):
    outcome = services.record_api_events(request.project, [e.dict() for e in payload.events])
    return {
        "accepted": [{"id": pk, "idempotency_key": key} for key, pk in outcome.accepted],
        "duplicates": outcome.duplicates,
    }


class ContactIn(Schema):
    external_id: str
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    country: str | None = None
    zip: str | None = None
    tags: list[str] | None = None


class ContactsIn(Schema):
    contacts: list[ContactIn] = Field(..., description="1 to 100 contacts; omitted fields keep")


class ContactChangeOut(Schema):
    id: int
    external_id: str
    created: bool
    changed: list[str]


@router.post(
    "/contacts", response=list[ContactChangeOut], summary="Create or update up to 100 contacts"
)
def post_contacts(request, payload: ContactsIn):
    changes = services.upsert_api_contacts(
        request.project, [c.dict(exclude_unset=True) for c in payload.contacts]
    )
    return [
        {
            "id": c.contact_id,
            "external_id": c.external_id,
            "created": c.created,
            "changed": c.changed,
        }
        for c in changes
    ]


class ConsentStateOut(Schema):
    channel: str
    state: str
    marketable: bool
    source_state: str = Field(description="The source's own raw state, as it sent it")
    shopify_state: str = Field(description="Deprecated: the same value as source_state")
    opt_in_level: str
    collected_from: str
    consent_updated_at: dt.datetime | None


class ContactOut(Schema):
    id: int
    external_id: str | None
    email: str
    phone: str
    first_name: str
    last_name: str
    address1: str
    address2: str
    city: str
    province: str
    country: str
    zip: str
    tags: list
    attributes: dict
    source: str
    deleted_in_source: bool
    consents: list[ConsentStateOut]
    list_ids: list[int]


def _contact_out(contact) -> dict:
    out = {
        name: getattr(contact, name)
        for name in ContactOut.model_fields
        if name not in ("consents", "list_ids")
    }
    out["consents"] = [
        {
            **{
                k: getattr(c, k)
                for k in ConsentStateOut.model_fields
                if k not in ("marketable", "shopify_state")
            },
            "marketable": c.marketable,
            "shopify_state": c.source_state,
        }
        for c in contact.consents.all()
    ]
    out["list_ids"] = [m.contact_list_id for m in contact.list_memberships.all()]
    return out


@router.get(
    "/contacts",
    response=list[ContactOut],
    summary=(
        "Contacts, newest first; `q` finds full names, email, phone (any format) or external_id"
    ),
)
def list_contacts(request, q: str = "", before: int = 0, limit: int = 50):
    contacts = search_contacts(Contact.objects.filter(project=request.project), q)
    if before:
        contacts = contacts.filter(id__lt=before)
    contacts = contacts.prefetch_related("consents", "list_memberships").order_by("-id")
    return [_contact_out(c) for c in contacts[: max(1, min(limit, 200))]]


@router.get("/contacts/{external_id}", response=ContactOut, summary="One contact by external_id")
def get_contact(request, external_id: str):
    contact = (
        Contact.objects.filter(project=request.project, external_id=external_id)
        .prefetch_related("consents", "list_memberships")
        .first()
    )
    if contact is None:
        raise HttpError(404, f"No contact with external_id {external_id} in this project.")
    return _contact_out(contact)


class ConsentIn(Schema):
    channel: Literal["email", "sms"]
    state: Literal["subscribed", "opted_in", "unsubscribed", "not_subscribed", "pending"]


class ConsentOut(Schema):
    external_id: str
    channel: str
    state: str
    marketable: bool


@router.post(
    "/contacts/{external_id}/consent",
    response=ConsentOut,
    summary="Change a contact's consent here; opt-outs propagate to Shopify when enabled",
)
def post_consent(request, external_id: str, payload: ConsentIn):
    row = services.set_api_consent(request.project, external_id, payload.channel, payload.state)
    return {
        "external_id": external_id,
        "channel": row.channel,
        "state": row.state,
        "marketable": row.marketable,
    }


class ListOut(Schema):
    id: int
    name: str
    description: str
    size: int
    created_by_source: str


@router.get("/lists", response=list[ListOut], summary="The project's static lists")
def get_lists(request):
    return list(ContactList.objects.filter(project=request.project).order_by("name", "id"))
