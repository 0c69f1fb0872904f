"""Data to Shopify: profile fill-in (D27).

Owns which contacts are owed a profile write, the pure decision of what to write
(:func:`plan_fill_in`), and the writes themselves with their rejection handling (D28).
The rules every write shares are in ``rules.py``; ``jobs/writeback.py`` calls the verbs
here, and ``receivers.py`` marks contacts pending when their local profile changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from shoplink.audience.models import Contact
from shoplink.core import clock
from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.api.errors import ShopifyAccessDenied, ShopifyUserError
from shoplink.integrations.shopify.connection import access, status
from shoplink.integrations.shopify.models import ShopifyStore, WritebackState
from shoplink.integrations.shopify.writeback.rules import (
    WRITTEN,
    count_customers,
    customer_gid,
    handle_access_denied,
    may_write,
    record_rejection,
    store_contacts,
)

# Our contact field -> CustomerInput field, for the scalar fields fill-in may write.
PROFILE_FIELDS = {"first_name": "firstName", "last_name": "lastName", "phone": "phone"}
# Our address fields -> MailingAddressInput fields. MailingAddressInput only takes ISO
# codes for country and province (no free-text names), so those two are written only
# when our value already is a code.
ADDRESS_FIELDS = {"address1": "address1", "address2": "address2", "city": "city", "zip": "zip"}


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
    api = access.client_for(store)
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
    api = access.client_for(store)
    for state in pending:
        data = api.graphql(
            queries.CUSTOMER_FOR_FILL_IN, queries.id_variables(customer_gid(state.contact))
        )
        fields = plan_fill_in(state.contact, data.get("customer"))
        if fields:
            rows.append({"contact": state.contact, "fields": fields})
    return rows
