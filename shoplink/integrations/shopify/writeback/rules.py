"""Rules every "Data to Shopify" write shares (D7, D21, D27, D28).

* only stores that are Connected or Error write; Disconnected, Reconnect required and
  Deleting stores never do (their token is unusable or the merchant stopped us);
* every write needs ``write_customers``; when it is not granted the store goes to
  Reconnect required with that reason instead of failing silently (``grant.may_write``);
* a ``userErrors`` entry for one customer is recorded against that contact in Activity
  (kind ``writeback_rejected``) and never stops the other customers (D28).

The family: ``profile`` (fill-in), ``consent`` (opt-outs), ``engagement`` (metafields),
``preview`` (dry run) and ``receivers`` (local changes that owe a write).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from shoplink.audience.models import Contact
from shoplink.integrations.shopify.api.errors import ShopifyAccessDenied
from shoplink.integrations.shopify.api.scopes import WRITE_SCOPE
from shoplink.integrations.shopify.connection import status
from shoplink.integrations.shopify.connection.grant import may_write
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus

__all__ = [
    "WRITE_SCOPE",
    "count_customers",
    "customer_gid",
    "handle_access_denied",
    "may_write",
    "record_rejection",
    "store_contacts",
    "stores_for_contacts",
    "stores_owed_a_pass",
]

WRITING_STATUSES = frozenset({StoreStatus.CONNECTED, StoreStatus.ERROR})
REJECTED = "writeback_rejected"
WRITTEN = "writeback"


def customer_gid(contact: Contact) -> str:
    """Return the Shopify GID of a contact imported from Shopify (D4: numeric id)."""
    return f"gid://shopify/Customer/{contact.external_id}"


def store_contacts(store: ShopifyStore):
    """Contacts that came from ``store`` and still exist there."""
    return Contact.objects.filter(
        project_id=store.project_id, source=store.source, deleted_in_source=False
    ).exclude(external_id__isnull=True)


def stores_for_contacts(contacts: Iterable[Contact]) -> dict[tuple[int, str], ShopifyStore]:
    """Map ``(project id, source)`` -> that project's store, for the contacts' sources."""
    wanted = {(c.project_id, c.source) for c in contacts if c.source.startswith("shopify:")}
    stores: dict[tuple[int, str], ShopifyStore] = {}
    for project_id, source in wanted:
        domain = source.removeprefix("shopify:")
        store = ShopifyStore.objects.filter(project_id=project_id, domain=domain).first()
        if store is not None:
            stores[(project_id, source)] = store
    return stores


# A rejected write in a merchant's words (Activity), by GraphQL mutation (issue 17).
REJECTED_WHAT = {
    "customerUpdate": "a profile update",
    "metafieldsSet": "the engagement metafields",
    "customerEmailMarketingConsentUpdate": "an email consent update",
    "customerSmsMarketingConsentUpdate": "an SMS consent update",
}


def record_rejection(store: ShopifyStore, contact: Contact, operation: str, errors) -> None:
    """Record one customer's rejected write in Activity (D28); never raises."""
    messages = [str(e.get("message") or e.get("code") or "") for e in errors or []]
    reason = "; ".join(m.rstrip(".") for m in messages if m)[:300]
    what = REJECTED_WHAT.get(operation, "a change")
    status.log_activity(
        store,
        REJECTED,
        f"Shopify rejected {what} for customer {contact.external_id}"
        + (f": {reason}." if reason else "."),
        contact_id=contact.pk,
        customer_id=contact.external_id,
        operation=operation,
        errors=[{k: e.get(k) for k in ("code", "field", "message")} for e in errors or []],
    )


def handle_access_denied(store: ShopifyStore, error: ShopifyAccessDenied) -> None:
    """Shopify refused the write for lack of scope: Reconnect required, not a silent fail."""
    status.mark_reconnect_required(store, status.missing_scope_reason([WRITE_SCOPE]))
    status.record_failure(store, error.operation, error, error.technical())


def count_customers(n: int) -> str:
    return f"{n} customer" if n == 1 else f"{n} customers"


def stores_owed_a_pass() -> list[tuple[int, bool, bool]]:
    """``(store id, fill-in on, engagement on)`` for each store the 15-minute pass visits."""
    stores = ShopifyStore.objects.filter(status__in=WRITING_STATUSES).filter(
        Q(push_profile=True) | Q(push_engagement=True)
    )
    return list(stores.values_list("id", "push_profile", "push_engagement"))
