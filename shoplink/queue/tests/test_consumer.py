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
    _run_consumer_until_pinged(worker_env, token, workers=1)


def _run_consumer_until_pinged(env: dict, token: str, *, workers: int, look=None):
    """Start ``manage.py run_huey``, wait until it ran ``ping(token)``, stop it.

    ``look(pid)`` runs while the consumer is still up; its result is returned.
    """
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", str(workers), "--no-periodic"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not WorkerHeartbeat.objects.filter(worker=f"ping:{token}").exists():
            assert time.monotonic() < deadline, "the consumer never ran the job"
            assert worker.poll() is None, "the consumer exited"
            time.sleep(0.2)
        return look(worker.pid) if look else None
    finally:
        worker.terminate()
        worker.wait(10)


def _thread_niceness(pid: int) -> dict[int, int]:
    """Niceness of every thread of ``pid``, by thread id (field 19 of /proc/.../stat)."""
    niceness = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        stat = (task / "stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        niceness[int(task.name)] = int(fields[16])
    return niceness


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads Linux's /proc")
@pytest.mark.django_db(transaction=True)
def test_consumer_job_threads_yield_the_cpu_to_the_web_process(worker_env, real_queue):
    """WORKER_NICE: the job threads run at that niceness, the consumer's main thread not."""
    token = uuid.uuid4().hex
    ping(token)
    env = {**worker_env, "WORKER_NICE": "7"}
    pid, niceness = _run_consumer_until_pinged(
        env, token, workers=2, look=lambda pid: (pid, _thread_niceness(pid))
    )
    assert niceness[pid] == 0, niceness  # the scheduler and the signal handling
    assert sum(1 for value in niceness.values() if value == 7) >= 2, niceness
