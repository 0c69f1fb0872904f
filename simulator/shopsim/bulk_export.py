"""Writing a bulk operation's result file, in this process or split over worker processes.

Generating a million orders is CPU-bound Python, so a large export is split by root
position over `workers` forked processes (default: one per CPU): worker k writes roots
`[k·n/w, (k+1)·n/w)` to its own part file (worker 0 to the result file itself) and
reports its counts through shared memory, so `objectCount`, `rootObjectCount` and
`fileSize` keep advancing while the operation is RUNNING; the other parts are then
appended in order (in the kernel, `copy_file_range`). A worker only reads the snapshot
and the generator and leaves with `os._exit`; the one lock it can meet is the one Python
3.11's `functools.cached_property` takes (graphql-core's lazy type fields), which another
thread of the server may hold at the moment of the fork: the child gets fresh ones
(`renew_locks_after_fork`), or it would wait forever for a thread it does not have.
Small exports (fewer roots than `min_roots`) stay in this process.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import os
import signal
import threading
import time
import traceback
from multiprocessing.sharedctypes import RawArray

import graphql.type.definition

from shopsim.bulk_jsonl import iter_roots, root_count

REPORT_EVERY = 500  # roots between progress reports


def write_range(op, path: str, start: int, stop: int | None, report) -> bool:
    """Write roots `start`..`stop` to `path`; `report(objects, roots, bytes)` → keep going?"""
    objects = roots = size = 0
    with open(path, "wb", buffering=1 << 20) as fh:
        write = fh.write
        for chunk, n in iter_roots(op, start, stop):
            write(chunk)
            objects += n
            size += len(chunk)
            roots += 1
            if roots % REPORT_EVERY == 0 and not report(objects, roots, size):
                return False
    report(objects, roots, size)
    return True


def export(op, path: str, limit: int | None, workers: int, min_roots: int) -> bool:
    """Write the result (the first `limit` roots when set); False when it was cancelled."""
    total = None
    if workers > 1:
        total = root_count(op)
        total = total if limit is None else min(total, limit)
    if total is None or total < max(min_roots, workers):

        def report(objects, roots, size):
            op.object_count, op.root_count, op.file_size = objects, roots, size
            time.sleep(0)  # let the event loop serve polls while we work
            return not op.cancel_requested

        return write_range(op, path, 0, limit, report)
    return _forked(op, path, total, workers)


def cached_property_locks() -> list[functools.cached_property]:
    """graphql-core's cached properties that carry a lock (Python < 3.12 gives each one)."""
    found = []
    for value in vars(graphql.type.definition).values():
        if isinstance(value, type):
            found.extend(
                attr
                for attr in vars(value).values()
                if isinstance(attr, functools.cached_property) and hasattr(attr, "lock")
            )
    return found


def renew_locks_after_fork() -> None:
    # A lock held by another thread at the fork stays held in the child for ever; what
    # that thread was computing was not stored yet, so the child simply computes it again.
    for prop in cached_property_locks():
        prop.lock = threading.RLock()


def _forked(op, path: str, total: int, workers: int) -> bool:
    stats = RawArray(ctypes.c_longlong, 3 * workers)
    bounds = [total * k // workers for k in range(workers + 1)]
    # Worker 0 writes the head of the file in place; only the other parts are appended.
    parts = [path] + [f"{path}.part{k}" for k in range(1, workers)]
    pids = []
    for k in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                renew_locks_after_fork()
                _die_with_parent()
                # The inherited heap (schema, shop) is never freed here: keep the collector
                # from walking it (and from copying its pages) at every full collection.
                gc.freeze()

                def report(objects, roots, size, k=k):
                    stats[3 * k], stats[3 * k + 1], stats[3 * k + 2] = objects, roots, size
                    return True

                write_range(op, parts[k], bounds[k], bounds[k + 1], report)
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        pids.append(pid)
    alive, failed = set(pids), False
    while alive:
        for pid in list(alive):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                alive.discard(pid)
                failed = failed or os.waitstatus_to_exitcode(status) != 0
        op.object_count = sum(stats[0::3])
        op.root_count = sum(stats[1::3])
        op.file_size = sum(stats[2::3])
        if op.cancel_requested or failed:
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            alive.clear()
        elif alive:
            time.sleep(0.05)
    try:
        if failed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise RuntimeError("a bulk export worker failed")
        if op.cancel_requested:
            return False
        with open(path, "r+b") as out:  # not "ab": copy_file_range refuses O_APPEND
            out.seek(0, os.SEEK_END)
            for part in parts[1:]:
                _append(out, part)
        return True
    finally:
        for part in parts[1:]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(part)


def _append(out, part: str) -> None:
    with open(part, "rb") as src:
        left = os.fstat(src.fileno()).st_size
        while left > 0:
            n = os.copy_file_range(src.fileno(), out.fileno(), left)
            if n == 0:
                break
            left -= n


def _die_with_parent() -> None:
    """Ask Linux to kill this worker if the simulator dies (PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
