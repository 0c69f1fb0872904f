"""Settings for ``bench/webhooks.py``: production settings plus one baseline route.

``DJANGO_SETTINGS_MODULE=webhooks_app`` (with ``bench/`` on the path) serves the real
``config.wsgi`` application. The only additions: ``/bench/ok`` (``webhooks_urls``), a
minimal Django view returning 200 that the receiver is compared with; tables built from
the models (the benchmark does not depend on migration files); the shipped Huey
consumer (``WORKER_THREADS`` threads) polling briskly, so event latency measures our
work rather than an idle back-off; and, with
``BENCH_QUEUE_FSYNC=0``, a queue that does not fsync every enqueue (see
docs/performance.md: the delivery row is the durable record, the sweeper re-enqueues).
"""

import os

from config.settings.prod import *  # noqa: F403

ROOT_URLCONF = "webhooks_urls"
# Every app's label is the last part of its dotted path (each AppConfig says so).
MIGRATION_MODULES = {app.rsplit(".", 1)[-1]: None for app in INSTALLED_APPS}  # noqa: F405
# The shipped consumer (its threads, WORKER_THREADS), polling briskly.
HUEY["consumer"].update(initial_delay=0.005, backoff=1.05, max_delay=0.05)  # noqa: F405
if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])  # noqa: F405
if os.environ.get("BENCH_QUEUE_FSYNC", "1") == "0":
    HUEY["fsync"] = False  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
