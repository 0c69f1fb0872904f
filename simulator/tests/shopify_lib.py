"""Run shopsim where Shopify's own Python library (`ShopifyAPI`) can reach it unchanged.

The library builds `https://<shop>.myshopify.com[:port]/admin/...` itself (and its OAuth
token request hard-codes `https://`), so the simulator serves TLS with a throw-away
certificate for `*.myshopify.com`, and the test process resolves `*.myshopify.com` to
127.0.0.1 — the test's /etc/hosts entry. The library's own settings do the rest
(`Session.port`, `ApiVersion.define_version`); nothing of ours sits between library and
simulator.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from conftest import CLIENT_ID, SECRET, free_port


def make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=*.myshopify.com",
            "-addext", "subjectAltName=DNS:*.myshopify.com,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def start_tls_simulator(folder: Path, *extra: str) -> tuple[subprocess.Popen, int, Path]:
    cert, key = make_certificate(folder)
    port = free_port()
    cmd = [
        sys.executable, "-m", "shopsim", "serve", "--port", str(port), "--seed", "11",
        "--client-id", CLIENT_ID, "--client-secret", SECRET,
        "--redirect-url", "http://app.test/", "--time-scale", "0.0002",
        "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), *extra,
    ]  # fmt: skip
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )
    line = proc.stdout.readline()
    assert line.startswith("shopsim listening on https://"), line
    return proc, port, cert


def resolve_myshopify_locally(monkeypatch) -> None:
    """`*.myshopify.com` → 127.0.0.1 in this process (what a hosts-file entry would do)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".myshopify.com"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
