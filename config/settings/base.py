"""Settings shared by every environment, read from the environment once at start-up.

See ``docs/configuration.md`` for every variable. Application code reads
``django.conf.settings`` lazily (inside functions), never at import time.
"""

from __future__ import annotations

import urllib.parse

import dj_database_url

from config.env import (
    BASE_DIR,
    data_dir,
    env_bool,
    env_deadline,
    env_int,
    env_list,
    env_str,
)

SECRET_KEY = env_str("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or ["127.0.0.1", "localhost", "[::1]"]

APP_URL = env_str("APP_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [APP_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "shoplink.core",
    "shoplink.projects",
    "shoplink.audience",
    "shoplink.commerce",
    "shoplink.events",
    "shoplink.queue",
    "shoplink.web",
    "shoplink.api",
    "shoplink.hooks",
    "shoplink.integrations.shopify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shoplink.core.middleware.RejectNulBytes",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shoplink.projects.middleware.CurrentProjectMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shoplink.projects.context_processors.current_project",
            ],
        },
    },
]

# --- Database: SQLite in WAL mode under the data directory unless DATABASE_URL is set.
DATABASE_URL = env_str("DATABASE_URL", "")
DATABASE_POOL = env_bool("DATABASE_POOL", True)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASE_POOL and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # psycopg's pool (ADR 0052): each thread borrows a connection per request or job
        # and hands it back, instead of one persistent connection per thread. Django
        # refuses a pool next to persistent connections, so CONN_MAX_AGE is 0 here.
        # max_size covers one process's threads (gunicorn --threads, WORKER_THREADS)
        # with room for the odd extra; the total across processes must stay below the
        # server's max_connections (docs/configuration.md).
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 8),
            # A web process waits less: Shopify gives a delivery 5 s in all (PLATFORM.md
            # §2.2), and a receiver thread held 10 s by an unreachable server answered
            # nothing while the deliveries piled up behind it (docs/performance.md,
            # "Storm", session 7); a quick 5xx makes Shopify retry instead. Workers keep
            # the longer wait: a job that fails is retried, but later.
            "timeout": env_int(
                "DATABASE_POOL_TIMEOUT", 3 if env_str("SHOPLINK_PROCESS", "") == "web" else 10
            ),
            "max_idle": 300,
            # psycopg's pool retries a failed connect after 1, 2, 4, 8 s…: after a 10 s
            # outage it stayed away up to 5 s longer than the server did. Giving up every
            # 5 s lets the next request start again at 1 s, so it is back within ~2 s.
            "reconnect_timeout": 5,
        }
        # libpq's own default is to wait for the operating system (minutes on a host that
        # drops packets); the pool retries a failed connect on its own.
        options.setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3))
else:

    def _sqlite(filename: str) -> dict:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(data_dir() / filename),
            # Reuse each thread's connection: opening one (and running the PRAGMAs) costs
            # more than the webhook receiver's whole INSERT (bench/webhooks.py).
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL lets the web process read while a worker writes; IMMEDIATE makes
                # writers queue on the lock instead of failing mid-transaction.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }

    # The webhook inbox in a file of its own, so a receiver's INSERT never waits for a
    # worker's write transaction on the main file (core/dbrouter.py, ADR 0057).
    DATABASES = {"default": _sqlite("shoplink.sqlite3"), "inbox": _sqlite("inbox.sqlite3")}
DATABASE_ROUTERS = ["shoplink.core.dbrouter.InboxRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Queue: Huey on SQLite by default, Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)


def _redis_url(url: str) -> str:
    """``url`` with bounded socket timeouts unless it sets its own (redis-py URL options).

    The receiver enqueues a drain inside Shopify's 5 s (PLATFORM.md §2.2): a Redis that
    accepts but does not answer must fail the request in time for a quick 5xx. 3 s stays
    above the consumer's blocking pop (Huey's ``read_timeout``, 1 s).
    """
    defaults = {"socket_connect_timeout": "1", "socket_timeout": "3"}
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query = {**defaults, **query}
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("HUEY_NAME", "shoplink"),
        "url": _redis_url(REDIS_URL),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env_int("WORKER_THREADS", 4), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": env_str("HUEY_NAME", "shoplink"),
        "filename": str(data_dir() / "queue.sqlite3"),
        # No fsync per enqueue: the database row is the durable record and the sweeper
        # re-enqueues whatever is pending, so a queue entry lost to a power cut only delays.
        "fsync": False,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env_int("WORKER_THREADS", 4), "worker_type": "thread"},
    }

# Consumer job threads run at this niceness (0 = as the web process): on a machine
# shared with the web process, the webhook receiver gets the CPU first and answers
# Shopify within milliseconds while a drain or an import runs. Measured on PostgreSQL
# (busy ack p99 40-71 ms at 0, 22-37 ms at 10); on SQLite the receiver never waits for
# the worker (own inbox file) and the lower priority only delayed events at high load
# (docs/performance.md, webhooks, session 7), so there it defaults to 0.
WORKER_NICE = env_int(
    "WORKER_NICE", 10 if DATABASES["default"]["ENGINE"].endswith("postgresql") else 0
)

# --- Monitoring: /metrics (Prometheus text) is served only with this bearer token set.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

# --- Token encryption (MultiFernet; newest key first).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")

# --- Events pushed to the platform's endpoints (shoplink/hooks, ADR 0030).
HOOKS_REQUIRE_HTTPS = env_bool("HOOKS_REQUIRE_HTTPS", True)
# CIDRs that may receive pushes although private/loopback/link-local (refused otherwise).
HOOKS_ALLOWED_NETWORKS = env_list("HOOKS_ALLOWED_NETWORKS")
HOOKS_TIMEOUT_SECONDS = env_int("HOOKS_TIMEOUT_SECONDS", 5)
HOOKS_RETRY_WINDOW_SECONDS = env_int("HOOKS_RETRY_WINDOW_SECONDS", 24 * 3600)
HOOKS_LOG_DAYS = env_int("HOOKS_LOG_DAYS", 14)

# --- Shopify app.
SHOPIFY_API_KEY = env_str("SHOPIFY_API_KEY", "")
SHOPIFY_API_SECRET = env_str("SHOPIFY_API_SECRET", "")
# During a client-secret rotation the previous secret is accepted (OAuth and webhooks)
# until this ISO time; set without a valid time, start-up stops with how to write it.
SHOPIFY_API_SECRET_PREVIOUS = env_str("SHOPIFY_API_SECRET_PREVIOUS", "")
SHOPIFY_API_SECRET_PREVIOUS_UNTIL = env_deadline(
    "SHOPIFY_API_SECRET_PREVIOUS_UNTIL", needed_by="SHOPIFY_API_SECRET_PREVIOUS"
)
SHOPIFY_API_VERSION = env_str("SHOPIFY_API_VERSION", "2026-10")
# Unset: real Shopify (https://{shop}). Set, e.g. http://127.0.0.1:8081/{shop}: the simulator.
SHOPIFY_BASE_URL = env_str("SHOPIFY_BASE_URL", "https://{shop}")
SHOPIFY_EXTRA_SCOPES = env_list("SHOPIFY_EXTRA_SCOPES")
SHOPIFY_HTTP_TIMEOUT = float(env_str("SHOPIFY_HTTP_TIMEOUT", "30"))
# Retries of a throttled or failing Shopify call (pacing.py): attempts, backoff base, cap.
SHOPIFY_RETRY_ATTEMPTS = env_int("SHOPIFY_RETRY_ATTEMPTS", 4)
SHOPIFY_RETRY_BASE_DELAY = float(env_str("SHOPIFY_RETRY_BASE_DELAY", "0.5"))
SHOPIFY_RETRY_MAX_DELAY = float(env_str("SHOPIFY_RETRY_MAX_DELAY", "20"))
# Bulk sync (sync.py, sync_bulk.py, lease.py): rows per committed batch, how long one
# job waits on a bulk operation, the re-poll delay after that, the importer lease.
SHOPIFY_SYNC_BATCH_SIZE = env_int("SHOPIFY_SYNC_BATCH_SIZE", 1000)
# A part of more than one batch is downloaded, parsed and mapped in a forked reader
# process while the worker writes (ADR 0053); false keeps both in the worker. On by
# default where the worker waits on a database server (PostgreSQL); off on SQLite, where
# the writes are the worker's own CPU and the reader measured slower on two cores.
SHOPIFY_SYNC_READER_PROCESS = env_bool(
    "SHOPIFY_SYNC_READER_PROCESS", DATABASES["default"]["ENGINE"].endswith("postgresql")
)
# Reader processes per large part when the reader is on: the first forks the others
# after its index pass and each maps every n-th batch (ADR 0090). 1 by default: on the
# 2-core bench machine a second reader measured no faster (docs/performance.md).
SHOPIFY_SYNC_READERS = env_int("SHOPIFY_SYNC_READERS", 1)
SHOPIFY_BULK_POLL_SECONDS = float(env_str("SHOPIFY_BULK_POLL_SECONDS", "60"))
SHOPIFY_BULK_REPOLL_SECONDS = env_int("SHOPIFY_BULK_REPOLL_SECONDS", 15)
SHOPIFY_SYNC_LEASE_SECONDS = env_int("SHOPIFY_SYNC_LEASE_SECONDS", 300)
# Live updates of the Integrations page (ADR 0056): event streams per web process (each
# holds one of gunicorn's threads; past this the page polls), a stream's life in seconds
# (the browser then reconnects), how often a stream reads what changed, and how long a
# quiet stream waits before a heartbeat (a write is what finds a closed tab).
LIVE_MAX_STREAMS = env_int("LIVE_MAX_STREAMS", 2)
LIVE_STREAM_SECONDS = env_int("LIVE_STREAM_SECONDS", 40)
LIVE_TICK_SECONDS = float(env_str("LIVE_TICK_SECONDS", "1"))
LIVE_HEARTBEAT_SECONDS = env_int("LIVE_HEARTBEAT_SECONDS", 10)

# --- Email: invitations to projects. SMTP in production; the dev settings print to the console.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Shoplink <shoplink@localhost>")
# Days an invitation link to a project stays valid (it also works only once).
INVITATION_DAYS = env_int("INVITATION_DAYS", 7)

# Retention (webhooks/retention.py, nightly): finished webhook deliveries, Activity
# entries, and the content of customers/data_request exports, in days.
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 14)
ACTIVITY_RETENTION_DAYS = env_int("ACTIVITY_RETENTION_DAYS", 90)
PRIVACY_EXPORT_RETENTION_DAYS = env_int("PRIVACY_EXPORT_RETENTION_DAYS", 30)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = str(data_dir() / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = str(data_dir() / "media")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Its own handler and no propagation: `run_huey` adds a second handler to the
        # "huey" logger when it has none, which printed every worker line twice.
        "huey": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "httpx": {"level": "WARNING"},
    },
}

BASE_PATH = BASE_DIR
