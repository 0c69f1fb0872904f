"""The webhook inbox's own SQLite file (ADR 0057), through ``manage.py migrate``.

With the default SQLite settings ``migrate`` creates the inbox tables in
``inbox.sqlite3`` only, and moves rows an older release left in ``shoplink.sqlite3``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DELIVERIES = "shopify_webhookdelivery"


def _migrate(data_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", SHOPLINK_DATA_DIR=str(data_dir))
    out = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v1"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_migrate_puts_the_inbox_in_its_own_file_and_moves_an_older_release_rows(tmp_path):
    _migrate(tmp_path)
    main, inbox = tmp_path / "shoplink.sqlite3", tmp_path / "inbox.sqlite3"
    assert {DELIVERIES, "shopify_webhookwake"} <= _tables(inbox)
    assert DELIVERIES not in _tables(main)
    assert "commerce_order" in _tables(main) and "commerce_order" not in _tables(inbox)

    # An older release's layout: the inbox tables in the main file, a delivery waiting.
    with sqlite3.connect(inbox) as db:
        schema = db.execute(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name=?", [DELIVERIES]
        ).fetchone()[0]
    with sqlite3.connect(main) as db:
        db.execute(schema)
        db.execute(
            f"INSERT INTO {DELIVERIES} (id, webhook_id, topic, shop_domain, received_at, state,"
            " headers, body, attempts, note) VALUES (7, 'w-old', 'orders/create',"
            " 'old.myshopify.com', '2026-12-01 10:00:00', 'received', '{}', x'7b7d', 0, '')"
        )

    out = _migrate(tmp_path)

    assert f"Moved 1 rows of {DELIVERIES} to the inbox database." in out
    with sqlite3.connect(inbox) as db:
        assert db.execute(f"SELECT id, webhook_id, state FROM {DELIVERIES}").fetchall() == [
            (7, "w-old", "received")
        ]
    with sqlite3.connect(main) as db:
        assert db.execute(f"SELECT count(*) FROM {DELIVERIES}").fetchone() == (0,)
    assert "Moved" not in _migrate(tmp_path)  # nothing left to move the next time
