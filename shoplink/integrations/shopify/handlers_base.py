"""What every topic handler shares: the delivery context and the "not found yet" signal."""

from __future__ import annotations

import dataclasses
import datetime as dt

from shoplink.integrations.shopify.models import WebhookDelivery

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
