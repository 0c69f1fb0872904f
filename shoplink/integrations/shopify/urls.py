"""URLs of the Shopify integration (namespace ``shopify``)."""

from django.urls import path

from shoplink.integrations.shopify import views, views_sync, views_webhooks, webhooks
from shoplink.integrations.shopify.views_writeback import writeback_preview_view

app_name = "shopify"

urlpatterns = [
    path("stores/<int:store_id>/sync/", views_sync.sync_settings_drawer, name="sync_settings"),
    path("stores/<int:store_id>/sync/status/", views_sync.sync_status, name="sync_status"),
    path("stores/<int:store_id>/sync/toggle/", views_sync.sync_toggle, name="sync_toggle"),
    path("stores/<int:store_id>/sync/list/", views_sync.sync_list, name="sync_list"),
    path("stores/<int:store_id>/sync/start/", views_sync.sync_start, name="sync_start"),
    path(
        "stores/<int:store_id>/sync/retry/<str:entity>/", views_sync.sync_retry, name="sync_retry"
    ),
    path("", views.integrations, name="integrations"),
    path("callback", views.callback, name="callback"),
    path("connect/", views.connect_platform, name="connect_platform"),
    path("connect/shopify/", views.connect_store, name="connect"),
    path("stores/<int:store_id>/card/", views.store_card, name="store_card"),
    path("stores/<int:store_id>/details/", views.store_details, name="store_details"),
    path("stores/<int:store_id>/health/", views.check_health, name="check_health"),
    path("stores/<int:store_id>/reconnect/", views.reconnect, name="reconnect"),
    path("stores/<int:store_id>/disconnect/", views.disconnect, name="disconnect"),
    path("stores/<int:store_id>/delete/", views.delete, name="delete"),
    path("webhooks", webhooks.receive, name="webhooks"),
    path(
        "stores/<int:store_id>/privacy-exports/<int:entry_id>/",
        views_webhooks.privacy_export,
        name="privacy_export",
    ),
    path("stores/<int:store_id>/activity/", views_webhooks.activity, name="activity"),
    path("stores/<int:store_id>/writeback/", writeback_preview_view, name="writeback_preview"),
]
