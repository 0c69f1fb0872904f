"""Task decorators, on-commit enqueueing and the minute sweeper."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from shoplink.core import clock

log = logging.getLogger(__name__)

task = db_task
periodic_task = db_periodic_task
huey = HUEY

_sweepers: list[Callable[[], object]] = []


def enqueue_on_commit(fn, *args, **kwargs) -> None:
    """Enqueue ``fn(*args)`` once the surrounding transaction commits.

    Arguments must be ids and plain JSON: never personal data or tokens.
    """
    transaction.on_commit(lambda: fn(*args, **kwargs))


def register_sweeper(fn: Callable[[], object]) -> Callable[[], object]:
    """Register ``fn`` to run every minute (idempotent: safe to call at import)."""
    if fn not in _sweepers:
        _sweepers.append(fn)
    return fn


def run_sweepers() -> None:
    """Run every registered sweeper; one failing sweeper does not stop the others."""
    from shoplink.queue.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker=f"{socket.gethostname()}:{os.getpid()}", defaults={"beat_at": clock.now()}
    )
    for fn in list(_sweepers):
        try:
            fn()
        except Exception:
            log.exception("sweeper %s failed", getattr(fn, "__name__", fn))


@HUEY.on_startup()
def _checkpoints_off_the_commit_path() -> None:
    # Each consumer worker thread at start (idempotent per database): on SQLite, WAL
    # checkpoints run in a thread of their own (shoplink/core/sqlite_checkpoint.py).
    from shoplink.core import sqlite_checkpoint

    sqlite_checkpoint.start_for_server_process()


@db_periodic_task(crontab(minute="*"))
def minute_sweep() -> None:
    run_sweepers()


@db_task()
def ping(token: str) -> None:
    """Prove a worker is consuming: record a heartbeat named after ``token`` (ops check)."""
    from shoplink.queue.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker=f"ping:{token}", defaults={"beat_at": clock.now()}
    )
