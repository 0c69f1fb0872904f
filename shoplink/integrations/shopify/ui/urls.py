"""URLs of the Shopify integration (namespace ``shopify``)."""

from django.urls import path

from shoplink.integrations.shopify.ui.views import activity, live, stores, sync, writeback
from shoplink.integrations.shopify.webhooks import receiver

app_name = "shopify"

urlpatterns = [
    path("stores/<int:store_id>/sync/", sync.sync_settings_drawer, name="sync_settings"),
    path("stores/<int:store_id>/sync/status/", sync.sync_status, name="sync_status"),
    path("stores/<int:store_id>/sync/toggle/", sync.sync_toggle, name="sync_toggle"),
    path("stores/<int:store_id>/sync/list/", sync.sync_list, name="sync_list"),
    path("stores/<int:store_id>/sync/start/", sync.sync_start, name="sync_start"),
    path("stores/<int:store_id>/sync/retry/<str:entity>/", sync.sync_retry, name="sync_retry"),
    path("", stores.integrations, name="integrations"),
    path("live/", live.stream, name="live"),
    path("callback", stores.callback, name="callback"),
    path("connect/", stores.connect_platform, name="connect_platform"),
    path("connect/shopify/", stores.connect_store, name="connect"),
    path("stores/<int:store_id>/card/", stores.store_card, name="store_card"),
    path("stores/<int:store_id>/details/", stores.store_details, name="store_details"),
    path("stores/<int:store_id>/health/", stores.check_health, name="check_health"),
    path("stores/<int:store_id>/reconnect/", stores.reconnect, name="reconnect"),
    path("stores/<int:store_id>/disconnect/", stores.disconnect, name="disconnect"),
    path("stores/<int:store_id>/delete/", stores.delete, name="delete"),
    path("webhooks", receiver.receive, name="webhooks"),
    path(
        "stores/<int:store_id>/privacy-exports/<int:entry_id>/",
        activity.privacy_export,
        name="privacy_export",
    ),
    path("stores/<int:store_id>/activity/", activity.activity, name="activity"),
    path(
        "stores/<int:store_id>/writeback/",
        writeback.writeback_preview_view,
        name="writeback_preview",
    ),
]
