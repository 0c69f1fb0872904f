"""gunicorn hooks that belong with the code (`shoplink serve` uses `-c python:config.gunicorn`).

Hooks and the process's role live here; bind address, workers and threads stay on the command line
(``shoplink.cli._web_command``) where operators set them.
"""


def post_worker_init(worker) -> None:
    # Each worker process, once the app is loaded: on SQLite, WAL checkpoints leave the
    # request path for a thread of the worker's own (shoplink/core/sqlite_checkpoint.py).
    from shoplink.core import sqlite_checkpoint

    sqlite_checkpoint.start_for_server_process()


# The settings read it: a web process waits less for a pooled database connection than a
# worker does, so a delivery meets a quick 5xx rather than Shopify's 5 s timeout while the
# database is away (config/settings/base.py).
raw_env = ["SHOPLINK_PROCESS=web"]
