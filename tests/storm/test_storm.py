"""A small Black Friday storm in the normal suite, with every fault the cluster can meet.

Runs ``bench/storm.py`` (the same code as the full rehearsal) on the database and queue
this suite runs on: SQLite and its queue by default, PostgreSQL + Redis when the suite is
run with ``DATABASE_URL``/``REDIS_URL`` (then on a database of its own on that server and
a private redis-server, so restarting it harms no other test). Real processes over real
HTTP: a simulator, two gunicorn workers as ``shoplink serve`` starts them, two Huey
consumers. Four stores (one hot, one importing), records created in the simulator while
each fault strikes once; at the end every store must hold exactly the simulator's
customers, orders, checkouts and carts, and every expected event must be there once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.simulator
ROOT = Path(__file__).resolve().parents[2]


def _faults(database_url: str, redis_url: str) -> list[str]:
    faults = ["worker-kill", "web-kill", "queue-lost"]
    if redis_url:
        faults.append("redis-restart")
    if database_url.startswith("postgres"):
        faults.append("pg-restart")
    return faults


def test_a_small_storm_with_every_fault_ends_exact_with_each_event_once(tmp_path):
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    faults = _faults(database_url, redis_url)
    command = [sys.executable, str(ROOT / "bench" / "storm.py")]
    command += ["--stores", "4", "--import-stores", "1", "--import-size", "40"]
    command += ["--rate", "12", "--seconds", str(12 + 6 * len(faults)), "--workers", "2"]
    command += ["--web", "2", "--port-base", "0", "--time-scale", "0.005"]
    command += ["--settle-timeout", "150", "--fault", ",".join(faults)]
    if database_url.startswith("postgres"):
        port = urlsplit(database_url).port or 5432
        command += ["--database", "postgres", "--pg-port", str(port)]
        command += ["--pg-db", f"test_storm_ci_{uuid.uuid4().hex[:10]}"]
        command += ["--queue", "redis" if redis_url else "sqlite"]
    else:
        command += ["--database", "sqlite"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=420)
    assert run.returncode == 0, run.stderr[-3000:]
    report = run.stdout
    print(report)  # the figures, for ``pytest -s``
    result = dict(re.findall(r"(\w+)=(\S+)", report.strip().splitlines()[-1]))
    for fault in faults:  # each fault really struck
        assert {
            "worker-kill": "SIGKILLed and restarted",
            "web-kill": "gunicorn worker [",
            "queue-lost": "queue emptied",
            "redis-restart": "redis SIGKILLed, restarted empty",
            "pg-restart": "PostgreSQL unreachable for 10 s",
        }[fault] in report, report
    assert result["data_exact"] == "yes", report
    assert (result["lost"], result["duplicated"]) == ("0", "0"), report
    assert "deliveries still pending 0, failed 0, stores not synced 0" in report, report
