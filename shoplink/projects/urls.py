from django.urls import path

from shoplink.projects import views

app_name = "projects"

urlpatterns = [
    path("projects/new/", views.new_project, name="new"),
    path("members/", views.members, name="members"),
    path("members/invite/", views.invite, name="invite"),
    path("members/<int:user_id>/role/", views.change_role, name="change_role"),
    path("members/<int:user_id>/remove/", views.remove, name="remove"),
    path("members/invitations/<int:invitation_id>/cancel/", views.revoke, name="revoke"),
    path("invitations/accept/", views.accept, name="accept"),
    path("invitations/<str:token>/", views.invitation_link, name="invitation"),
]
