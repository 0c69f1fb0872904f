"""Contacts, static lists, list memberships and consent (DECISIONS D4, D20)."""

from __future__ import annotations

from django.db import models

from shoplink.core.fields import UncheckedJSONField
from shoplink.core.models import TimeStampedModel
from shoplink.projects.models import Project

PROFILE_FIELDS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "address1",
    "address2",
    "city",
    "province",
    "country",
    "zip",
)


class Contact(TimeStampedModel):
    """One person in one project. ``external_id`` is the upsert key (unique per project).

    Contacts that came from an integration record it in ``source`` (for Shopify:
    ``shopify:<domain>``) and keep the source's own ``updated_at`` in
    ``source_updated_at`` so an older payload never overwrites a newer one.
    """

    # No index of its own: the unique constraint below leads with it and serves every lookup
    # by it (and the cascade); one index write fewer per imported row.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    external_id = models.CharField(max_length=64, null=True, blank=True)
    email = models.CharField(max_length=320, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    first_name = models.CharField(max_length=200, blank=True, default="")
    last_name = models.CharField(max_length=200, blank=True, default="")
    address1 = models.CharField(max_length=300, blank=True, default="")
    address2 = models.CharField(max_length=300, blank=True, default="")
    city = models.CharField(max_length=200, blank=True, default="")
    province = models.CharField(max_length=200, blank=True, default="")
    country = models.CharField(max_length=200, blank=True, default="")
    zip = models.CharField(max_length=40, blank=True, default="")
    tags = UncheckedJSONField(default=list, blank=True)
    attributes = UncheckedJSONField(default=dict, blank=True)
    source = models.CharField(max_length=200, blank=True, default="", db_index=True)
    source_created_at = models.DateTimeField(null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    deleted_in_source = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"], name="uniq_contact_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["project", "email"]),
            models.Index(fields=["project", "-id"]),
        ]

    def __str__(self) -> str:
        return self.email or self.external_id or f"contact {self.pk}"

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or self.phone or (self.external_id or "")


class ContactList(TimeStampedModel):
    """A static list. ``size`` is maintained by the services so pages never count rows."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="lists")
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True, default="")
    size = models.PositiveIntegerField(default=0)
    # Set when an integration created the list for itself (D30 deletes it when empty).
    created_by_source = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ListMembership(models.Model):
    # No index of its own: the unique constraint below leads with it and serves every lookup
    # by it (and the cascade); one index write fewer per imported row.
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="list_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact_list", "contact"], name="uniq_list_member")
        ]


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class ConsentState(models.TextChoices):
    """Our consent states (D20). Only subscribed and opted_in may receive marketing."""

    SUBSCRIBED = "subscribed", "Subscribed"
    OPTED_IN = "opted_in", "Opted in"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    NOT_SUBSCRIBED = "not_subscribed", "Not subscribed"
    PENDING = "pending", "Pending"


class Consent(models.Model):
    """A contact's consent on one channel, with the source's raw state and provenance."""

    # No index of its own: the unique constraint below leads with it and serves every lookup
    # by it (and the cascade); one index write fewer per imported row.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="consents", db_index=False
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    state = models.CharField(
        max_length=16, choices=ConsentState.choices, default=ConsentState.NOT_SUBSCRIBED
    )
    # Who set ``state`` last: a source (an integration's name, e.g. "shopify") or
    # "local" (our own unsubscribe links, the API).
    state_source = models.CharField(max_length=16, default="local")
    # The source's own raw state (provenance, shown as it came) and whether the source
    # says marketing is forbidden; the integration's mapping decides the latter.
    source_state = models.CharField(max_length=24, blank=True, default="")
    source_opted_out = models.BooleanField(default=False)
    opt_in_level = models.CharField(max_length=40, blank=True, default="")
    collected_from = models.CharField(max_length=40, blank=True, default="")
    consent_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "channel"], name="uniq_consent_channel")
        ]

    @property
    def marketable(self) -> bool:
        from shoplink.audience.consent import is_marketable

        return is_marketable(self.state, self.source_opted_out)
