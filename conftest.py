"""Fixtures shared by every test: users and projects, the simulator, a real worker.

- ``project``, ``admin_user``, ``admin_client`` / ``editor_client`` / ``viewer_client``.
- ``simulator``: one real ``shopsim`` process (HTTP on a free port) per test session,
  configured with the test app's credentials and the live server's webhook URL.
- ``shopify_sim``: points ``SHOPIFY_BASE_URL`` at the simulator for one test and
  returns a small client for its control API (``sim.control("POST", path, json)``).
- ``unique_shop``: a fresh ``<name>.myshopify.com`` so tests never share simulator state.

Every database test may use every database alias: with the default SQLite settings the
webhook inbox has a file of its own (``core/dbrouter.py``), and which tests touch it is
not worth a marker of their own (``pytest_collection_modifyitems``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent
_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


def pytest_collection_modifyitems(items):
    """Give each database test every alias (``databases="__all__"``), keeping its options."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not _DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        kwargs = dict(marker.kwargs) if marker else {}
        if marker and marker.args:
            kwargs.setdefault("transaction", marker.args[0])
        kwargs["databases"] = "__all__"
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def inbox_write_turn(request):
    """In a transaction-wrapped test, start from an empty inbox and hold its write lock.

    With the inbox in a SQLite file of its own (core/dbrouter.py), a test that never
    wrote to it left it unlocked, so a delivery that the session's simulator retried
    late (``--time-scale 0.001``: Shopify's 4 hours of retries in ~15 s) for an earlier
    test's shop could land in the middle of this one, or just before it, and stay
    there, waiting, while the test counts the inbox. Deleting the inbox's rows (inside
    the test's transaction, so rolled back with it) starts the test's IMMEDIATE
    transaction on that file: a late delivery waits for the rollback.
    """
    if request.node.get_closest_marker("django_db") is None:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connections

    if "inbox" in connections and connections["inbox"].in_atomic_block:
        from shoplink.integrations.shopify.models import WebhookDelivery, WebhookWake

        WebhookDelivery.objects.all().delete()
        WebhookWake.objects.all().delete()
    yield


@pytest.fixture
def project(db):
    from shoplink.projects.services import create_project

    return create_project("Test project")


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    def make(username: str, project=None, role: str = "admin"):
        from shoplink.projects.services import add_member

        user = get_user_model().objects.create_user(username, password="pw-" + username)
        if project is not None:
            add_member(project, user, role)
        return user

    return make


@pytest.fixture
def admin_user(make_user, project):
    return make_user("alice", project, "admin")


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user):
    return _client_for(admin_user)


@pytest.fixture
def editor_client(make_user, project):
    return _client_for(make_user("eddie", project, "editor"))


@pytest.fixture
def viewer_client(make_user, project):
    return _client_for(make_user("vera", project, "viewer"))


class Simulator:
    """A running shopsim process and a client for its control API."""

    def __init__(self, url: str, process: subprocess.Popen):
        self.url = url
        self.process = process
        self.http = httpx.Client(base_url=url, timeout=30)

    def control(self, method: str, path: str, json=None, **kwargs):
        response = self.http.request(method, "/_control" + path, json=json, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def shop_base_url(self) -> str:
        return self.url + "/{shop}"


@pytest.fixture(scope="session")
def simulator(request):
    """Start one simulator for the session; its app webhooks go to the live server."""
    from django.conf import settings

    live_server = request.getfixturevalue("live_server")
    port = _free_port()
    log = open(Path(os.environ["SHOPLINK_DATA_DIR"]) / "shopsim.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopsim",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--seed",
            "7",
            "--customers",
            "12",
            "--orders",
            "30",
            "--products",
            "6",
            "--collections",
            "3",
            "--checkouts",
            "4",
            "--client-id",
            settings.SHOPIFY_API_KEY,
            "--client-secret",
            settings.SHOPIFY_API_SECRET,
            "--redirect-url",
            "http://127.0.0.1",
            "--redirect-url",
            "http://localhost",
            "--app-webhook-url",
            f"{live_server.url}/integrations/shopify/webhooks",
            "--time-scale",
            "0.001",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/_control/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass  # not listening yet: poll again until the deadline
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"shopsim did not start; see {log.name}")
        time.sleep(0.1)
    sim = Simulator(url, process)
    yield sim
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def shopify_sim(simulator, settings):
    """Point the product at the simulator for this test."""
    settings.SHOPIFY_BASE_URL = simulator.shop_base_url()
    return simulator


@pytest.fixture
def unique_shop() -> str:
    return f"t{uuid.uuid4().hex[:10]}.myshopify.com"


@pytest.fixture
def worker_env(transactional_db):
    """Environment for a subprocess (worker, command) that must see this test's database.

    Queue on: the subprocess uses the real Huey storage (SQLite file or Redis) of this run.
    """
    from django.db import connection, connections

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        SHOPLINK_TEST_DB_NAME=str(connection.settings_dict["NAME"]),
        HUEY_IMMEDIATE="0",
        PYTHONUNBUFFERED="1",
    )
    if "inbox" in connections:
        env["SHOPLINK_TEST_INBOX_DB_NAME"] = str(connections["inbox"].settings_dict["NAME"])
    return env


@pytest.fixture
def real_queue(settings):
    """Make tasks enqueued by this test go to the real queue storage instead of running inline."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = False
    HUEY.flush()  # jobs another test left in this run's storage are not ours
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


@pytest.fixture
def frozen_clock():
    """Freeze ``shoplink.core.clock`` for one test; yields the clock module."""
    from shoplink.core import clock

    yield clock
    clock.reset()
