"""Settings for ``bench/webhooks.py``: production settings plus one baseline route.

``DJANGO_SETTINGS_MODULE=webhooks_app`` (with ``bench/`` on the path) serves the real
``config.wsgi`` application. The only additions: ``/bench/ok`` (``webhooks_urls``), a
minimal Django view returning 200 that the receiver is compared with; tables built from
the models (the benchmark does not depend on migration files); a Huey consumer that polls
briskly, so event latency measures our work rather than an idle back-off; and, with
``BENCH_QUEUE_FSYNC=0``, a queue that does not fsync every enqueue (see
docs/performance.md: the delivery row is the durable record, the sweeper re-enqueues).
"""

import os

from config.settings.prod import *  # noqa: F403

ROOT_URLCONF = "webhooks_urls"
MIGRATION_MODULES = {
    label: None
    for label in (
        "admin",
        "auth",
        "contenttypes",
        "sessions",
        "messages",
        "staticfiles",
        "djhuey",
        "core",
        "projects",
        "audience",
        "commerce",
        "events",
        "queue",
        "web",
        "api",
        "shopify",
    )
}
HUEY["consumer"] = {  # noqa: F405
    "workers": 2,
    "worker_type": "thread",
    "initial_delay": 0.005,
    "backoff": 1.05,
    "max_delay": 0.05,
}
if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])  # noqa: F405
if os.environ.get("BENCH_QUEUE_FSYNC", "1") == "0":
    HUEY["fsync"] = False  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
