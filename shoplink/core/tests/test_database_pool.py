"""PostgreSQL connections come from psycopg's pool, configured by the environment (ADR 0052);
the storage timeouts a web process answers within (ADR 0080).

Checked through ``manage.py shell`` in a fresh process, as an operator's settings would
be read; the pool object is built (Django checks it against persistent connections
there) without connecting, so no PostgreSQL server is needed.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import json
from django.db import connection
pool = getattr(connection, "pool", None)  # SQLite has none
print(json.dumps({
    "conn_max_age": connection.settings_dict["CONN_MAX_AGE"],
    "pool": None if pool is None else {
        "min_size": pool.min_size, "max_size": pool.max_size, "timeout": pool.timeout,
    },
}))
"""


def _settings(**env) -> dict:
    return _run(PROBE, ("DATABASE",), env)


def _run(script: str, dropped: tuple[str, ...], env: dict) -> dict:
    """Run ``script`` in ``manage.py shell`` without the variables starting with
    ``dropped`` (this run's own), plus ``env``; its last line, as JSON."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    environ.update(env, DJANGO_SETTINGS_MODULE="config.settings.dev")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


URL = "postgres://shoplink@db.invalid:5432/shoplink"


def test_postgresql_connections_are_pooled_without_persistent_connections():
    got = _settings(DATABASE_URL=URL)
    assert got == {"conn_max_age": 0, "pool": {"min_size": 1, "max_size": 8, "timeout": 10.0}}


def test_pool_sizes_come_from_the_environment():
    got = _settings(
        DATABASE_URL=URL,
        DATABASE_POOL_MIN_SIZE="2",
        DATABASE_POOL_MAX_SIZE="12",
        DATABASE_POOL_TIMEOUT="3",
    )
    assert got["pool"] == {"min_size": 2, "max_size": 12, "timeout": 3.0}


def test_the_pool_can_be_turned_off_for_persistent_connections():
    # E.g. behind PgBouncer in transaction mode, which pools already.
    assert _settings(DATABASE_URL=URL, DATABASE_POOL="0") == {"conn_max_age": 60, "pool": None}


def test_sqlite_has_no_pool():
    assert _settings()["pool"] is None


TIMEOUTS = """
import json
from django.db import connection
from huey.contrib.djhuey import HUEY
pool = getattr(connection, "pool", None)
redis_pool = getattr(HUEY.storage, "pool", None)
print(json.dumps({
    "pool_timeout": None if pool is None else pool.timeout,
    "reconnect_timeout": None if pool is None else pool.reconnect_timeout,
    "connect_timeout": connection.settings_dict["OPTIONS"].get("connect_timeout"),
    "redis": None if redis_pool is None else {
        k: redis_pool.connection_kwargs.get(k)
        for k in ("socket_timeout", "socket_connect_timeout")
    },
}))
"""


def _timeouts(**env) -> dict:
    return _run(TIMEOUTS, ("DATABASE", "REDIS", "SHOPLINK_PROCESS"), env)


def test_a_web_process_gives_up_on_the_database_inside_shopifys_five_seconds():
    # gunicorn sets SHOPLINK_PROCESS=web (config/gunicorn.py); a worker keeps 10 s.
    redis = "redis://queue.invalid:6379/0"
    web = _timeouts(DATABASE_URL=URL, REDIS_URL=redis, SHOPLINK_PROCESS="web")
    assert web == {
        "pool_timeout": 3.0,
        "reconnect_timeout": 5.0,
        "connect_timeout": 3,
        "redis": {"socket_timeout": 3.0, "socket_connect_timeout": 1.0},
    }
    assert _timeouts(DATABASE_URL=URL)["pool_timeout"] == 10.0


def test_timeouts_in_the_redis_url_win():
    got = _timeouts(REDIS_URL="redis://queue.invalid:6379/0?socket_timeout=7")
    assert got["redis"] == {"socket_timeout": 7.0, "socket_connect_timeout": 1.0}
