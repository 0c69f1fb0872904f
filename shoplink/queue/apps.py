from django.apps import AppConfig


class QueueConfig(AppConfig):
    name = "shoplink.queue"
    label = "queue"
