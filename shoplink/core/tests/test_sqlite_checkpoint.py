"""WAL checkpoints leave the commit path for a thread (shoplink/core/sqlite_checkpoint.py)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from django.db.backends.signals import connection_created
from django.db.utils import ConnectionHandler

from shoplink.cli import _web_command
from shoplink.core import sqlite_checkpoint

ROOT = Path(__file__).resolve().parents[3]


def _writer(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")  # as the web and worker connections now are
    db.execute("CREATE TABLE IF NOT EXISTS t (body BLOB)")
    return db


def test_the_thread_copies_the_wal_back_into_the_database(tmp_path):
    path = str(tmp_path / "db.sqlite3")
    db = _writer(path)
    for _ in range(300):
        db.execute("INSERT INTO t VALUES (?)", [os.urandom(4096)])
    before = os.path.getsize(path)
    time.sleep(0.3)
    # Nothing copies the WAL back on its own: the commits above did not checkpoint.
    assert os.path.getsize(path) == before < 300 * 4096

    assert sqlite_checkpoint.start_thread(path, interval=0.05) is not None
    assert sqlite_checkpoint.start_thread(path, interval=0.05) is None  # one per database
    deadline = time.monotonic() + 10
    while os.path.getsize(path) < 300 * 4096:
        assert time.monotonic() < deadline, "the WAL was never checkpointed"
        time.sleep(0.05)
    assert db.execute("SELECT count(*) FROM t").fetchone() == (300,)
    db.close()


def test_connections_opened_after_disable_leave_checkpoints_to_the_thread(
    tmp_path, django_db_blocker
):
    # A SQLite connection of its own, whatever database this run's tests use.
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "x.sqlite3")}
    handler = ConnectionHandler({"default": sqlite, "x": sqlite})
    with django_db_blocker.unblock():  # a private file, not the tests' database
        sqlite_checkpoint.disable_autocheckpoint()
        try:
            assert _autocheckpoint(handler.create_connection("x")) == 0
        finally:
            connection_created.disconnect(dispatch_uid=sqlite_checkpoint._DISPATCH_UID)
        assert _autocheckpoint(handler.create_connection("x")) == 1000  # SQLite's default


def _autocheckpoint(wrapper) -> int:
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            return cursor.fetchone()[0]
    finally:
        wrapper.close()


def test_only_file_databases_get_a_thread():
    assert sqlite_checkpoint.is_file_database({"NAME": "/var/lib/shoplink/shoplink.sqlite3"})
    assert not sqlite_checkpoint.is_file_database({"NAME": ":memory:"})
    assert not sqlite_checkpoint.is_file_database({"NAME": "file:memorydb_default?mode=memory"})
    assert not sqlite_checkpoint.is_file_database({"NAME": ""})


def test_the_shipped_web_server_and_worker_each_start_the_thread(tmp_path):
    """Through the real commands: ``shoplink serve``'s gunicorn and ``run_huey``.

    A WAL left below SQLite's own 1,000-page checkpoint mark stays in the log until
    somebody checkpoints; each process, once started, must do it within seconds.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        SHOPLINK_DATA_DIR=str(tmp_path),
        HUEY_IMMEDIATE="0",
        PYTHONUNBUFFERED="1",
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    path = str(tmp_path / "shoplink.sqlite3")
    db = _writer(path)  # held open: closing the last connection would checkpoint itself
    try:
        port = _free_port()
        for command in (
            _web_command("127.0.0.1", port, 1, threads=2),
            [sys.executable, "manage.py", "run_huey", "--workers", "1", "--no-periodic"],
        ):
            for _ in range(250):
                db.execute("INSERT INTO t VALUES (?)", [os.urandom(4096)])
            before = os.path.getsize(path)
            time.sleep(0.5)
            assert os.path.getsize(path) == before  # nobody checkpoints yet
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                deadline = time.monotonic() + 30
                while os.path.getsize(path) < before + 250 * 4096:
                    assert time.monotonic() < deadline, f"{command[2]}: WAL never checkpointed"
                    assert process.poll() is None, f"{command[2]} exited"
                    time.sleep(0.1)
            finally:
                process.terminate()
                process.wait(10)
    finally:
        db.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
