"""Pure write-back decisions (no DB, no Shopify): fill-in plan, metafield values, batching."""

from __future__ import annotations

import datetime as dt

from shoplink.audience.models import Contact
from shoplink.integrations.shopify.writeback.engagement import (
    Pending,
    _rejected,
    batches,
    engagement_values,
    metafield_inputs,
)
from shoplink.integrations.shopify.writeback.profile import is_missing, plan_fill_in

UTC = dt.UTC


def contact(**fields) -> Contact:
    return Contact(external_id="42", **fields)


def test_missing_means_absent_empty_or_whitespace():
    assert is_missing(None) and is_missing("") and is_missing("  \t")
    assert not is_missing("0") and not is_missing(" x ")


def test_fill_in_writes_only_fields_shopify_lacks():
    ours = contact(first_name="Ada", last_name="Local", phone="+14155550100")
    theirs = {
        "firstName": " ",
        "lastName": "Shopify",
        "defaultPhoneNumber": None,
        "defaultAddress": {"address1": "1 Main St", "city": "Paris"},
    }
    assert plan_fill_in(ours, theirs) == {"firstName": "Ada", "phone": "+14155550100"}


def test_fill_in_never_sends_our_blank_values():
    ours = contact(first_name="", last_name="  ")
    assert plan_fill_in(ours, {"firstName": None, "lastName": ""}) == {}


def test_default_address_is_written_whole_only_when_shopify_has_none():
    ours = contact(address1="5 Rue X", city="Lyon", zip="69001", country="fr", province="")
    assert plan_fill_in(ours, {"defaultAddress": None})["addresses"] == [
        {"address1": "5 Rue X", "city": "Lyon", "zip": "69001", "countryCode": "FR"}
    ]
    empty = {"defaultAddress": {"address1": "", "city": None, "zip": " "}}
    assert "addresses" in plan_fill_in(ours, empty)
    partial = {"defaultAddress": {"address1": "", "city": "Paris"}}
    assert "addresses" not in plan_fill_in(ours, partial)  # never patch someone else's address


def test_country_names_are_not_sent_as_codes():
    ours = contact(address1="1 King St", city="Toronto", country="Canada", province="ON")
    [address] = plan_fill_in(ours, {})["addresses"]
    assert "countryCode" not in address and "provinceCode" not in address


def test_an_unknown_customer_gets_no_plan():
    assert plan_fill_in(contact(first_name="Ada"), None) == {}


def test_engagement_values_use_the_latest_time_in_utc_and_the_count():
    c = contact(attributes={"shopify_rfm_segment": "at_risk"})
    stats = {
        "email_opened": {"last": dt.datetime(2026, 11, 30, 10, 0, 5, 900, tzinfo=UTC), "count": 2},
        "sms_clicked": {
            "last": dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "count": 1,
        },
        "message_sent": {"last": dt.datetime(2026, 11, 1, tzinfo=UTC), "count": 7},
    }
    assert engagement_values(c, stats) == {
        "last_email_open_at": "2026-11-30T10:00:05",
        "last_sms_click_at": "2026-11-30T07:00:00",
        "rfm_segment": "at_risk",
        "total_messages_sent": "7",
    }


def test_a_contact_with_no_engagement_and_no_segment_has_no_values():
    assert engagement_values(contact(attributes={"shopify_rfm_segment": None}), {}) == {}


def test_a_segment_alone_is_written_with_a_zero_message_count():
    values = engagement_values(contact(attributes={"shopify_rfm_segment": "champions"}), {})
    assert values == {"rfm_segment": "champions", "total_messages_sent": "0"}


def test_metafield_inputs_carry_namespace_type_and_owner():
    [m] = metafield_inputs(contact(), {"total_messages_sent": "3"})
    assert m == {
        "ownerId": "gid://shopify/Customer/42",
        "namespace": "$app:engagement",
        "key": "total_messages_sent",
        "type": "number_integer",
        "value": "3",
    }


def item(n_values: int) -> Pending:
    return Pending(contact(), {f"k{i}": "v" for i in range(n_values)}, "h")


def test_batches_hold_at_most_25_metafields_and_never_split_a_customer():
    items = [item(5)] * 5 + [item(4)] * 3 + [item(1)]
    groups = list(batches(items))
    sizes = [sum(len(i.values) for i in g) for g in groups]
    assert all(s <= 25 for s in sizes)
    assert sizes == [25, 13]
    assert sum(len(g) for g in groups) == len(items)


def test_user_errors_are_pinned_on_customers_by_element_index():
    a, b = item(2), item(2)
    owners = [a, a, b, b]
    errors = [{"elementIndex": 3, "message": "Owner does not exist."}]
    assert _rejected(errors, owners, [a, b]) == {b: errors}
    # without a usable index the whole batch is rejected rather than retried forever
    assert _rejected([{"message": "boom"}], owners, [a, b]) == {
        a: [{"message": "boom"}],
        b: [{"message": "boom"}],
    }
