"""The import's reader process: download, join, parse and map a bulk result beside the writer.

Owns the child process of one part's import (ADR 0053). The worker forks it at the start
of a part; the child streams the result file through the joiner from the part's
checkpoint, maps every group to a record and sends the records in batches through a
one-way pipe, while the worker writes and commits the batches it already has. The
child never touches the database: what it sends is plain records, and the worker stays
the only writer, so the checkpoint (``groups_done``, committed with its batch in
``bulk._commit``) means exactly what it meant in one process.

Back-pressure: a sender thread in the child pickles and sends one batch at a time and
blocks while the worker has not taken the previous one; the mapping thread hands it
batches through a queue of one. So at most :data:`BATCHES_IN_FLIGHT` batches wait
between the two (one in the pipe, one in the child's queue), plus one being mapped and
one being written, whatever the size of the file.

Failure: only the child holds the pipe's write end, so a child killed (SIGKILL, the OOM
killer), even halfway through a batch, is an end of file for the worker:
:func:`batches` raises :class:`ReaderDied` and the worker starts a new one from the
checkpoint. (A ``multiprocessing.Queue`` keeps both ends in the worker: a reader killed
mid-message would leave the worker waiting for the rest of it for ever.) A worker killed
takes its child with it (``PR_SET_PDEATHSIG`` on Linux; a send to a closed pipe ends it
too), and the next worker resumes from the checkpoint as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import queue as queue_module
import resource
import signal
import threading
import time
from collections.abc import Iterator

import httpx

from shoplink.integrations.shopify.api.jsonl import JsonlJoiner
from shoplink.integrations.shopify.sync.entities import PARTS

__all__ = ["BATCHES_IN_FLIGHT", "PROCESS_NAME", "ReaderDied", "ReaderStats", "available", "batches"]

# Batches of mapped records waiting between the reader and the writer: one being sent
# through the pipe and one queued behind it in the child. Two keep the writer busy when
# the reader is ahead and bound memory at four batches in all (+ one being mapped and
# one being written).
BATCHES_IN_FLIGHT = 2

# How often a blocked side looks whether the other process is still there.
_CHECK_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_PR_SET_NAME = 15
# What ``ps`` and /proc/<pid>/comm show for the child (15 bytes at most).
PROCESS_NAME = b"shoplink-reader"


class ReaderDied(Exception):
    """The reader process ended without sending the end of its result (killed, crashed)."""

    def __init__(self, part: str, exitcode: int | None):
        super().__init__(f"the reader of {part} ended with exit code {exitcode}")
        self.part, self.exitcode = part, exitcode


class ReaderStats:
    """What the reader reports at the end: for Activity timings and the benchmark."""

    def __init__(self) -> None:
        self.first_group_at: float | None = None  # time.monotonic() is system-wide on Linux
        self.orphans = 0
        self.peak_rss_mb = 0.0
        self.start_rss_mb = 0.0  # after the fork: the worker's pages it shares


def available() -> bool:
    """Whether this platform can fork the reader (Linux; not spawn-only platforms)."""
    return "fork" in multiprocessing.get_all_start_methods()


def batches(client, url: str, part: str, *, skip: int, size: int, stats: ReaderStats):
    """Yield lists of ``size`` mapped records of ``part`` from group ``skip`` on.

    The records come from a forked child; see the module docstring. An error the child
    meets (a download failure is a ``ShopifyError``) is raised here, in the worker, as
    the same exception, so the caller's handling is the one of the single-process path.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_read,
        args=(receiver, sender, os.getpid(), client, url, part, skip, size),
        name=f"shoplink-reader-{part}",
        daemon=True,  # a worker that exits normally never leaves a reader behind
    )
    child.start()
    sender.close()  # the child's copy is the only write end: its death is an end of file
    try:
        yield from _receive(receiver, child, part, stats)
    finally:
        if child.is_alive():
            child.kill()  # the writer stopped early (lease lost, entity stopped, error)
        child.join(10)
        receiver.close()


def _receive(receiver, child, part: str, stats: ReaderStats) -> Iterator[list]:
    while True:
        # poll() is also true at end of file; the timeout only paces the liveness check
        # (a reader forked by another worker thread may hold a copy of our write end).
        if not receiver.poll(_CHECK_SECONDS):
            if child.is_alive():
                continue
            raise ReaderDied(part, child.exitcode)
        try:
            kind, payload = receiver.recv()
        except (EOFError, OSError):  # gone, possibly halfway through a batch
            child.join(_CHECK_SECONDS)
            raise ReaderDied(part, child.exitcode) from None
        if kind == "batch":
            yield payload
        elif kind == "error":
            raise payload
        else:
            stats.first_group_at = payload["first_group_at"]
            stats.orphans = payload["orphans"]
            stats.peak_rss_mb = payload["peak_rss_mb"]
            stats.start_rss_mb = payload["start_rss_mb"]
            return


# --- the child ---------------------------------------------------------------------------


def _read(receiver, sender, parent: int, client, url: str, part: str, skip: int, size: int):
    """The child's whole life: stream, join, map, send; never touch the database."""
    receiver.close()  # only the worker reads
    _die_with(parent)
    # The worker's handlers (Huey's graceful stop) make no sense here: a stop signal to the
    # process group ends the reader, and the worker restarts or resumes from its checkpoint.
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    start_rss = _rss_mb()
    # The parent's objects are shared copy-on-write: keep the collector off them.
    gc.freeze()
    outbox: queue_module.Queue = queue_module.Queue(maxsize=BATCHES_IN_FLIGHT - 1)
    pump = threading.Thread(target=_pump, args=(outbox, sender), daemon=True)
    pump.start()
    try:
        # The wire client, not the store's wrapper: its error hook writes to the database.
        api = getattr(client, "api", client)
        # The inherited keep-alive pool shares its sockets with the parent: use our own.
        api.http = httpx.Client(timeout=api.http.timeout, transport=api.transport)
        handler = PARTS[part]
        joiner = JsonlJoiner(api.stream_lines(url), skip=skip)
        batch: list = []
        first = None
        for node, children in joiner:
            first = first or time.monotonic()
            batch.append(handler.to_record(node, children))
            if len(batch) >= size:
                outbox.put(("batch", batch))
                batch = []
        if batch:
            outbox.put(("batch", batch))
        end = {
            "first_group_at": first,
            "orphans": joiner.orphan_count,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "start_rss_mb": start_rss,
        }
        outbox.put(("end", end))
    except Exception as error:  # handed to the worker, which raises it
        outbox.put(("error", _portable(error)))
    outbox.put(None)
    pump.join()  # the last message is in the pipe before the process ends


def _pump(outbox: queue_module.Queue, sender) -> None:
    """Pickle and send the child's messages in order; blocks while the worker is behind."""
    while (message := outbox.get()) is not None:
        try:
            sender.send(message)
        except OSError:  # BrokenPipeError: the worker is gone, nobody will read this
            os._exit(1)


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when the worker dies, even by SIGKILL (Linux).

    Also names the process, so an operator (and the tests) can tell it from the worker.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        libc.prctl(_PR_SET_NAME, PROCESS_NAME)
    if os.getppid() != parent:  # it died before the line above took effect
        os._exit(1)


def _rss_mb() -> float:
    """This process's resident memory now (``ru_maxrss`` would be the parent's peak)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return 0.0


def _portable(error: Exception) -> Exception:
    """``error`` if it survives pickling (ShopifyError does), else a plain description."""
    try:
        # Our own bytes, just made: the round trip checks the worker can rebuild them.
        pickle.loads(pickle.dumps(error))  # noqa: S301
    except Exception:  # any failure to pickle means "describe it instead"
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
