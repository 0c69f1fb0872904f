from django.apps import AppConfig


class AudienceConfig(AppConfig):
    name = "shoplink.audience"
    label = "audience"
