"""Local development and the demo: generated secrets, DEBUG on."""

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
# Serve static files straight from the apps (no collectstatic needed for the demo).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
