from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "shoplink.api"
    label = "api"
