"""Benchmark the simulator: memory of a large store and bulk JSONL streaming rate.

Starts `shopsim serve` as a subprocess with a store of `--orders` orders (default
1,000,000), installs the app through the control API, runs the product's bulk orders
query (orders + lineItems), waits for COMPLETED, then streams the JSONL result over HTTP
counting bytes (nothing is written to disk). Peak RSS is the simulator process's VmHWM.
The last line is `RESULT orders=<n> rss_mb=<peak> stream_mb_s=<rate>`.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time

import httpx

QUERY = """{ orders { edges { node { id name email createdAt updatedAt cancelledAt test
  displayFinancialStatus displayFulfillmentStatus currencyCode discountCodes
  totalPriceSet { shopMoney { amount currencyCode } }
  currentTotalPriceSet { shopMoney { amount currencyCode } }
  customer { id } shippingAddress { address1 city country zip }
  fulfillments { id status displayStatus trackingInfo { number } }
  refunds { id totalRefundedSet { shopMoney { amount } } }
  lineItems { edges { node { id sku title quantity variant { id } product { id }
    originalUnitPriceSet { shopMoney { amount } } } } } } } } }"""
RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) {
  bulkOperation { id status } userErrors { message } } }"""
POLL = """query($id: ID!) { bulkOperation(id: $id) {
  status errorCode objectCount rootObjectCount fileSize url } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=None, help="default: orders / 10")
    args = ap.parse_args()
    customers = args.customers if args.customers is not None else max(args.orders // 10, 1)
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "shopsim",
        "serve",
        "--port",
        str(port),
        "--orders",
        str(args.orders),
        "--customers",
        str(customers),
        "--products",
        "200",
        "--collections",
        "20",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if "listening" not in line:
            print("simulator failed to start:", line, file=sys.stderr)
            return 1
        base = f"http://127.0.0.1:{port}"
        shop = "bench.myshopify.com"
        client = httpx.Client(base_url=base, timeout=120)
        tok = client.post(
            f"/_control/shops/{shop}/install", json={"scopes": ["read_orders", "read_customers"]}
        ).json()
        headers = {"X-Shopify-Access-Token": tok["access_token"]}
        url = f"/{shop}/admin/api/2026-10/graphql.json"
        print(
            f"store of {args.orders:,} orders ready; rss {peak_rss_mb(proc.pid):.1f} MB", flush=True
        )
        started = time.perf_counter()
        res = client.post(
            url, headers=headers, json={"query": RUN, "variables": {"q": QUERY}}
        ).json()
        op_id = res["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
        last = None
        while True:
            op = client.post(
                url, headers=headers, json={"query": POLL, "variables": {"id": op_id}}
            ).json()
            op = op["data"]["bulkOperation"]
            if op["status"] not in ("CREATED", "RUNNING"):
                break
            if op["objectCount"] != last:
                print(
                    f"  {op['status']:<9} objects={int(op['objectCount']):>10,} "
                    f"roots={int(op['rootObjectCount']):>9,}",
                    flush=True,
                )
                last = op["objectCount"]
            time.sleep(2)
        run_s = time.perf_counter() - started
        print(
            f"bulk {op['status']} in {run_s:.1f} s: {int(op['objectCount']):,} objects, "
            f"{int(op['rootObjectCount']):,} roots, {int(op['fileSize'] or 0) / 1e6:.1f} MB",
            flush=True,
        )
        if op["status"] != "COMPLETED":
            return 1
        total = 0
        t0 = time.perf_counter()
        with client.stream("GET", op["url"].replace(base, "")) as resp:
            for chunk in resp.iter_bytes():
                total += len(chunk)
        stream_s = time.perf_counter() - t0
        rate = total / 1e6 / stream_s
        rss = peak_rss_mb(proc.pid)
        print(
            f"streamed {total / 1e6:.1f} MB in {stream_s:.1f} s; peak simulator rss {rss:.1f} MB",
            flush=True,
        )
        print(f"RESULT orders={args.orders} rss_mb={rss:.1f} stream_mb_s={rate:.2f}")
        return 0
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    raise SystemExit(main())
