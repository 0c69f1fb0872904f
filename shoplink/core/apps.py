from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shoplink.core"
    label = "core"
