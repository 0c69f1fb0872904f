"""What every topic handler shares: the delivery context and the "not found yet" signal."""

from __future__ import annotations

import dataclasses
import datetime as dt

from shoplink.integrations.shopify.models import DeliveryState, WebhookDelivery

# A delivery waiting for a missing record, or failing, is tried this many times.
MAX_ATTEMPTS = 6


class NotFoundYet(Exception):
    """The payload refers to a record we do not hold yet; retry the delivery later.

    Shopify does not order deliveries (PLATFORM.md §2.3): an ``orders/create`` can land
    before the ``customers/create`` of its buyer. The delivery stays received and is
    retried when a customer topic is processed, or by the minute sweeper.
    """


@dataclasses.dataclass
class Context:
    """What a handler knows about the delivery besides its payload."""

    topic: str
    delivery: WebhookDelivery
    # "<kind>:<id>" of the record this delivery wrote, kept with it for tie-breaks.
    resource: str | None = None

    @property
    def may_wait(self) -> bool:
        """Whether waiting for a missing record is still worth it (bounded retries)."""
        return self.delivery.attempts < MAX_ATTEMPTS - 1

    @property
    def triggered_at(self) -> dt.datetime:
        return self.delivery.triggered_at or self.delivery.received_at

    def wait_for(self, what: str) -> None:
        """Raise NotFoundYet while retries remain; afterwards carry on without it."""
        if self.may_wait:
            raise NotFoundYet(f"Waiting for {what}")

    def is_superseded(self, resource: str, stored_at, incoming_at) -> bool:
        """Say whether an equal-timestamp payload is older than what already wrote the row.

        Shopify's ``updated_at`` has second precision, so two changes within a second
        carry the same value and ``updated_at`` alone cannot order them. The delivery's
        ``X-Shopify-Triggered-At`` (microseconds, kept on retries) breaks the tie: a
        payload triggered before the one that wrote the row is stale.
        """
        self.resource = resource
        if stored_at is None or incoming_at is None or stored_at != incoming_at:
            return False
        return (
            WebhookDelivery.objects.filter(
                shop_domain=self.delivery.shop_domain,
                state=DeliveryState.PROCESSED,
                headers__resource=resource,
                triggered_at__gt=self.triggered_at,
            )
            .exclude(pk=self.delivery.pk)
            .exists()
        )
