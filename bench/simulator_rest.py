"""Walk a whole simulated store over REST with Shopify's own Python library (`ShopifyAPI`).

Starts `shopsim serve` with TLS (throw-away certificate for `*.myshopify.com`, as the
simulator's suite does, ADR 0020), creates a store of `--customers` customers and
`--orders` orders on the Plus plan, and reads every customer, order, product, custom and
smart collection and collect by REST cursor paging (`has_next_page()` / `next_page()`),
plus the transactions of every `--tx-every`-th order. Counts are compared with the control
API's. The library decodes each nested object into a Python object (tens of ms an order),
so orders are read with a `fields` list unless `--full-orders`. A 429 is waited out with
its `Retry-After`, as a client does.
Last line: `RESULT customers= orders= products= collections= collects= match= seconds=
requests= orders_per_s= tx_orders= tx_with_transactions=`.
"""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import shopify
from pyactiveresource.connection import ClientError

V = "2026-10"
ORDER_FIELDS = "id,name,email,financial_status,fulfillment_status,total_price,created_at,updated_at"
REQUESTS = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=*.myshopify.com",
         "-addext", "subjectAltName=DNS:*.myshopify.com,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def call(fn, *args, **kwargs):
    """One library call; a 429 is retried after its Retry-After."""
    global REQUESTS
    while True:
        REQUESTS += 1
        try:
            return fn(*args, **kwargs)
        except ClientError as e:
            if e.response.code != 429:
                raise
            time.sleep(float(e.response.headers.get("Retry-After", "1")))


def walk(first) -> list:
    page, out = first, list(first)
    while page.has_next_page():
        page = call(page.next_page)
        out += list(page)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--orders", type=int, default=20000)
    ap.add_argument("--products", type=int, default=500)
    ap.add_argument("--collections", type=int, default=40)
    ap.add_argument("--tx-every", type=int, default=100)
    ap.add_argument("--full-orders", action="store_true")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="shopsim-rest-"))
    cert, key = certificate(folder)
    port = free_port()
    cmd = [sys.executable, "-m", "shopsim", "serve", "--port", str(port),
           "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    control = None
    try:
        assert proc.stdout.readline().startswith("shopsim listening on https://")
        # `*.myshopify.com` → this machine, for this process only (a hosts-file entry).
        real = socket.getaddrinfo
        socket.getaddrinfo = lambda host, *a, **k: real(
            "127.0.0.1" if str(host).endswith(".myshopify.com") else host, *a, **k
        )
        os.environ["SSL_CERT_FILE"] = str(cert)
        trusted = ssl.create_default_context(cafile=str(cert))
        control = httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trusted, timeout=600)
        shop = "rest-walk.myshopify.com"
        profile = {
            "domain": shop,
            "customers": args.customers,
            "orders": args.orders,
            "products": args.products,
            "collections": args.collections,
            "plan": "plus",
        }
        control.post("/_control/shops", json=profile).raise_for_status()
        scopes = ["read_customers", "read_orders", "read_products"]
        token = control.post(f"/_control/shops/{shop}/install", json={"scopes": scopes}).json()
        counts = control.get(f"/_control/shops/{shop}").json()["counts"]
        shopify.Session.port = port
        shopify.ApiVersion.define_version(shopify.Release(V))
        shopify.ShopifyResource.activate_session(shopify.Session(shop, V, token["access_token"]))

        started = time.perf_counter()
        customers = walk(call(shopify.Customer.find, limit=250))
        t_c = time.perf_counter()
        fields = {} if args.full_orders else {"fields": ORDER_FIELDS}
        orders = walk(call(shopify.Order.find, limit=250, status="any", **fields))
        t_o = time.perf_counter()
        products = walk(call(shopify.Product.find, limit=250))
        custom = walk(call(shopify.CustomCollection.find, limit=250))
        smart = walk(call(shopify.SmartCollection.find, limit=250))
        collects = walk(call(shopify.Collect.find, limit=250))
        sample = orders[:: args.tx_every]
        with_tx = sum(1 for o in sample if call(shopify.Transaction.find, order_id=o.id))
        seconds = time.perf_counter() - started

        found = {
            "customers": len({c.id for c in customers}),
            "orders": len({o.id for o in orders}),
            "products": len({p.id for p in products}),
            "collections": len({c.id for c in custom}) + len({c.id for c in smart}),
        }
        match = all(found[k] == counts[k] for k in found)
        n_collects = len({c.id for c in collects})
        print(f"control counts: {counts}", flush=True)
        print(
            f"customers {t_c - started:.1f}s, orders {t_o - t_c:.1f}s, rest "
            f"{seconds - (t_o - started):.1f}s",
            flush=True,
        )
        print(
            f"RESULT customers={found['customers']} orders={found['orders']} "
            f"products={found['products']} collections={found['collections']} "
            f"collects={n_collects} match={'yes' if match else 'no'} seconds={seconds:.1f} "
            f"requests={REQUESTS} orders_per_s={len(orders) / (t_o - t_c):.0f} "
            f"tx_orders={len(sample)} tx_with_transactions={with_tx}"
        )
        return 0 if match else 1
    finally:
        if control is not None:
            control.close()  # an open keep-alive connection would hold up the shutdown
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
