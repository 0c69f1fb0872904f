"""Task decorators, on-commit enqueueing, the minute sweeper and the consumer's quick sweep.

``task`` / ``periodic_task`` are Huey's ``db_task`` / ``db_periodic_task`` plus one rule:
a job whose subject no longer exists ends quietly with one log line instead of a
traceback. Jobs take ids and may still be queued when their store or record is deleted
(Delete in the UI): that is expected, not an error. A missing row
(``ObjectDoesNotExist``) always counts as gone; an integration adds its own cases with
:func:`register_gone_check` (the Shopify package: an auth error for a deleted store).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from shoplink.core import clock

log = logging.getLogger(__name__)

huey = HUEY

_sweepers: list[Callable[[], object]] = []
_quick_sweepers: list[Callable[[], object]] = []
# How often each consumer process runs the quick sweepers (``register_quick_sweeper``).
QUICK_SWEEP_SECONDS = 2.0
_quick_started = threading.Event()
# (exception, job name, job args) -> why the job's subject is gone, or None.
GoneCheck = Callable[[BaseException, str, tuple], "str | None"]
_gone_checks: list[GoneCheck] = []


def register_gone_check(check: GoneCheck) -> GoneCheck:
    """Let ``check`` declare an exception "the job's subject is gone" (idempotent)."""
    if check not in _gone_checks:
        _gone_checks.append(check)
    return check


def gone_reason(exc: BaseException, name: str, args: tuple) -> str | None:
    """Why ``exc`` means the job's subject was deleted, or None for a real failure."""
    if isinstance(exc, ObjectDoesNotExist):
        return f"{type(exc).__qualname__.removesuffix('.DoesNotExist')} no longer exists"
    for check in _gone_checks:
        why = check(exc, name, args)
        if why:
            return why
    return None


def _quiet_when_gone(fn: Callable) -> Callable:
    @functools.wraps(fn)  # same __module__/__name__: Huey's task name does not change
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            why = gone_reason(exc, fn.__name__, args)
            if why is None:
                raise
            # Ids only (never personal data): the job's name and arguments are ids.
            log.info("job %s%r ended without work: %s", fn.__name__, args, why)
            return None

    return run


def task(*dargs, **dkwargs):
    """Huey's ``db_task``; a job whose subject was deleted ends with one log line."""

    def decorate(fn):
        return db_task(*dargs, **dkwargs)(_quiet_when_gone(fn))

    return decorate


def periodic_task(*dargs, **dkwargs):
    """Huey's ``db_periodic_task`` with the same rule as :func:`task`."""

    def decorate(fn):
        return db_periodic_task(*dargs, **dkwargs)(_quiet_when_gone(fn))

    return decorate


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


def register_quick_sweeper(fn: Callable[[], object]) -> Callable[[], object]:
    """Register ``fn`` to run every ``QUICK_SWEEP_SECONDS`` in each consumer process.

    For recoveries that cannot wait for the minute (a job lost with the queue or with a
    killed worker). Unlike the minute sweep it is not itself a queued job, so a lost or
    flushed queue cannot take it away. ``fn`` must be cheap when there is nothing to do.
    """
    if fn not in _quick_sweepers:
        _quick_sweepers.append(fn)
    return fn


def run_quick_sweepers() -> None:
    """One round of the quick sweepers; a failing one (database down) waits for the next."""
    from django.db import close_old_connections

    for fn in list(_quick_sweepers):
        try:
            fn()
        except Exception as error:
            log.warning("quick sweeper %s failed (%s)", fn.__name__, type(error).__name__)
        finally:
            close_old_connections()  # a connection broken by a database restart is replaced


def _quick_sweep_loop() -> None:
    while True:
        time.sleep(QUICK_SWEEP_SECONDS)
        run_quick_sweepers()


@HUEY.on_startup()
def _yield_the_cpu_to_the_web_process() -> None:
    # Called in each consumer worker thread at start, before the other hooks. Linux keeps
    # a niceness per thread, so each job thread lowers its own, and what it starts
    # inherits it (the import's reader process, the quick-sweep thread). Receiving a
    # webhook is a few milliseconds of CPU that Shopify waits for (5 s, then a retry);
    # a drain or an import can wait.
    lower_this_threads_priority(getattr(settings, "WORKER_NICE", 0))


def lower_this_threads_priority(niceness: int) -> None:
    """Run the calling thread at ``niceness`` (never raised back; 0 or less: unchanged)."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if niceness > current:
            os.setpriority(os.PRIO_PROCESS, tid, niceness)
    except OSError as error:  # a container may forbid it; the consumer runs regardless
        log.warning("could not lower the worker thread's priority (%s)", error)


@HUEY.on_startup()
def _start_quick_sweep() -> None:
    # Called by each consumer worker thread at start: one sweeping thread per process.
    if not _quick_started.is_set():
        _quick_started.set()
        threading.Thread(target=_quick_sweep_loop, name="quick-sweep", daemon=True).start()


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
