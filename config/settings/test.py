"""Test settings: fast hashing, immediate queue by default, per-run data directory."""

import os
import tempfile

# A private data directory per test run so parallel runs never share a database or queue.
os.environ.setdefault("SHOPLINK_DATA_DIR", tempfile.mkdtemp(prefix="shoplink-test-"))

from config.settings.dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY["immediate"] = os.environ.get("HUEY_IMMEDIATE", "1") != "0"  # noqa: F405
SHOPIFY_API_KEY = "shoplink-test"
SHOPIFY_API_SECRET = "shoplink-test-secret"
FIELD_ENCRYPTION_KEYS = ["dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMTIzNDU="]
# Quiet by default; a test reading a worker's INFO lines starts it with TEST_LOG_LEVEL=INFO.
LOGGING["root"]["level"] = os.environ.get("TEST_LOG_LEVEL", "WARNING")  # noqa: F405
# A file (not in-memory) test database so a real worker or server process started by a
# test sees the same data as the test itself.
DATABASES["default"].setdefault("TEST", {})  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # One test database name per run, so two runs on one server never collide
    # (pytest-django adds the xdist worker suffix and drops it afterwards).
    DATABASES["default"]["TEST"]["NAME"] = "test_shoplink_" + os.path.basename(  # noqa: F405
        os.environ["SHOPLINK_DATA_DIR"]
    ).replace("-", "_")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"]["NAME"] = os.path.join(  # noqa: F405
        os.environ["SHOPLINK_DATA_DIR"], "test.sqlite3"
    )
# The webhook inbox's own SQLite file (core/dbrouter.py), a test file beside the other.
if "inbox" in DATABASES:  # noqa: F405
    DATABASES["inbox"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["SHOPLINK_DATA_DIR"], "test-inbox.sqlite3")
    }
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
# The live server has a thread per request; a browser test's event streams (ADR 0056)
# must not be refused because an earlier test's closed tab still holds a slot.
LIVE_MAX_STREAMS = 50
# Short streams with a heartbeat a second, so a closed test browser's stream ends (and
# lets its database connection go) soon after the test.
LIVE_STREAM_SECONDS = 10
LIVE_HEARTBEAT_SECONDS = 1
WHITENOISE_AUTOREFRESH = True
# Queue names per run, so parallel runs sharing one Redis never take each other's jobs.
# xdist workers inherit the controller's data directory, so the worker id is part of the
# name (and of the SQLite queue file): one worker's consumer never takes another's jobs.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
HUEY["name"] = f"shoplink-test-{os.path.basename(os.environ['SHOPLINK_DATA_DIR'])}-{_WORKER}"  # noqa: F405
if "filename" in HUEY:  # noqa: F405
    HUEY["filename"] = os.path.join(os.environ["SHOPLINK_DATA_DIR"], f"queue-{_WORKER}.sqlite3")  # noqa: F405
# A worker or server subprocess started by a test uses the test's own database: the
# ``worker_env`` fixture passes the live test database name here.
if os.environ.get("SHOPLINK_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["SHOPLINK_TEST_DB_NAME"]  # noqa: F405
    DATABASES["default"]["TEST"]["NAME"] = os.environ["SHOPLINK_TEST_DB_NAME"]  # noqa: F405
if os.environ.get("SHOPLINK_TEST_INBOX_DB_NAME") and "inbox" in DATABASES:  # noqa: F405
    DATABASES["inbox"]["NAME"] = os.environ["SHOPLINK_TEST_INBOX_DB_NAME"]  # noqa: F405
    DATABASES["inbox"]["TEST"]["NAME"] = os.environ["SHOPLINK_TEST_INBOX_DB_NAME"]  # noqa: F405
