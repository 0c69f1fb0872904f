"""Benchmark the simulator: memory of a large store, bulk generation and download rates.

Starts `shopsim serve` as a subprocess with a store of `--orders` orders (default
1,000,000), installs the app through the control API, runs the product's bulk orders
query (orders + lineItems), and times two phases separately, as Shopify has them:

* generation: from `bulkOperationRunQuery` until the operation is COMPLETED (the simulator
  writes the JSONL file while RUNNING); rate = `fileSize` / that time;
* download: streaming the finished file from its URL over HTTP, counting bytes (the
  bench writes nothing); rate = bytes / time.

Peak memory is the largest sum of VmRSS over the simulator and its bulk worker processes,
sampled while the operation runs and downloads, and at least the simulator's own VmHWM.
The load average is printed beside the figures, since the machine may be shared.
The last line is `RESULT orders=<n> rss_mb=<peak> gen_mb_s=<rate> download_mb_s=<rate>
gen_cpu_s=<s> gen_mb_per_cpu_s=<rate> load=<1/5/15 min>` (one line): on a shared machine
the MB per CPU second of the simulator and its workers says more than the wall clock.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
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


def tree_rss_mb(pid: int) -> float:
    """VmRSS of `pid` plus its children (the bulk export workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        if int(entry) == pid or fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


class PeakSampler:
    """Samples the simulator tree's RSS every 0.2 s in a thread; `peak` is the maximum."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self.stop.wait(0.2)


def cpu_s(pid: int) -> float:
    """CPU seconds of `pid` and its reaped children (utime + stime + cutime + cstime)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


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
        sampler = PeakSampler(proc.pid)
        print(f"load average before: {load()}", flush=True)
        cpu0 = cpu_s(proc.pid)
        started = time.perf_counter()
        res = client.post(
            url, headers=headers, json={"query": RUN, "variables": {"q": QUERY}}
        ).json()
        op_id = res["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
        last, shown = None, 0.0
        while True:
            op = client.post(
                url, headers=headers, json={"query": POLL, "variables": {"id": op_id}}
            ).json()
            op = op["data"]["bulkOperation"]
            if op["status"] not in ("CREATED", "RUNNING"):
                break
            if op["objectCount"] != last and time.perf_counter() - shown > 5:
                shown = time.perf_counter()
                print(
                    f"  {op['status']:<9} objects={int(op['objectCount']):>10,} "
                    f"roots={int(op['rootObjectCount']):>9,}",
                    flush=True,
                )
                last = op["objectCount"]
            time.sleep(0.25)
        run_s = time.perf_counter() - started
        print(
            f"bulk {op['status']} in {run_s:.1f} s: {int(op['objectCount']):,} objects, "
            f"{int(op['rootObjectCount']):,} roots, {int(op['fileSize'] or 0) / 1e6:.1f} MB",
            flush=True,
        )
        if op["status"] != "COMPLETED":
            return 1
        size = int(op["fileSize"] or 0)
        gen_rate = size / 1e6 / run_s
        # On a shared machine the wall-clock rate depends on the load; MB per CPU second of
        # the simulator and its workers does much less.
        gen_cpu = cpu_s(proc.pid) - cpu0
        print(f"generation used {gen_cpu:.1f} CPU s = {size / 1e6 / gen_cpu:.2f} MB per CPU s")
        print(
            f"generated {size / 1e6:.1f} MB in {run_s:.1f} s = {gen_rate:.2f} MB/s; "
            f"load average {load()}",
            flush=True,
        )
        total = 0
        t0 = time.perf_counter()
        with client.stream("GET", op["url"].replace(base, "")) as resp:
            for chunk in resp.iter_raw():
                total += len(chunk)
        download_s = time.perf_counter() - t0
        rate = total / 1e6 / download_s
        sampler.stop.set()
        rss = max(sampler.peak, peak_rss_mb(proc.pid))
        print(
            f"downloaded {total / 1e6:.1f} MB in {download_s:.2f} s = {rate:.1f} MB/s; "
            f"peak rss (simulator + workers) {rss:.1f} MB; load average {load()}",
            flush=True,
        )
        if total != size:
            print(f"downloaded {total} bytes but fileSize says {size}", file=sys.stderr)
            return 1
        print(
            f"RESULT orders={args.orders} rss_mb={rss:.1f} gen_mb_s={gen_rate:.2f} "
            f"download_mb_s={rate:.1f} gen_cpu_s={gen_cpu:.1f} "
            f"gen_mb_per_cpu_s={size / 1e6 / gen_cpu:.2f} load={load().replace(' ', '/')}"
        )
        return 0
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    raise SystemExit(main())
