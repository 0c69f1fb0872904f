"""Operators can open the Django admin list page of every registered model."""

import pytest
from django.contrib import admin
from django.urls import reverse


@pytest.mark.django_db
def test_every_admin_changelist_opens(client, django_user_model):
    operator = django_user_model.objects.create_superuser("ops", password="pw-ops")
    client.force_login(operator)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_store_admin_never_shows_tokens(client, django_user_model, project):
    from shoplink.integrations.shopify.models import ShopifyStore

    store = ShopifyStore.objects.create(
        project=project, domain="ops-test.myshopify.com", access_token_enc="ENCRYPTED-MARKER"
    )
    client.force_login(django_user_model.objects.create_superuser("ops", password="pw-ops"))
    page = client.get(reverse("admin:shopify_shopifystore_change", args=[store.pk]))
    assert page.status_code == 200
    assert b"ENCRYPTED-MARKER" not in page.content


@pytest.mark.django_db
def test_admin_index_names_models_in_english(client, django_user_model):
    """Plurals a person would write: no "Activity entrys" or "Webhook deliverys"."""
    client.force_login(django_user_model.objects.create_superuser("ops", password="pw-ops"))
    page = client.get(reverse("admin:index")).content.decode()
    assert "Activity entries" in page and "Webhook deliveries" in page
    assert "entrys" not in page and "deliverys" not in page
