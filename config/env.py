"""Read the process environment once, in one place.

Settings modules call these helpers; nothing else in the code base reads
``os.environ`` for configuration. Every variable is documented in
``docs/configuration.md``.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """Return the variable as a stripped string, or ``default`` when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool = False) -> bool:
    """Return the variable as a boolean (``1/true/yes/on`` are true)."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """Return the variable as an integer, failing loudly on a malformed value."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SystemExit(
            f"Configuration error: {name} must be a whole number, got {value!r}"
        ) from exc


def env_deadline(name: str, *, needed_by: str) -> str:
    """Return an ISO 8601 time variable, stopping start-up when it is needed but unusable.

    ``needed_by`` names the variable that makes this one mandatory when set (a previous
    client secret is only accepted until a valid deadline: one rule for OAuth and webhooks).
    """
    value = env_str(name)
    if not env_str(needed_by):
        return value
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise SystemExit(
            f"Configuration error: {needed_by} is set, so {name} must say until when it is "
            f"accepted, as an ISO 8601 time with its zone, e.g. 2026-12-07T21:00:00Z "
            f"(got {value!r}). Unset {needed_by} once the rotation is over."
        ) from exc
    return value


def env_list(name: str) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def data_dir() -> Path:
    """Where the embedded default keeps its SQLite database and queue (``SHOPLINK_DATA_DIR``)."""
    path = Path(env_str("SHOPLINK_DATA_DIR", str(BASE_DIR / "var")))
    path.mkdir(parents=True, exist_ok=True)
    return path
