"""A real Huey consumer process takes jobs from the configured storage (SQLite or Redis)."""

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from shoplink.queue.jobs import enqueue_on_commit, ping
from shoplink.queue.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db(transaction=True)
def test_real_consumer_runs_an_enqueued_job(worker_env, real_queue):
    token = uuid.uuid4().hex
    from django.db import transaction

    with transaction.atomic():
        enqueue_on_commit(ping, token)
        assert len(real_queue) == 0  # nothing is enqueued before the commit
    assert len(real_queue) == 1
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
        cwd=ROOT,
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not WorkerHeartbeat.objects.filter(worker=f"ping:{token}").exists():
            assert time.monotonic() < deadline, "the consumer never ran the job"
            assert worker.poll() is None, "the consumer exited"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(10)
