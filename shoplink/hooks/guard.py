"""Where a push may go: the SSRF rules for endpoint URLs (ADR 0030).

Any project admin can aim an endpoint, so the URL is checked when it is registered
and again, with a fresh DNS lookup, before every request: HTTPS only unless
``HOOKS_REQUIRE_HTTPS`` is off (dev and tests); no credentials in the URL; every
address the host resolves to must be public, unless it falls in one of the
operator's ``HOOKS_ALLOWED_NETWORKS`` (dev and tests allow loopback). The request
then goes to the address that was checked (``Target.ip``), so a DNS answer that
changes between check and connect (rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeUrl(Exception):
    """The URL may not receive pushes; the message says why, in words for the admin."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, at least "/"
    ip: str


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.HOOKS_ALLOWED_NETWORKS or []]


def address_allowed(ip: str) -> bool:
    """Public addresses, or ones inside an operator-allowed network."""
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if any(addr in net for net in _allowed_networks()):
        return True
    return addr.is_global and not (addr.is_multicast or addr.is_reserved)


def parse(url: str) -> tuple[str, str, int, str]:
    """Check the URL's form (no DNS); return scheme, host, port and path."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as e:
        raise UnsafeUrl("The URL is not valid.") from e
    scheme = parts.scheme.lower()
    allowed = ("https",) if settings.HOOKS_REQUIRE_HTTPS else ("https", "http")
    if scheme not in allowed:
        raise UnsafeUrl("The URL must start with https://.")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL must not contain a user name or password.")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeUrl("The URL has no host.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """Check ``url`` and every address its host resolves to; return where to connect."""
    scheme, host, port, path = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise UnsafeUrl(f"The host {host} cannot be resolved.") from e
    ips = list(dict.fromkeys(info[4][0] for info in infos))
    if not ips:
        raise UnsafeUrl(f"The host {host} cannot be resolved.")
    for ip in ips:
        if not address_allowed(ip):
            raise UnsafeUrl(
                f"The host {host} resolves to {ip}, a private, loopback, link-local or "
                "reserved address; pushes only go to public addresses."
            )
    return Target(scheme=scheme, host=host, port=port, path=path, ip=ips[0])
