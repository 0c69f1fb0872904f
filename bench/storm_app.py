"""Settings for ``bench/storm.py``: production settings, quiet logs, cookies over plain HTTP.

``DJANGO_SETTINGS_MODULE=storm_app`` (with ``bench/`` on the path). The web and worker
processes run exactly as shipped (``config.wsgi`` under gunicorn, ``run_huey`` with the
shipped consumer settings); the only changes are errors-only logging (the storm would
otherwise write a line per request) and session cookies that a plain-HTTP benchmark can
carry.
"""

from config.settings.prod import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
