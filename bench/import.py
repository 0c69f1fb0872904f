"""Benchmark the bulk import: records/s for the whole import and for ingest alone, memory.

Starts ``shopsim serve`` with a store of ``--customers`` customers and ``--orders`` orders
(default 50,000 / 200,000), connects a store through the simulator's OAuth, and runs the
product's real initial sync in this process (the queue in immediate mode, so this
process *is* the worker): bulk operations, JSONL streamed through the joiner, mapping,
set-wise upserts with checkpoints, stats and RFM rebuild.

Reported, all measured in the same run:

* ``total_rps``: records (customers + orders + checkouts + products + collections) per
  second from Start initial sync to every entity Synced (issue 15's definition of end to
  end; includes Shopify's export time). The run's finish after that (stats and RFM
  rebuild, health check) is printed apart, with the rate including it (``whole run``);
  before 2026-12-07 ``total_rps`` was that whole-run figure.
* ``ingest_rps``: the same records per second of ingest alone: the writes of every
  batch (upserts, list membership, consent, contact links, checkpoint) inside their
  transactions; no download, JSON parsing or mapping (see ``parse+map+write``).
* ``+ the COMMITs`` (informational, not in RESULT): ``ingest_rps`` with the time of
  each batch's COMMIT added (on SQLite the WAL append and any checkpoint run there).
* ``ingest CPU s`` (informational): the process CPU time of the same writes per part;
  on a shared machine it moves less than the wall clock ``ingest_rps`` is based on.
* ``parse+map+write`` (informational, not in RESULT): the same records per second from
  the first joined group to the last commit: JSON parsing of the groups, mapping and
  the writes, without the download and the joiner's index pass. The baseline parses
  too, so this is the like-for-like figure; ``ingest_rps`` is the writes alone.
* ``baseline_rps``: the same JSONL files parsed with orjson and their root rows
  bulk-written into a bare two-column table (``COPY`` on PostgreSQL, ``executemany`` on
  SQLite): the floor of "parse and write" on this machine and database.
  ``ratio = ingest_rps / baseline_rps``.
* ``peak_mb``: peak RSS of this worker process (``ru_maxrss``) during the import.
* ``reader peak`` (informational): peak RSS of the forked reader processes that download,
  join, parse and map each large part while this process writes (ADR 0053). A forked
  child starts with the worker's pages mapped, so this counts them too (shared, not
  copied); the two peaks summed overstate the memory the two take together.
* ``waiting for exports`` (informational): the part of ``total`` outside every part's
  ingest (``seconds``): Shopify's export time not hidden behind an earlier part's ingest,
  the bulk API calls and the stats rebuild.
* the timeline (informational): when each part ran (``parts ran``, seconds after Start)
  and when each export ran on the simulator's side (``exports ran``, whole seconds),
  and the CPU seconds of the worker, its readers and the simulator (whose exports
  share the machine's cores with the import).

The last line is ``RESULT ingest_rps=<n> total_rps=<n> baseline_rps=<n> ratio=<r> peak_mb=<n>``.
``--database`` is ``sqlite`` (a fresh file) or a ``postgres://`` URL (a ``test_`` database
is created next to it and dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_simulator(args, client_id: str, secret: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "shopsim", "serve", "--host", "127.0.0.1", "--port", str(port)),
            *("--seed", "1", "--customers", str(args.customers), "--orders", str(args.orders)),
            *("--products", str(args.products), "--collections", "20", "--checkouts", "100"),
            *("--client-id", client_id, "--client-secret", secret, "--time-scale", "0.001"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/_control/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass  # not listening yet: poll again until the deadline
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("shopsim did not start")
        time.sleep(0.1)


def _cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its waited-for children (the export workers), Linux."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime: fields 14-17 of stat(5), 12-15 after "pid (comm)".
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _setup_django(database: str, data_dir: str) -> None:
    os.environ["SHOPLINK_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    if database != "sqlite":
        os.environ["DATABASE_URL"] = database
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})["MIGRATE"] = False  # tables from the models, as the tests do
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


class _Sim:
    def __init__(self, url: str):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=120)

    def control(self, method: str, path: str, json=None):
        response = self.http.request(method, "/_control" + path, json=json)
        response.raise_for_status()
        return response.json() if response.content else None


def _import(sim: _Sim, domain: str):
    from django.conf import settings

    from shoplink.audience.services import create_list
    from shoplink.integrations.shopify.models import EntitySync
    from shoplink.integrations.shopify.sync import runs as sync
    from shoplink.integrations.shopify.tests.sync_support import connect_store
    from shoplink.projects.services import create_project

    settings.SHOPIFY_BASE_URL = sim.url + "/{shop}"
    project = create_project("Bench")
    store = connect_store(sim, project, domain)
    store.customer_list = create_list(project, "Bench customers")
    store.save()
    started, started_at = time.monotonic(), time.time()
    sync.start_sync(store)  # immediate queue: runs here until done or a poll budget ends
    # A long export outlasts one poll budget and the reschedule is a delayed job the
    # immediate queue does not run: advance again, as the worker's next wake-up would.
    while EntitySync.objects.filter(store=store, state__in=("pending", "syncing")).exists():
        if time.monotonic() - started > 4 * 3600:
            break
        sync.advance(store.pk)
    total_seconds, ended_at = time.monotonic() - started, time.time()
    rows = list(EntitySync.objects.filter(store=store))
    states = {es.entity: es.state for es in rows}
    if set(states.values()) != {"synced"}:
        raise SystemExit(f"sync did not finish: {states}")
    records = sum(es.done for es in rows)
    ingest_seconds = sum(
        op.get("ingest_seconds", 0) for es in rows for op in es.operations.values()
    )
    pipeline_seconds = sum(
        op.get("pipeline_seconds", 0) for es in rows for op in es.operations.values()
    )
    commit_seconds = sum(
        op.get("commit_seconds", 0) for es in rows for op in es.operations.values()
    )
    operations = [(part, op) for es in rows for part, op in es.operations.items()]
    cpu = {part: op.get("ingest_cpu_seconds", 0) for part, op in operations}
    print("ingest CPU s:   ", ", ".join(f"{part} {s:.1f}" for part, s in cpu.items()))
    print(
        "part seconds:   ",
        ", ".join(
            f"{part} {op.get('seconds', 0):.1f} (first group after "
            f"{op.get('seconds', 0) - op.get('pipeline_seconds', 0):.1f})"
            for part, op in operations
            if op.get("seconds", 0) >= 0.5
        ),
    )
    print(
        "parts ran:      ",
        ", ".join(
            f"{part} +{op['ingest_started_at'] - started_at:.1f}"
            f"..+{op['ingest_started_at'] + op.get('seconds', 0) - started_at:.1f} s"
            for part, op in operations
            if "ingest_started_at" in op
        ),
    )
    last = max(es.last_synced_at for es in rows).timestamp()
    finish_seconds = ended_at - last
    print(f"after the last part: {finish_seconds:.1f} s (run finish: stats, RFM, health check)")
    part_seconds = sum(op.get("seconds", 0) for _, op in operations)
    waited = total_seconds - part_seconds
    print(f"waiting for exports: {waited:.1f} s (outside every part's ingest)")
    reader_mb = max((op.get("reader_peak_mb", 0) for _, op in operations), default=0)
    grown_mb = max((op.get("reader_grown_mb", 0) for _, op in operations), default=0)
    print(
        f"reader peak RSS: {reader_mb:.0f} MB, of which {grown_mb:.0f} MB its own "
        "(the rest: the worker's pages, shared since the fork)"
    )
    gids = {part: op["gid"] for part, op in operations}
    _print_exports(store, gids, started_at)
    timings = (total_seconds, ingest_seconds, pipeline_seconds, commit_seconds, finish_seconds)
    return store, records, timings, gids


def _print_exports(store, gids: dict[str, str], started_at: float) -> None:
    """When each part's export ran on the (simulated) Shopify side, relative to Start.

    Shopify's timestamps have whole seconds, so these are +-1 s: enough to tell whether
    the worker waited for an export or the export waited for nothing.
    """
    from datetime import datetime

    from shoplink.integrations.shopify.api import queries
    from shoplink.integrations.shopify.connection.access import client_for

    client = client_for(store)

    def at(stamp: str | None) -> str:
        if not stamp:
            return "?"
        seconds = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        return f"+{seconds - started_at:.0f}"

    spans = []
    for part, gid in gids.items():
        node = client.graphql(queries.BULK_OPERATION_STATUS, queries.id_variables(gid))
        node = node["bulkOperation"] or {}
        spans.append(f"{part} {at(node.get('createdAt'))}..{at(node.get('completedAt'))} s")
    print("exports ran:    ", ", ".join(spans), "(Shopify's clock, whole seconds)")


def _baseline(store, gids: dict[str, str]) -> tuple[int, float]:
    """Parse the same result files and bulk-insert their root rows into a bare table."""
    import orjson
    from django.db import connection, transaction

    from shoplink.integrations.shopify.api import queries
    from shoplink.integrations.shopify.connection.access import client_for

    client = client_for(store)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_baseline (id VARCHAR(80) PRIMARY KEY, body TEXT)")
    rows, seconds = 0, 0.0
    for gid in gids.values():
        node = client.graphql(queries.BULK_OPERATION_STATUS, queries.id_variables(gid))
        url = node["bulkOperation"]["url"]
        if not url:
            continue
        with tempfile.TemporaryFile() as spool:  # download is not part of the baseline
            for line in client.stream_lines(url):
                spool.write(line + b"\n")
            spool.seek(0)
            started = time.monotonic()
            batch = []
            with transaction.atomic(), connection.cursor() as cursor:
                for line in spool:
                    obj = orjson.loads(line)
                    if "__parentId" in obj:
                        continue
                    batch.append((obj["id"], line.decode()))
                    if len(batch) >= 1000:
                        rows += _baseline_write(cursor, batch)
                        batch = []
                if batch:
                    rows += _baseline_write(cursor, batch)
            seconds += time.monotonic() - started
    return rows, seconds


def _baseline_write(cursor, batch: list[tuple[str, str]]) -> int:
    """Write one batch the database's fastest plain way: COPY on PostgreSQL (issue 15:
    the ingest is judged against COPYing the same rows into a bare table), executemany
    on SQLite (its bulk path; SQLite has no COPY)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with cursor.cursor.copy("COPY bench_baseline (id, body) FROM STDIN") as copy:
            for row in batch:
                copy.write_row(row)
    else:
        cursor.executemany("INSERT INTO bench_baseline VALUES (%s, %s)", batch)
    return len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--database", default="sqlite", help="sqlite or a postgres:// URL")
    stages = parser.add_mutually_exclusive_group()
    stages.add_argument(
        "--inline",
        action="store_true",
        help="read and write in one process, as before ADR 0053 (for an A/B in one session)",
    )
    stages.add_argument(
        "--reader",
        action="store_true",
        help="read in a reader process whatever the database (the shipped default is on for "
        "PostgreSQL, off for SQLite: SHOPIFY_SYNC_READER_PROCESS)",
    )
    args = parser.parse_args()
    print(f"load average:    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (before)")

    data_dir = tempfile.mkdtemp(prefix="shoplink-bench-")
    _setup_django(args.database, data_dir)
    from django.conf import settings
    from django.db import connection

    if args.inline or args.reader:
        settings.SHOPIFY_SYNC_READER_PROCESS = args.reader
    how = "--inline" if args.inline else "--reader" if args.reader else "the shipped default"
    print(f"reader process:  {'yes' if settings.SHOPIFY_SYNC_READER_PROCESS else 'no'} ({how})")
    process, url = _start_simulator(args, settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET)
    try:
        sim = _Sim(url)
        domain = "bench-store.myshopify.com"
        store, records, timings, gids = _import(sim, domain)
        run_s, ingest_s, pipeline_s, commit_s, finish_s = timings
        total_s = run_s - finish_s  # Start initial sync -> every entity Synced
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # CPU seconds of this process and of the reader children it joined (the simulator
        # is still running, so not in RUSAGE_CHILDREN yet): steadier than the wall clock.
        own = resource.getrusage(resource.RUSAGE_SELF)
        readers = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(
            f"CPU s:           worker {own.ru_utime + own.ru_stime:.1f}, "
            f"readers {readers.ru_utime + readers.ru_stime:.1f} (whole run, this process), "
            f"simulator {_cpu_seconds(process.pid):.1f} (its exports and downloads, "
            "on the same cores)"
        )
        base_rows, base_s = _baseline(store, gids)
    finally:
        process.terminate()
        process.wait(10)
        if args.database != "sqlite":
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    ingest_rps = records / ingest_s if ingest_s else 0
    total_rps = records / total_s if total_s else 0
    baseline_rps = base_rows / base_s if base_s else 0
    ratio = ingest_rps / baseline_rps if baseline_rps else 0
    vendor = connection.vendor
    print(f"database:        {vendor}")
    print(f"records:         {records} ({args.customers} customers, {args.orders} orders, ...)")
    print(f"to all Synced:   {total_s:.1f} s  -> {total_rps:,.0f} records/s (total_rps)")
    print(f"whole run:       {run_s:.1f} s  -> {records / run_s:,.0f} records/s (+ the finish)")
    print(f"ingest only:     {ingest_s:.1f} s  -> {ingest_rps:,.0f} records/s")
    with_commits = records / (ingest_s + commit_s) if ingest_s + commit_s else 0
    print(f"+ the COMMITs:   {ingest_s + commit_s:.1f} s  -> {with_commits:,.0f} records/s")
    pipeline_rps = records / pipeline_s if pipeline_s else 0
    print(f"parse+map+write: {pipeline_s:.1f} s  -> {pipeline_rps:,.0f} records/s (after download)")
    print(f"baseline:        {base_rows} rows in {base_s:.1f} s -> {baseline_rps:,.0f} rows/s")
    print(f"ratio:           {ratio:.2f} (ingest / baseline)")
    print(f"peak worker RSS: {peak_mb:.0f} MB")
    print(f"total / ingest:  {total_rps / ingest_rps if ingest_rps else 0:.2f} (target >= 0.5)")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average:    {load} (after the run; {os.cpu_count()} CPUs)")
    print(
        f"RESULT ingest_rps={ingest_rps:.0f} total_rps={total_rps:.0f} "
        f"baseline_rps={baseline_rps:.0f} ratio={ratio:.2f} peak_mb={peak_mb:.0f}"
    )


if __name__ == "__main__":
    main()
