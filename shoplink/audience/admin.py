"""Django admin for operators: contacts, lists and consent (edits go through services)."""

from django.contrib import admin

from shoplink.audience.models import Consent, Contact, ContactList


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    readonly_fields = [
        "channel",
        "state",
        "state_source",
        "source_state",
        "source_opted_out",
        "opt_in_level",
        "collected_from",
        "consent_updated_at",
    ]
    can_delete = False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "external_id", "email", "first_name", "last_name", "source"]
    list_filter = ["project", "source", "deleted_in_source"]
    search_fields = ["external_id", "email", "first_name", "last_name", "phone"]
    list_select_related = ["project"]
    inlines = [ConsentInline]


@admin.register(ContactList)
class ContactListAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "size", "created_by_source", "created_at"]
    list_filter = ["project"]
    readonly_fields = ["size"]
