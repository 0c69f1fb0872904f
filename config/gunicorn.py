"""gunicorn hooks that belong with the code (`shoplink serve` uses `-c python:config.gunicorn`).

Only hooks live here; bind address, workers and threads stay on the command line
(``shoplink.cli._web_command``) where operators set them.
"""


def post_worker_init(worker) -> None:
    # Each worker process, once the app is loaded: on SQLite, WAL checkpoints leave the
    # request path for a thread of the worker's own (shoplink/core/sqlite_checkpoint.py).
    from shoplink.core import sqlite_checkpoint

    sqlite_checkpoint.start_for_server_process()
