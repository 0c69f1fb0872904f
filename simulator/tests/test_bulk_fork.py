"""A forked export worker never waits for a lock another server thread held at the fork.

Python 3.11's ``functools.cached_property`` takes a lock per property, and graphql-core's
type fields are such properties: a server thread computing one (a GraphQL request touching
a type for the first time) while an export forks left the worker waiting for ever (seen in
``bench/import.py``: an export stuck RUNNING with its worker asleep in ``__get__``).
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from graphql import GraphQLField, GraphQLObjectType, GraphQLString
from shopsim import bulk_export


def _child_reads_a_fresh_type_field(renew: bool) -> int:
    """Fork; the child reads a not-yet-computed cached field; its exit code (or -1, hung)."""
    pid = os.fork()
    if pid == 0:  # the child: what an export worker does before generating lines
        code = 1
        try:
            if renew:
                bulk_export.renew_locks_after_fork()
            fresh = GraphQLObjectType("Fresh", lambda: {"x": GraphQLField(GraphQLString)})
            code = 0 if "x" in fresh.fields else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return -1


@pytest.mark.parametrize("renew", [True, False])
def test_forked_worker_with_a_lock_held_by_another_thread(renew):
    locks = bulk_export.cached_property_locks()
    fields = vars(GraphQLObjectType)["fields"]
    if not locks or not hasattr(fields, "lock"):
        pytest.skip("this Python's cached_property takes no lock (3.12+): nothing to renew")
    holding, release = threading.Event(), threading.Event()

    def hold():
        with fields.lock:  # another thread in the middle of computing a type's fields
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        holding.wait(5)
        code = _child_reads_a_fresh_type_field(renew)
    finally:
        release.set()
        thread.join()
    # Without renewing the locks the child hangs: proof the test sees the fault it guards.
    assert code == (0 if renew else -1)
