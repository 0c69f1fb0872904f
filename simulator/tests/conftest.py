"""Fixtures: a real uvicorn subprocess running shopsim, and a webhook receiver in this process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

# Copies of ../shared/shopify/samples (Shopify-published vectors), so the suite stands alone.
SAMPLES = Path(__file__).resolve().parent / "fixtures"
SECRET = "test-secret"
CLIENT_ID = "shoplink-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """Records every POST (raw body + headers); paths under /fail/ answer 500."""

    def __init__(self):
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.calls.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "at": time.time(),
                        }
                    )
                if self.path.startswith("/slow/"):
                    time.sleep(5.5)  # past Shopify's 5 s delivery deadline
                status = 500 if self.path.startswith("/fail/") else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def for_path(self, path: str) -> list[dict]:
        with self.lock:
            return [c for c in self.calls if c["path"] == path]

    def wait(
        self, path: str, n: int = 1, timeout: float = 30, topic: str | None = None
    ) -> list[dict]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = [
                c
                for c in self.for_path(path)
                if topic is None or c["headers"].get("X-Shopify-Topic") == topic
            ]
            if len(got) >= n:
                return got
            time.sleep(0.02)
        raise AssertionError(
            f"expected {n} calls to {path} ({topic}), got {self.for_path(path)!r:.500}"
        )


@pytest.fixture(scope="session")
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="session")
def sim(receiver):
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [
        sys.executable,
        "-m",
        "shopsim",
        "serve",
        "--port",
        str(port),
        "--seed",
        "7",
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        SECRET,
        "--redirect-url",
        "http://app.test/",
        "--app-webhook-url",
        receiver.url + "/app",
        "--time-scale",
        "0.0002",
        "--shop-redact-delay",
        "100",
        # Exports of 20+ roots are split over three forked workers, so the suite checks the
        # joined file (the product's suite runs the default: small exports in process).
        "--bulk-workers",
        "3",
        "--bulk-parallel-min",
        "20",
        "--token-ttl",
        "3600",
        "--customers",
        "30",
        "--orders",
        "60",
        "--products",
        "8",
        "--collections",
        "3",
        "--checkouts",
        "6",
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )
    line = proc.stdout.readline()
    assert line.startswith("shopsim listening on http://127.0.0.1:"), line
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, timeout=30)
    client.base = base
    yield client
    client.close()
    proc.terminate()
    proc.wait(5)


@pytest.fixture
def shop():
    return f"t-{uuid.uuid4().hex[:10]}.myshopify.com"


def install(
    sim, shop: str, scopes=("read_customers", "write_customers", "read_orders", "read_products")
) -> dict:
    """Install through the control API and return the token response."""
    r = sim.post(f"/_control/shops/{shop}/install", json={"scopes": list(scopes)})
    assert r.status_code == 200, r.text
    return r.json()


def gql(sim, shop: str, token: str, query: str, variables: dict | None = None, version="2026-10"):
    return sim.post(
        f"/{shop}/admin/api/{version}/graphql.json",
        headers={"X-Shopify-Access-Token": token},
        json={"query": query, "variables": variables or {}},
    )


def load_json(name: str):
    return json.loads((SAMPLES / name).read_text())
