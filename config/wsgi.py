"""WSGI entry point (gunicorn ``config.wsgi:application``).

Shopify's webhook deliveries are answered by a tiny dispatcher in front of Django
(docs/decisions/0005): a ``POST`` to the receiver path runs the receiver's own verify and
insert code (``webhooks.accept_delivery``) without the middleware stack — sessions, auth,
CSRF, messages, HTMX and the current project do nothing for a signed machine request but
cost more than the receiver itself. Every other request goes to Django unchanged.
"""

import logging
import os
import traceback

from django.core import signals
from django.core.handlers.wsgi import LimitedStream
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
django_application = get_wsgi_application()

# Imported after setup: the receiver needs the app registry.
from shoplink.integrations.shopify.webhooks import receiver as webhooks  # noqa: E402

log = logging.getLogger("shoplink.integrations.shopify.webhooks.receiver")

# The path ``config/urls.py`` routes to ``webhooks.receive``; only POST is short-cut, so
# other methods still get Django's 405.
WEBHOOK_PATH = "/integrations/shopify/webhooks"
_ENVIRON_HEADERS = tuple(
    (name, "HTTP_" + name.upper().replace("-", "_")) for name in webhooks.READ_HEADERS
)
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}


def application(environ, start_response):
    """Answer webhook deliveries directly; hand everything else to Django."""
    if environ.get("PATH_INFO") != WEBHOOK_PATH or environ.get("REQUEST_METHOD") != "POST":
        return django_application(environ, start_response)
    return receive_webhook(environ, start_response)


def receive_webhook(environ, start_response):
    """The receiver outside Django's handler, with the same connection lifecycle."""
    # request_started/finished are what close expired or broken database connections
    # (CONN_MAX_AGE, health checks) around every Django request; keep that here.
    signals.request_started.send(sender=__name__, environ=environ)
    try:
        headers = {name: environ[key] for name, key in _ENVIRON_HEADERS if key in environ}
        length = environ.get("CONTENT_LENGTH")
        # Bounded by Content-Length exactly as Django's request stream is (a server's raw
        # input may block past the body's end).
        stream = LimitedStream(environ["wsgi.input"], _content_length(length))
        body = webhooks.read_body(length, stream)
        status, text = webhooks.accept_delivery(body, headers)
    except Exception as error:
        # Shopify retries a 500; the message is left out as it could quote the request.
        log.error(
            "webhook receiver failed with %s\n%s",
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        status, text = 500, "Server error"
    finally:
        signals.request_finished.send(sender=__name__)
    payload = text.encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Internal Server Error')}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _content_length(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
