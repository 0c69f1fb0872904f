"""Top-level URL map: each app mounts its own ``urls.py`` under a namespace."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("shoplink.api.urls")),
    path("commerce/", include("shoplink.commerce.urls")),
    path("integrations/endpoints/", include("shoplink.hooks.urls")),
    path("integrations/shopify/", include("shoplink.integrations.shopify.ui.urls")),
    path("", include("shoplink.projects.urls")),
    path("", include("shoplink.web.urls")),
]

handler403 = "shoplink.web.views.error_403"
handler404 = "shoplink.web.views.error_404"
handler500 = "shoplink.web.views.error_500"
