"""Read the process environment once, in one place.

Settings modules call these helpers; nothing else in the code base reads
``os.environ`` for configuration. Every variable is documented in
``docs/configuration.md``.
"""

from __future__ import annotations

import os
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


def env_list(name: str) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def data_dir() -> Path:
    """Where the embedded default keeps its SQLite database and queue (``SHOPLINK_DATA_DIR``)."""
    path = Path(env_str("SHOPLINK_DATA_DIR", str(BASE_DIR / "var")))
    path.mkdir(parents=True, exist_ok=True)
    return path
