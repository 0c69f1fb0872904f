"""Forms of the connect lifecycle: Store domain (D5) and the typed delete confirmation (D30)."""

from __future__ import annotations

from django import forms

from shoplink.integrations.shopify.api.domain import StoreDomainError, validate_store_domain


class ConnectStoreForm(forms.Form):
    """The "Connect Shopify store" drawer; the clean domain is ``<name>.myshopify.com``."""

    domain = forms.CharField(label="Store domain", required=False, max_length=300, strip=False)

    def clean_domain(self) -> str:
        try:
            return validate_store_domain(self.cleaned_data.get("domain"))
        except StoreDomainError as e:
            # The D5 messages are exact UI strings (the troubleshooting guide quotes them).
            raise forms.ValidationError(e.message) from e


class DeleteStoreForm(forms.Form):
    """D30: the user types the store domain to confirm an irreversible delete."""

    confirm_domain = forms.CharField(label="Type the store domain to confirm", required=False)

    def __init__(self, *args, store, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.store = store

    def clean_confirm_domain(self) -> str:
        typed = (self.cleaned_data.get("confirm_domain") or "").strip().lower()
        if typed != self.store.domain:
            raise forms.ValidationError(f"Type {self.store.domain} to confirm.")
        return typed
