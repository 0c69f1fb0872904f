"""Django admin for operators: the event log (read-only)."""

from django.contrib import admin

from shoplink.events.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "name", "contact_external_id", "occurred_at", "recorded_at"]
    list_filter = ["project", "name"]
    search_fields = ["idempotency_key", "contact_external_id"]
    list_select_related = ["project"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
