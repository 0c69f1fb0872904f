"""Local development and the demo: generated secrets, DEBUG on."""

import os

from config.env import env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import SECRET_KEY as _SECRET_KEY

DEBUG = True
# The demo needs no configuration: these fixed, obviously-not-secret values are only for
# the embedded dev setup. Production (config.settings.prod) refuses to start without real ones.
SECRET_KEY = _SECRET_KEY or "dev-insecure-secret-key-do-not-use-in-production"
if not FIELD_ENCRYPTION_KEYS:  # noqa: F405
    FIELD_ENCRYPTION_KEYS = ["bGF6eS1kZXYta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE="]
if not SHOPIFY_API_KEY:  # noqa: F405
    SHOPIFY_API_KEY = "shoplink-demo"
if not SHOPIFY_API_SECRET:  # noqa: F405
    SHOPIFY_API_SECRET = "shoplink-demo-secret"
# Invitation emails go to the terminal running the demo, unless EMAIL_BACKEND says otherwise.
if not env_str("EMAIL_BACKEND", ""):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The demo's receivers run on this machine: plain HTTP to loopback is allowed here only.
if not os.environ.get("HOOKS_REQUIRE_HTTPS"):
    HOOKS_REQUIRE_HTTPS = False
if not HOOKS_ALLOWED_NETWORKS:  # noqa: F405
    HOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
# Serve static files straight from the apps (no collectstatic needed for the demo).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
