"""Server-wide settings parsed from the CLI (one app, one data profile, one time scale)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Profile:
    """How many records of each kind a lazily created shop gets."""

    customers: int = 50
    orders: int = 120
    products: int = 20
    collections: int = 5
    checkouts: int = 15
    carts: int = 10


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8081
    seed: int = 1
    profile: Profile = field(default_factory=Profile)
    client_id: str = "shoplink-demo"
    client_secret: str = "shoplink-demo-secret"
    redirect_urls: list[str] = field(default_factory=list)
    app_webhook_url: str | None = None
    time_scale: float = 1.0
    token_ttl: int = 3600
    refresh_token_ttl: int = 90 * 24 * 3600
    api_version_fallback: bool = False
    shop_redact_delay: float = 48 * 3600
    # Version used to serialise webhook payloads (X-Shopify-API-Version); PLATFORM §0 pins 2026-10.
    webhook_api_version: str = "2026-10"
    # Bulk exports of at least `bulk_parallel_min` roots are written by `bulk_workers`
    # forked processes (0: one per CPU, at most 8); see bulk_export.
    bulk_workers: int = 0
    bulk_parallel_min: int = 20_000
    # Where shops are kept across restarts (see persist); None keeps them in memory only.
    state_file: str | None = None
    # Shops created at start (if the state file does not have them), so they show in the
    # admin index before any app touches them.
    shops: list[str] = field(default_factory=list)
