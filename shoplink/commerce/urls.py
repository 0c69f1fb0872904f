"""Commerce pages, mounted at ``/commerce/`` under the ``commerce`` namespace."""

from django.urls import path

from shoplink.commerce import views

app_name = "commerce"

urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("products/", views.product_list, name="products"),
    path("products/<int:product_id>/", views.product_detail, name="product"),
    path("collections/", views.collection_list, name="collections"),
    path("collections/<int:collection_id>/", views.collection_detail, name="collection"),
    path("checkouts/", views.checkout_list, name="checkouts"),
    path("checkouts/<int:checkout_id>/", views.checkout_detail, name="checkout"),
    path("carts/", views.cart_list, name="carts"),
]
