from django.contrib.auth import views as auth_views
from django.urls import path

from shoplink.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("projects/switch/", views.switch_project, name="switch_project"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/segments/", views.segment_map, name="segments"),
    path("contacts/<int:contact_id>/", views.contact_detail, name="contact"),
    path("contacts/<int:contact_id>/timeline/", views.contact_timeline, name="contact_timeline"),
    path("lists/", views.list_index, name="lists"),
    path("lists/<int:list_id>/", views.list_detail, name="list"),
    path("events/", views.event_list, name="events"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("metrics", views.metrics, name="metrics"),
]
