from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "shoplink.events"
    label = "events"
