"""Property test of the webhook receiver (issue 12): arbitrary bodies, headers, topics
and sizes through the production WSGI entry (``config.wsgi.application``).

Whatever arrives: no 500; nothing is stored without a valid HMAC; a signed delivery is
stored at most once, with its body only when it will be processed; and the receiver's
memory stays bounded whatever size a request claims or sends.
"""

from __future__ import annotations

import io
import tracemalloc

import pytest
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.wsgi import WEBHOOK_PATH, application
from shoplink.integrations.shopify.api.signing import webhook_hmac
from shoplink.integrations.shopify.api.topics import KNOWN_TOPICS
from shoplink.integrations.shopify.models import DeliveryState, WebhookDelivery
from shoplink.integrations.shopify.tests.webhook_helpers import make_store
from shoplink.integrations.shopify.webhooks.receiver import MAX_BODY_BYTES

SHOP = "snowdevil.myshopify.com"
SECRET = "shoplink-test-secret"  # config.settings.test
pytestmark = pytest.mark.django_db
PROPERTY = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def in_test_transaction():
    """The dispatcher closes connections around each request as Django does; inside the
    test's transaction that would close the test database (Django's test client turns
    it off the same way)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def store(project):
    return make_store(project, SHOP)


class EndlessInput(io.RawIOBase):
    """A request body that never ends, counting what the receiver read."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"x" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def call(body: bytes | io.RawIOBase, headers: dict[str, str], content_length: str | None):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": WEBHOOK_PATH,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(body) if isinstance(body, bytes) else io.BufferedReader(body),
        "wsgi.url_scheme": "http",
    }
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    answer = {}

    def start_response(status, response_headers):
        answer["status"] = int(status.split()[0])

    b"".join(application(environ, start_response))
    return answer["status"]


header_text = st.text(
    st.characters(min_codepoint=32, max_codepoint=126), max_size=60
)  # what a WSGI server hands over (latin-1 safe)
topics = st.sampled_from(sorted(KNOWN_TOPICS)) | header_text
shops = st.sampled_from([SHOP, "other.myshopify.com", ""]) | header_text
bodies = st.binary(max_size=2048) | st.builds(
    lambda d: __import__("json").dumps(d).encode(),
    st.dictionaries(
        st.sampled_from(["shop_domain", "shop_id", "domain", "myshopify_domain", "id", "x"]),
        st.none() | st.integers() | header_text | st.booleans(),
        max_size=5,
    ),
)
triggered = st.sampled_from(["", "now", "2000-01-01T00:00:00Z"]) | header_text


def _headers(topic, shop, when, extra_id) -> dict[str, str]:
    from shoplink.core import clock

    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": extra_id,
        "X-Shopify-Triggered-At": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        if when == "now"
        else when,
    }
    return {k: v for k, v in headers.items() if v}


@PROPERTY
@given(
    body=bodies,
    topic=topics,
    shop=shops,
    when=triggered,
    hmac=st.none() | header_text | st.just("signature-of-another-body"),
    webhook_id=header_text,
    declared=st.none() | st.sampled_from(["", "-1", "abc", "0", "99999999999"]),
)
def test_nothing_is_stored_without_a_valid_hmac_and_nothing_is_a_500(
    store, body, topic, shop, when, hmac, webhook_id, declared
):
    before = WebhookDelivery.objects.count()
    headers = _headers(topic, shop, when, webhook_id)
    if hmac == "signature-of-another-body":
        hmac = webhook_hmac(body + b" ", SECRET)
    if hmac is not None:
        headers["X-Shopify-Hmac-Sha256"] = hmac
    length = str(len(body)) if declared is None else declared
    status = call(body, headers, length)
    assert status in (200, 400, 401, 413)
    assert WebhookDelivery.objects.count() == before


@PROPERTY
@given(body=bodies, topic=topics, shop=shops, when=triggered, webhook_id=header_text)
def test_a_signed_delivery_is_stored_at_most_once_and_never_a_500(
    store, body, topic, shop, when, webhook_id
):
    headers = _headers(topic, shop, when, webhook_id)
    headers["X-Shopify-Hmac-Sha256"] = webhook_hmac(body, SECRET)
    before = WebhookDelivery.objects.count()
    first = call(body, headers, str(len(body)))
    again = call(body, headers, str(len(body)))
    assert first in (200, 400) and again in (200, 400)
    added = WebhookDelivery.objects.count() - before
    # The webhook id is the dedupe key; one without an id is kept each time, as rejected
    # or ignored rows without a body when it is not processable.
    assert added <= (1 if webhook_id else 2)
    if webhook_id and added:
        row = WebhookDelivery.objects.get(webhook_id=webhook_id)
        # Only a delivery that will be processed keeps its (personal) body.
        assert (row.body is not None) == (row.state == DeliveryState.RECEIVED)
        assert (first == 200) == (row.state != DeliveryState.REJECTED)


@pytest.mark.parametrize("declared", [MAX_BODY_BYTES + 1, 20 * MAX_BODY_BYTES, 10**12])
def test_a_body_declared_too_large_is_not_read_at_all(store, declared):
    endless = EndlessInput()
    tracemalloc.start()
    try:
        status = call(endless, {"X-Shopify-Topic": "orders/create"}, str(declared))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert status == 413
    assert endless.read_bytes == 0
    assert peak < 1024 * 1024


def test_memory_is_bounded_by_the_limit_whatever_is_sent(store):
    """A body that claims exactly the limit and never ends: read up to the limit, once."""
    endless = EndlessInput()
    # Counted before and after rather than "none at all": a late delivery from another
    # test's simulator may land in this database meanwhile.
    before = WebhookDelivery.objects.count()
    tracemalloc.start()
    try:
        status = call(endless, {"X-Shopify-Topic": "orders/create"}, str(MAX_BODY_BYTES))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert status == 401  # read, not signed
    assert endless.read_bytes <= MAX_BODY_BYTES + 64 * 1024
    assert peak < 3 * MAX_BODY_BYTES
    assert WebhookDelivery.objects.count() == before
