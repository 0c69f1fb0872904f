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

from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import LimitedStream
from django.core.wsgi import get_wsgi_application
from django.http.request import split_domain_port, validate_host

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
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    413: "Payload Too Large",
    503: "Service Unavailable",
}
# What Django's SecurityMiddleware and XFrameOptionsMiddleware add to every answer.
_SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
]


def application(environ, start_response):
    """Answer webhook deliveries directly; hand everything else to Django."""
    if environ.get("PATH_INFO") != WEBHOOK_PATH or environ.get("REQUEST_METHOD") != "POST":
        return django_application(environ, start_response)
    return receive_webhook(environ, start_response)


def receive_webhook(environ, start_response):
    """The receiver outside Django's handler, with the same connection lifecycle."""
    # request_started/finished are what close expired or broken database connections
    # (CONN_MAX_AGE, health checks) around every Django request; keep that here.
    if not _host_allowed(environ):
        # Django answers a disallowed Host with 400 (DisallowedHost); so does this path.
        return _answer(start_response, 400, "Bad Request")
    if _content_length(environ.get("CONTENT_LENGTH")) > webhooks.MAX_BODY_BYTES:
        # Refused before a byte of the unauthenticated body is read.
        return _answer(start_response, 413, "Payload too large")
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
    return _answer(start_response, status, text)


def _answer(start_response, status: int, text: str):
    payload = text.encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Internal Server Error')}",
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(payload))),
            *_SECURITY_HEADERS,
        ],
    )
    return [payload]


def _host_allowed(environ) -> bool:
    """``ALLOWED_HOSTS`` applied exactly as ``HttpRequest.get_host`` does."""
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    if "HTTP_HOST" not in environ and environ.get("SERVER_PORT") not in (None, "80", "443"):
        host = f"{host}:{environ['SERVER_PORT']}"
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


def _content_length(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
