"""Data to Shopify: the shared write rules, profile fill-in (D27) and the signal receivers.

The write-back family: this module (rules, fill-in, receivers), ``writeback_consent.py``
(opt-out propagation, D21) and ``writeback_engagement.py`` (metafields, D27). Owns
which contacts are owed a profile write,
the pure decision of what to write, and the writes themselves with their rejection
handling (D28). Tasks in ``tasks_writeback.py`` call the verbs here; receivers in
``receivers.py`` connect the audience signals to :func:`on_local_profile_changed` and
:func:`on_local_consent_changed`.

Rules shared by every write:

* only stores that are Connected or Error write; Disconnected, Reconnect required and
  Deleting stores never do (their token is unusable or the merchant stopped us);
* every write needs ``write_customers``; when it is not granted the store goes to
  Reconnect required with that reason instead of failing silently (D7, reference 2.16);
* a ``userErrors`` entry for one customer is recorded against that contact in Activity
  (kind ``writeback_rejected``) and never stops the other customers (D28).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from shoplink.audience.models import ConsentState, Contact
from shoplink.audience.services import local_consent_changed, local_profile_changed
from shoplink.core import clock
from shoplink.integrations.shopify import queries
from shoplink.integrations.shopify.errors import ShopifyAccessDenied, ShopifyUserError
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus, WritebackState
from shoplink.integrations.shopify.status import WRITE_SCOPE_REASON

log = logging.getLogger(__name__)

WRITE_SCOPE = "write_customers"
# The card's wording, defined once in status.py (one sentence for one cause).
MISSING_SCOPE_REASON = WRITE_SCOPE_REASON
WRITING_STATUSES = frozenset({StoreStatus.CONNECTED, StoreStatus.ERROR})
REJECTED = "writeback_rejected"
WRITTEN = "writeback"

# Our contact field -> CustomerInput field, for the scalar fields fill-in may write.
PROFILE_FIELDS = {"first_name": "firstName", "last_name": "lastName", "phone": "phone"}
# Our address fields -> MailingAddressInput fields. MailingAddressInput only takes ISO
# codes for country and province (no free-text names), so those two are written only
# when our value already is a code.
ADDRESS_FIELDS = {"address1": "address1", "address2": "address2", "city": "city", "zip": "zip"}


# --- shared ---------------------------------------------------------------------------


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


def may_write(store: ShopifyStore) -> bool:
    """Say whether ``store`` may be written to now; flag a missing write scope (D7).

    A store without ``write_customers`` is set to Reconnect required with the reason,
    which is what the merchant sees on the card (reference 2.16 "Permissions").
    """
    from shoplink.integrations.shopify import status

    if not status.can_sync(store):
        return False  # Disconnected, Reconnect required, paused (D11) or deleting
    if WRITE_SCOPE in (store.granted_scopes or []):
        return True
    status.mark_reconnect_required(store, MISSING_SCOPE_REASON)
    return False


def record_rejection(store: ShopifyStore, contact: Contact, operation: str, errors) -> None:
    """Record one customer's rejected write in Activity (D28); never raises."""
    from shoplink.integrations.shopify import status

    messages = [str(e.get("message") or e.get("code") or "rejected") for e in errors or []]
    status.log_activity(
        store,
        REJECTED,
        f"Shopify rejected {operation} for customer {contact.external_id}: "
        + "; ".join(messages)[:300],
        contact_id=contact.pk,
        customer_id=contact.external_id,
        operation=operation,
        errors=[{k: e.get(k) for k in ("code", "field", "message")} for e in errors or []],
    )


def handle_access_denied(store: ShopifyStore, error: ShopifyAccessDenied) -> None:
    """Shopify refused the write for lack of scope: Reconnect required, not a silent fail."""
    from shoplink.integrations.shopify import status

    status.mark_reconnect_required(store, MISSING_SCOPE_REASON)
    status.record_failure(store, error.operation, error, error.technical())


def count_customers(n: int) -> str:
    return f"{n} customer" if n == 1 else f"{n} customers"


def client_for(store: ShopifyStore):
    from shoplink.integrations.shopify import client

    return client.client_for(store)


# --- profile fill-in (D27) ------------------------------------------------------------


def is_missing(value) -> bool:
    """ "Missing" in Shopify means absent, empty or whitespace (D27)."""
    return value is None or not str(value).strip()


def plan_fill_in(contact: Contact, customer: dict | None) -> dict:
    """Return the ``CustomerInput`` fields to write: ours where Shopify's are missing.

    Never includes a field Shopify already holds a value for (D27). The default
    address is treated as one unit: it is written only when Shopify has no default
    address with any content, because filling single blanks of a different address
    would make a postal address that exists nowhere.
    """
    if customer is None:
        return {}
    phone = (customer.get("defaultPhoneNumber") or {}).get("phoneNumber")
    theirs = {"firstName": customer.get("firstName"), "lastName": customer.get("lastName")}
    theirs["phone"] = phone
    fields = {
        gql: getattr(contact, ours).strip()
        for ours, gql in PROFILE_FIELDS.items()
        if is_missing(theirs[gql]) and not is_missing(getattr(contact, ours))
    }
    address = _address_input(contact)
    if address and _address_is_empty(customer.get("defaultAddress")):
        fields["addresses"] = [address]
    return fields


def _address_is_empty(address: dict | None) -> bool:
    if not address:
        return True
    keys = ("address1", "address2", "city", "province", "country", "zip")
    return all(is_missing(address.get(k)) for k in keys)


def _address_input(contact: Contact) -> dict:
    address = {
        gql: getattr(contact, ours).strip()
        for ours, gql in ADDRESS_FIELDS.items()
        if not is_missing(getattr(contact, ours))
    }
    if not address.get("address1") and not address.get("city"):
        return {}  # a zip or second line alone is not an address worth creating
    country = contact.country.strip()
    if len(country) == 2 and country.isalpha():
        address["countryCode"] = country.upper()
    province = contact.province.strip()
    if address.get("countryCode") and 1 < len(province) <= 3 and province.isalnum():
        address["provinceCode"] = province.upper()
    return address


def mark_profiles_pending(store: ShopifyStore, contact_ids: Iterable[int]) -> int:
    """Owe a fill-in check to these contacts of ``store``; return how many were marked."""
    ids = list(store_contacts(store).filter(id__in=list(contact_ids)).values_list("id", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        existing = set(
            WritebackState.objects.filter(store=store, contact_id__in=ids).values_list(
                "contact_id", flat=True
            )
        )
        WritebackState.objects.filter(store=store, contact_id__in=existing).update(
            profile_pending=True
        )
        WritebackState.objects.bulk_create(
            [
                WritebackState(store=store, contact_id=i, profile_pending=True)
                for i in ids
                if i not in existing
            ],
            ignore_conflicts=True,
        )
    return len(ids)


@dataclass
class FillInResult:
    checked: int = 0
    written: dict[int, dict] = field(default_factory=dict)  # contact id -> fields
    rejected: list[int] = field(default_factory=list)


def fill_in_profiles(store: ShopifyStore, limit: int = 250) -> FillInResult:
    """Fill missing Shopify profile fields for this store's pending contacts (D27).

    Reads each customer first (``CustomerForFillIn``) so the decision is made against
    Shopify's current values, then writes only the missing ones. A transient Shopify
    error leaves the contact pending for the next 15-minute pass.
    """
    result = FillInResult()
    if not store.push_profile or not may_write(store):
        return result
    pending = WritebackState.objects.filter(store=store, profile_pending=True).select_related(
        "contact"
    )[:limit]
    api = client_for(store)
    for state in pending:
        contact = state.contact
        try:
            fields = _fill_in_one(store, api, contact, result)
        except ShopifyAccessDenied as e:
            handle_access_denied(store, e)
            return result
        result.checked += 1
        state.profile_pending = False
        state.profile_checked_at = clock.now()
        state.save(update_fields=["profile_pending", "profile_checked_at"])
        if fields:
            result.written[contact.pk] = fields
    if result.written:
        from shoplink.integrations.shopify import status

        status.log_activity(
            store,
            WRITTEN,
            f"Filled in missing profile data for {count_customers(len(result.written))}",
            contacts=len(result.written),
        )
    return result


def _fill_in_one(store, api, contact: Contact, result: FillInResult) -> dict:
    data = api.graphql(queries.CUSTOMER_FOR_FILL_IN, queries.id_variables(customer_gid(contact)))
    customer = data.get("customer")
    if customer is None:
        # Deleted in Shopify (its webhook may not have arrived yet): nothing to fill,
        # but the merchant should see why this contact was skipped (D28).
        record_rejection(
            store,
            contact,
            "customerUpdate",
            [{"code": "NOT_FOUND", "message": "customer not found"}],
        )
        result.rejected.append(contact.pk)
        return {}
    fields = plan_fill_in(contact, customer)
    if not fields:
        return {}
    try:
        api.mutate(
            queries.CUSTOMER_UPDATE,
            queries.customer_update_variables(customer_gid(contact), fields),
            "customerUpdate",
        )
    except ShopifyUserError as e:
        record_rejection(store, contact, "customerUpdate", e.user_errors)
        result.rejected.append(contact.pk)
        return {}
    return fields


def preview_fill_in(store: ShopifyStore, limit: int = 25) -> list[dict]:
    """Return what the next fill-in pass would write, reading Shopify but writing nothing."""
    rows = []
    if not store.push_profile:
        return rows
    pending = WritebackState.objects.filter(store=store, profile_pending=True).select_related(
        "contact"
    )[:limit]
    api = client_for(store)
    for state in pending:
        data = api.graphql(
            queries.CUSTOMER_FOR_FILL_IN, queries.id_variables(customer_gid(state.contact))
        )
        fields = plan_fill_in(state.contact, data.get("customer"))
        if fields:
            rows.append({"contact": state.contact, "fields": fields})
    return rows


# --- signal receivers --------------------------------------------------------------


def on_local_profile_changed(sender=None, contact_ids=(), **kwargs) -> None:
    """Mark changed contacts pending and enqueue a fill-in for each affected store."""
    from shoplink.integrations.shopify import tasks_writeback
    from shoplink.queue.jobs import enqueue_on_commit

    contacts = list(Contact.objects.filter(id__in=list(contact_ids)).only("project_id", "source"))
    for (_, source), store in stores_for_contacts(contacts).items():
        if not store.push_profile or store.status not in WRITING_STATUSES:
            continue
        ids = [c.pk for c in contacts if c.source == source and c.project_id == store.project_id]
        if mark_profiles_pending(store, ids):
            enqueue_on_commit(tasks_writeback.fill_in_store_profiles, store.pk)


def on_local_consent_changed(sender=None, contact_id=None, channel="", state="", **kwargs):
    """Enqueue opt-out propagation for a local unsubscribe (only opt-outs, D21)."""
    from shoplink.integrations.shopify import tasks_writeback
    from shoplink.integrations.shopify.writeback_consent import CHANNEL_TOGGLES
    from shoplink.queue.jobs import enqueue_on_commit

    if state != ConsentState.UNSUBSCRIBED or channel not in CHANNEL_TOGGLES:
        return
    contact = Contact.objects.filter(pk=contact_id).only("project_id", "source").first()
    if contact is None:
        return
    store = stores_for_contacts([contact]).get((contact.project_id, contact.source))
    if store is None or not getattr(store, CHANNEL_TOGGLES[channel]):
        return
    enqueue_on_commit(tasks_writeback.push_opt_out, store.pk, contact.pk, channel)


# Connected at import (receivers.py imports this module once from ``ready``); the
# dispatch uids keep a re-import from connecting twice.
local_profile_changed.connect(on_local_profile_changed, dispatch_uid="shopify_writeback_profile")
local_consent_changed.connect(on_local_consent_changed, dispatch_uid="shopify_writeback_consent")
