"""The import's reader process: download, join, parse and map a bulk result beside the writer.

Owns the child process of one part's import (ADR 0053). The worker forks it at the start
of a part; the child streams the result file through the joiner from the part's
checkpoint, maps every group to a record and sends the records in batches through a
one-way pipe, while the worker writes and commits the batches it already has. The
child never touches the database: what it sends is plain records, and the worker stays
the only writer, so the checkpoint (``groups_done``, committed with its batch in
``bulk._commit``) means exactly what it meant in one process.

Two readers (ADR 0090, ``readers=2``): mapping can cost the child more CPU than writing
costs the worker, so after its index pass the child can fork a second reader that
shares the index (copy on write) and the spooled file. The first maps batches 0, 2,
4…, the second 1, 3, 5…, each into a pipe of its own, and the worker takes them in
turn, so it still writes them in file order and the checkpoint still means "every
group before this one". ``readers=1`` (the default setting) keeps one child.

Back-pressure: a sender thread in the child pickles and sends one batch at a time and
blocks while the worker has not taken the previous one; the mapping thread hands it
batches through a queue of one. So at most :data:`BATCHES_IN_FLIGHT` batches wait
per reader (one in its pipe, one in its queue), plus one being mapped per reader and
one being written, whatever the size of the file.

Failure: only the child holds the pipe's write end, so a child killed (SIGKILL, the OOM
killer), even halfway through a batch, is an end of file for the worker:
:func:`batches` raises :class:`ReaderDied` and the worker starts a new one from the
checkpoint. (A ``multiprocessing.Queue`` keeps both ends in the worker: a reader killed
mid-message would leave the worker waiting for the rest of it for ever.) The same holds
for the second reader's pipe, whose only write end is the second reader's. A worker
killed takes its child with it (``PR_SET_PDEATHSIG`` on Linux; a send to a closed pipe
ends it too), and the child takes the second reader the same way; the first waits for
the second before it exits, so a normal end never kills a reader that is still sending.
The next worker resumes from the checkpoint as before.
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

__all__ = [
    "BATCHES_IN_FLIGHT",
    "PROCESS_NAME",
    "ReaderDied",
    "ReaderStats",
    "available",
    "batches",
]

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


def batches(
    client, url: str, part: str, *, skip: int, size: int, stats: ReaderStats, readers: int = 1
):
    """Yield lists of ``size`` mapped records of ``part`` from group ``skip`` on.

    The records come from ``readers`` forked processes (1 or more; see the module
    docstring), in file order. An error a reader meets (a download failure is a
    ``ShopifyError``) is raised here, in the worker, as the same exception, so the
    caller's handling is the one of the single-process path.
    """
    context = multiprocessing.get_context("fork")
    pipes = [context.Pipe(duplex=False) for _ in range(max(1, readers))]
    receivers = [receiver for receiver, _ in pipes]
    senders = [sender for _, sender in pipes]
    child = context.Process(
        target=_read,
        args=(receivers, senders, os.getpid(), client, url, part, skip, size),
        name=f"shoplink-reader-{part}",
        daemon=True,  # a worker that exits normally never leaves a reader behind
    )
    child.start()
    for sender in senders:
        sender.close()  # the readers' copies are the only write ends: a death is an EOF
    try:
        yield from _receive(receivers, child, part, stats)
    finally:
        if child.is_alive():
            # The writer stopped early (lease lost, entity stopped, error); the second
            # reader follows its parent (PR_SET_PDEATHSIG).
            child.kill()
        child.join(10)
        for receiver in receivers:
            receiver.close()


def _receive(receivers: list, child, part: str, stats: ReaderStats) -> Iterator[list]:
    """Take batch k from reader ``k % len(receivers)`` until one of them says "end"."""
    others: list[int] = []  # the second (third...) readers' pids, sent by the first
    turn = 0
    while True:
        share = turn % len(receivers)
        kind, payload = _next(receivers[share], share, child, others, part)
        if kind == "batch":
            turn += 1
            yield payload
        elif kind == "readers":
            others = payload
        elif kind == "error":
            raise payload
        else:
            # No batch ``turn`` in the file, so none after it: the others end too.
            ends = [payload]
            for later in range(1, len(receivers)):
                share = (turn + later) % len(receivers)
                kind, other = _next(receivers[share], share, child, others, part)
                if kind == "error":
                    raise other
                ends.append(other)
            _note_end(stats, ends)
            return


def _next(receiver, share: int, child, others: list[int], part: str) -> tuple[str, object]:
    """The next message from one reader's pipe; :class:`ReaderDied` if it is gone."""
    while True:
        # poll() is also true at end of file; the timeout only paces the liveness check
        # (a reader forked by another worker thread may hold a copy of our write end).
        if receiver.poll(_CHECK_SECONDS):
            break
        if share == 0 or share > len(others):
            if child.is_alive():
                continue
            raise ReaderDied(part, child.exitcode)
        if not _alive(others[share - 1]):
            raise ReaderDied(part, None)
    try:
        return receiver.recv()
    except (EOFError, OSError):  # gone, possibly halfway through a batch
        child.join(_CHECK_SECONDS)
        raise ReaderDied(part, child.exitcode) from None


def _alive(pid: int) -> bool:
    """Whether ``pid`` (a second reader: not our child, so no waitpid) still runs."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _note_end(stats: ReaderStats, ends: list[dict]) -> None:
    first = [end["first_group_at"] for end in ends if end["first_group_at"] is not None]
    stats.first_group_at = min(first) if first else None
    stats.orphans = ends[0]["orphans"]  # every reader pops every key: the same count
    stats.peak_rss_mb = max(end["peak_rss_mb"] for end in ends)
    stats.start_rss_mb = ends[0]["start_rss_mb"]


# --- the child ---------------------------------------------------------------------------


class _Outbox:
    """One reader's way to the worker: a queue of one and a thread that sends from it.

    Started on the first message, so the fork of the second reader (after the index
    pass, before any batch) happens while the process still has one thread.
    """

    def __init__(self, sender) -> None:
        self.sender = sender
        self.queue: queue_module.Queue | None = None
        self.pump: threading.Thread | None = None

    def put(self, message) -> None:
        if self.queue is None:
            self.queue = queue_module.Queue(maxsize=BATCHES_IN_FLIGHT - 1)
            self.pump = threading.Thread(target=_pump, args=(self.queue, self.sender))
            self.pump.daemon = True
            self.pump.start()
        self.queue.put(message)

    def close(self) -> None:
        """Wait until every message is in the pipe."""
        if self.queue is not None:
            self.queue.put(None)
            self.pump.join()


def _read(receivers, senders, parent: int, client, url: str, part: str, skip: int, size: int):
    """The child's whole life: stream, join, map, send; never touch the database."""
    for receiver in receivers:
        receiver.close()  # only the worker reads
    _die_with(parent)
    # The worker's handlers (Huey's graceful stop) make no sense here: a stop signal to the
    # process group ends the reader, and the worker restarts or resumes from its checkpoint.
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    start_rss = _rss_mb()
    # The parent's objects are shared copy-on-write: keep the collector off them.
    gc.freeze()
    outbox = _Outbox(senders[0])
    forked: list[int] = []  # the other readers, if this is the first
    second = []  # non-empty in a reader the first one forked
    try:
        # The wire client, not the store's wrapper: its error hook writes to the database.
        api = getattr(client, "api", client)
        # The inherited keep-alive pool shares its sockets with the parent: use our own.
        api.http = httpx.Client(timeout=api.http.timeout, transport=api.transport)
        handler = PARTS[part]
        joiner = JsonlJoiner(api.stream_lines(url), skip=skip)

        def share_out():
            """After the index pass: fork the other readers; say which batches are ours."""
            if len(senders) == 1:
                return None
            me = os.getpid()
            share = 0
            for k in range(1, len(senders)):
                pid = os.fork()
                if pid == 0:
                    share = k
                    break
                forked.append(pid)
            for k, sender in enumerate(senders):
                if k != share:
                    sender.close()  # each reader keeps only the write end of its own pipe
            if share:
                forked.clear()
                second.append(share)
                outbox.sender = senders[share]
                _die_with(me)
            else:
                outbox.put(("readers", list(forked)))
            count = len(senders)
            return lambda position: (position // size) % count == share

        joiner.after_index = share_out
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
    outbox.close()  # the last message is in the pipe before the process ends
    if second:
        os._exit(0)  # a second reader: its work is done, and nothing else is its to run
    for pid in forked:
        # They die with this process (PR_SET_PDEATHSIG): wait until they have sent all.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


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
