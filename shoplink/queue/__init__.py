"""The task seam: Huey behind a few functions, so apps never touch the queue directly.

- ``task`` / ``periodic_task``: decorators (Huey's Django integration closes DB
  connections around each task).
- ``enqueue_on_commit(task, *ids)``: schedule after the current transaction commits,
  so a worker never sees a job for a row that is not there yet.
- ``register_sweeper(fn)``: run ``fn()`` every minute from one periodic task; the
  database is the source of truth and sweepers re-enqueue whatever is pending.
"""
