"""Shopify access scopes: the ones Shoplink asks for, and how a grant is compared (D7).

Pure: no settings, no database. ``connection/grant.py`` applies these rules to a store.
"""

from __future__ import annotations

from collections.abc import Iterable

# Always requested: reading customers, orders (checkouts ride on it) and the catalogue.
BASE_SCOPES = ("read_customers", "read_orders", "read_products")
# Requested while any "Data to Shopify" toggle is on (D7).
WRITE_SCOPE = "write_customers"


def parse_scopes(raw: str | Iterable[str] | None) -> list[str]:
    """Shopify sends granted scopes comma-separated; keep them sorted and unique."""
    items = (raw or "").split(",") if isinstance(raw, str) or raw is None else list(raw)
    return sorted({s.strip() for s in items if s and s.strip()})


def required_scopes(*, writes: bool, extra: Iterable[str] = ()) -> list[str]:
    """The scopes to request: the base set, the write scope when writing, and ``extra``."""
    scopes = set(BASE_SCOPES)
    if writes:
        scopes.add(WRITE_SCOPE)
    scopes.update(s.strip() for s in extra if s and s.strip())
    return sorted(scopes)


def missing_scopes(required: Iterable[str], granted: Iterable[str]) -> list[str]:
    """Required scopes the grant lacks; a ``write_*`` scope also grants its ``read_*``."""
    have = set(granted or [])
    have |= {s.replace("write_", "read_", 1) for s in have if s.startswith("write_")}
    return [s for s in required if s not in have]
