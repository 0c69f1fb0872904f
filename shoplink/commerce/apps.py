from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "shoplink.commerce"
    label = "commerce"
