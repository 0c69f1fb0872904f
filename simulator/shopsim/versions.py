"""Which Admin API version answers a request, for GraphQL and REST alike (PLATFORM §0).

A version that is not `YYYY-01|04|07|10` or `unstable` does not exist: 404. With
`--api-version-fallback`, a version older than the oldest supported one "falls forward"
and `X-Shopify-API-Version` names the version that answered. Shopify's versioning page
says only "a supported one"; a Shopify staff answer in the community forum says the
oldest supported stable version. We serve the latest stable (the behaviour the GraphQL
tests have fixed since the flag exists) and say so in the README.
"""

from __future__ import annotations

import re

VERSION_RE = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")
LATEST = "2026-10"
OLDEST_SUPPORTED = "2025-10"  # a version is supported ≥ 12 months (PLATFORM §0)


def served_version(version: str, settings) -> str | None:
    """The version that answers `version`, or None when no such version exists."""
    if not VERSION_RE.match(version):
        return None
    if settings.api_version_fallback and version != "unstable" and version < OLDEST_SUPPORTED:
        return LATEST
    return version
