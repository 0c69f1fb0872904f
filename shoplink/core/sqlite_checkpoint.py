"""WAL checkpoints of the long-running processes, taken off the commit path (SQLite only).

SQLite in WAL mode copies the log back into the database file every 1,000 pages by
default, inside whichever commit crosses the mark, fsync included. In the web process
that commit is a webhook delivery's INSERT, made while it holds the database's write
turn (``integrations/shopify/writelock.py``), so every few hundred deliveries one
request paid for the others' writes and every receiver queued behind it: the p99 of the
issue-6 benchmark; in the worker it was a batch's commit, with the same effect. Here the
web and worker processes' connections do not checkpoint on commit; a daemon thread per
process runs a ``PASSIVE`` checkpoint once a second on a connection of its own, which
copies what no reader still needs and never blocks a writer.

Durability is unchanged (``synchronous`` stays as configured: a commit is in the WAL,
which survives a crash either way); only who copies the WAL back, and when, changes.
Short-lived processes (management commands, tests) keep SQLite's automatic checkpoints.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from django.db.backends.signals import connection_created

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0
_started: set[str] = set()
_lock = threading.Lock()
_DISPATCH_UID = "shoplink_sqlite_no_autocheckpoint"


def _no_autocheckpoint(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint=0")


def is_file_database(settings_dict: dict) -> bool:
    name = str(settings_dict.get("NAME") or "")
    return bool(name) and not name.startswith(":memory:") and "mode=memory" not in name


def disable_autocheckpoint() -> None:
    """Connections this process opens from now on leave checkpoints to the thread."""
    connection_created.connect(_no_autocheckpoint, dispatch_uid=_DISPATCH_UID)


def start_thread(db_path: str, interval: float = INTERVAL_SECONDS) -> threading.Thread | None:
    """Checkpoint ``db_path`` every ``interval`` seconds in a daemon thread.

    Idempotent per path; returns the thread when this call started it.
    """
    with _lock:
        if db_path in _started:
            return None
        _started.add(db_path)
    thread = threading.Thread(
        target=_run, args=(db_path, interval), name="sqlite-checkpoint", daemon=True
    )
    thread.start()
    return thread


def start_for_server_process() -> None:
    """Both halves, on SQLite files only (each database: the webhook inbox may have a
    file of its own, ``core/dbrouter.py``): gunicorn's ``post_worker_init``
    (config/gunicorn.py) and the Huey consumer's start-up hook (queue/jobs.py)."""
    from django.db import connections

    for alias in connections:
        connection = connections[alias]
        if connection.vendor == "sqlite" and is_file_database(connection.settings_dict):
            disable_autocheckpoint()
            start_thread(str(connection.settings_dict["NAME"]))


def _run(db_path: str, interval: float) -> None:
    db = sqlite3.connect(db_path, timeout=0, check_same_thread=False)
    while True:
        time.sleep(interval)
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as error:
            # Busy (another process is checkpointing) or a transient error: next time.
            log.debug("WAL checkpoint skipped: %s", error)
