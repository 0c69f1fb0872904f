"""Django admin for operators: stores, health checks and the webhook inbox.

Credentials are never shown: the encrypted token fields are excluded.
"""

from django.contrib import admin

from shoplink.integrations.shopify.models import (
    ActivityEntry,
    EntitySync,
    HealthCheck,
    ShopifyStore,
    SyncRun,
    WebhookDelivery,
)


class EntitySyncInline(admin.TabularInline):
    model = EntitySync
    extra = 0
    fields = ["entity", "state", "done", "total", "last_synced_at", "progress_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(ShopifyStore)
class ShopifyStoreAdmin(admin.ModelAdmin):
    list_display = ["domain", "project", "status", "last_bulk_sync_at", "last_webhook_at"]
    list_filter = ["status", "project"]
    search_fields = ["domain", "name"]
    exclude = ["access_token_enc", "refresh_token_enc"]
    readonly_fields = ["status", "granted_scopes", "readiness", "last_failure"]
    inlines = [EntitySyncInline]


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ["store", "kind", "started_at", "finished_at", "outcome"]
    list_filter = ["kind", "outcome"]


@admin.register(HealthCheck)
class HealthCheckAdmin(admin.ModelAdmin):
    list_display = ["store", "trigger", "started_at", "passed"]
    list_filter = ["passed", "trigger"]


@admin.register(ActivityEntry)
class ActivityEntryAdmin(admin.ModelAdmin):
    list_display = ["store", "at", "kind", "message"]
    list_filter = ["kind"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["webhook_id", "topic", "shop_domain", "state", "received_at", "processed_at"]
    list_filter = ["state", "topic"]
    search_fields = ["webhook_id", "shop_domain"]
    exclude = ["body"]  # may hold customer data until processed
