"""Django admin for operators: commerce records (read-only; they mirror the source)."""

from django.contrib import admin

from shoplink.commerce.models import Cart, Checkout, Collection, Order, Product


class ReadOnly(admin.ModelAdmin):
    list_filter = ["project", "source"]
    search_fields = ["external_id"]
    list_select_related = ["project"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnly):
    list_display = [
        "name",
        "project",
        "source",
        "financial_status",
        "current_total_price",
        "currency",
        "source_created_at",
    ]
    search_fields = ["external_id", "name", "email"]


@admin.register(Checkout)
class CheckoutAdmin(ReadOnly):
    list_display = [
        "external_id",
        "project",
        "source",
        "email",
        "completed_at",
        "abandoned_event_at",
    ]


@admin.register(Cart)
class CartAdmin(ReadOnly):
    list_display = ["external_id", "project", "source", "total_price"]


@admin.register(Product)
class ProductAdmin(ReadOnly):
    list_display = ["title", "project", "source", "status", "price_min", "price_max"]
    search_fields = ["external_id", "title", "handle"]


@admin.register(Collection)
class CollectionAdmin(ReadOnly):
    list_display = ["title", "project", "source"]
