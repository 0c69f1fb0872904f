"""One SQLite writer at a time across threads *and* processes, without SQLite's sleeps.

SQLite allows a single writer per database file; a second one waits in its busy handler,
which sleeps 1, 2, 5, 10 … 100 ms between retries, so under a webhook storm most of a
request's time is spent asleep, and a busy worker can starve the receiver. The
receiver's INSERT and each delivery's processing take this lock first: a re-entrant
thread lock within the process, then ``flock`` on a file beside the database, which the
kernel hands over the moment it is released. Each database file has its own lock (the
webhook inbox may have a file of its own, ``core/dbrouter.py``); a block that needs both
takes ``default``'s first, never the other way round. Other databases have row locks
and get a no-op.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections

# Per database file: a re-entrant thread lock and a depth count per thread (on-commit
# callbacks run inside the block in immediate queue mode, and may process another
# delivery on the same thread).
_thread_locks: dict[str, threading.RLock] = {}
_registry_lock = threading.Lock()
_held = threading.local()
_lock_files: dict[str, int] = {}


def _lock_fd(db_path: str) -> int:
    fd = _lock_files.get(db_path)
    if fd is None:
        fd = os.open(db_path + ".writelock", os.O_RDWR | os.O_CREAT, 0o600)
        _lock_files[db_path] = fd
    return fd


def _thread_lock(db_path: str) -> threading.RLock:
    with _registry_lock:
        return _thread_locks.setdefault(db_path, threading.RLock())


@contextlib.contextmanager
def sqlite_writer(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Hold database ``using``'s write turn for the duration of the block (SQLite only)."""
    connection = connections[using]
    name = str(connection.settings_dict.get("NAME") or "")
    if (
        connection.vendor != "sqlite"
        or not name
        or name.startswith(":memory:")
        or (connection.in_atomic_block)
    ):
        # In-memory databases have one process; inside an open transaction (tests) the
        # outer block already owns the write turn and re-locking would deadlock.
        yield
        return
    with _thread_lock(name):
        depths = getattr(_held, "depths", None)
        if depths is None:
            depths = _held.depths = {}
        depth = depths.get(name, 0)
        depths[name] = depth + 1
        fd = _lock_fd(name)
        if depth == 0:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            depths[name] = depth
            if depth == 0:
                fcntl.flock(fd, fcntl.LOCK_UN)
