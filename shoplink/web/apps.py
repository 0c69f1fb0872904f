from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "shoplink.web"
    label = "web"
