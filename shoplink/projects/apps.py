from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "shoplink.projects"
    label = "projects"
