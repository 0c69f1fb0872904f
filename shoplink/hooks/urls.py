"""Event push pages, mounted at ``/integrations/endpoints/`` (namespace ``hooks``)."""

from django.urls import path

from shoplink.hooks import views

app_name = "hooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoints"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="endpoint"),
    path(
        "<int:endpoint_id>/<str:action>/",
        views.endpoint_action,
        name="endpoint_action",
    ),
]
