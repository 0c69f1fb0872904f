"""The endpoint form: a URL, a description and the events to push (none ticked = all)."""

from __future__ import annotations

from django import forms

# The event names of EVENTS.md (the Shopify integration's 19) and the engagement events
# the JSON API accepts; names already in the project's log are offered as well.
KNOWN_EVENTS = (
    "shopify_checkout_abandoned",
    "shopify_checkout_started",
    "shopify_customer_created",
    "shopify_customer_deleted",
    "shopify_customer_updated",
    "shopify_email_consent_updated",
    "shopify_fulfillment_created",
    "shopify_fulfillment_updated",
    "shopify_order_cancelled",
    "shopify_order_fulfilled",
    "shopify_order_paid",
    "shopify_order_partially_fulfilled",
    "shopify_order_placed",
    "shopify_order_refunded",
    "shopify_order_updated",
    "shopify_ordered_product",
    "shopify_product_updated",
    "shopify_shipment_status",
    "shopify_sms_consent_updated",
)


class EndpointForm(forms.Form):
    url = forms.CharField(label="Endpoint URL", max_length=1000)
    description = forms.CharField(label="Description", max_length=200, required=False)
    event_names = forms.MultipleChoiceField(
        label="Events", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, names=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = sorted(set(KNOWN_EVENTS) | set(names))
        self.fields["event_names"].choices = [(n, n) for n in choices]
