"""URLs of the Shopify integration (namespace ``shopify``)."""

from django.urls import path

from shoplink.integrations.shopify import views

app_name = "shopify"

urlpatterns = [
    path("", views.integrations, name="integrations"),
]
