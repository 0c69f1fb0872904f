"""The Shopify tuning settings the sync and client read are declared and come from the env.

Run in a fresh interpreter so the settings module reads the environment we give it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[5]
DEFAULTS = {
    "SHOPIFY_SYNC_BATCH_SIZE": 1000,
    "SHOPIFY_BULK_POLL_SECONDS": 60,
    "SHOPIFY_BULK_REPOLL_SECONDS": 15,
    "SHOPIFY_SYNC_LEASE_SECONDS": 300,
    "SHOPIFY_RETRY_ATTEMPTS": 4,
    "SHOPIFY_RETRY_BASE_DELAY": 0.5,
    "SHOPIFY_RETRY_MAX_DELAY": 20,
    "SHOPIFY_HTTP_TIMEOUT": 30,
}
READ = (
    "import json, django; django.setup(); from django.conf import settings; "
    f"print(json.dumps({{n: getattr(settings, n, None) for n in {sorted(DEFAULTS)!r}}}))"
)


def read_settings(**overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in DEFAULTS}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", **overrides)
    out = subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_defaults_are_declared():
    assert read_settings() == DEFAULTS


def test_each_is_read_from_the_environment():
    values = {name: str(i + 2) for i, name in enumerate(sorted(DEFAULTS))}
    got = read_settings(**values)
    assert {name: float(value) for name, value in got.items()} == {
        name: float(value) for name, value in values.items()
    }


def test_every_shopify_getattr_in_the_code_is_declared():
    # A new getattr(settings, "SHOPIFY_...", default) must be added to base.py and here.

    names = set()
    for path in (ROOT / "shoplink").rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text()
        names |= set(re.findall(r'getattr\(settings, "(SHOPIFY_\w+)"', text))
        names |= set(re.findall(r'_setting\("(SHOPIFY_\w+)"', text))
    assert names <= set(DEFAULTS)
    docs = (ROOT / "docs" / "configuration.md").read_text()
    assert all(f"`{name}`" in docs for name in DEFAULTS)
