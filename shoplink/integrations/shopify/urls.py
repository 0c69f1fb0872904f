"""URLs of the Shopify integration (namespace ``shopify``)."""

from django.urls import path

from shoplink.integrations.shopify import views, views_webhooks, webhooks

app_name = "shopify"

urlpatterns = [
    path("", views.integrations, name="integrations"),
    path("webhooks", webhooks.receive, name="webhooks"),
    path(
        "stores/<int:store_id>/privacy-exports/<int:entry_id>/",
        views_webhooks.privacy_export,
        name="privacy_export",
    ),
    path("stores/<int:store_id>/activity/", views_webhooks.activity, name="activity"),
]
