from django.apps import AppConfig


class HooksConfig(AppConfig):
    name = "shoplink.hooks"
    label = "hooks"
    verbose_name = "Event push to the platform"

    def ready(self) -> None:
        from shoplink.events.signals import events_recorded
        from shoplink.hooks import tasks
        from shoplink.hooks.signals import endpoint_woken
        from shoplink.queue.jobs import register_sweeper

        events_recorded.connect(tasks.wake_on_events, dispatch_uid="hooks.wake_on_events")
        endpoint_woken.connect(tasks.wake_endpoint, dispatch_uid="hooks.wake_endpoint")
        register_sweeper(tasks.sweep)
