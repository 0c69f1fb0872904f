"""One signed POST to an endpoint, with the SSRF guard's limits (ADR 0030).

The only outbound HTTP of the push: connect to the address the guard checked
(``Host`` and TLS SNI/certificate name stay the URL's host), follow no redirects,
short timeouts, read at most ``RESPONSE_LIMIT`` bytes of the answer, never use proxy
settings from the environment (a proxy would connect somewhere unchecked).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from django.conf import settings

from shoplink.hooks.guard import Target, UnsafeUrl, resolve

RESPONSE_LIMIT = 1024


@dataclass
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""
    excerpt: str = ""


def _url_for(target: Target) -> str:
    host = f"[{target.ip}]" if ":" in target.ip else target.ip
    return f"{target.scheme}://{host}:{target.port}{target.path}"


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    return target.host if target.port == default else f"{target.host}:{target.port}"


def _read_some(response: httpx.Response) -> str:
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= RESPONSE_LIMIT:
            break
    return data[:RESPONSE_LIMIT].decode("utf-8", "replace")


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body``; a 2xx is success, anything else (redirects included) a failure."""
    try:
        target = resolve(url)
    except UnsafeUrl as e:
        return Outcome(ok=False, error=str(e))
    seconds = float(settings.HOOKS_TIMEOUT_SECONDS)
    timeout = httpx.Timeout(seconds, connect=min(seconds, 3.0))
    request_headers = {
        **headers,
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": "Shoplink-Webhooks/1",
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST",
                _url_for(target),
                content=body,
                headers=request_headers,
                extensions=extensions,
            ) as response,
        ):
            excerpt = _read_some(response)
            status = response.status_code
    except httpx.TimeoutException:
        return Outcome(ok=False, error=f"No answer within {seconds:g} s (timeout).")
    except httpx.HTTPError as e:
        return Outcome(ok=False, error=f"Could not connect: {type(e).__name__}.")
    if 200 <= status < 300:
        return Outcome(ok=True, status=status, excerpt=excerpt)
    if 300 <= status < 400:
        return Outcome(
            ok=False,
            status=status,
            excerpt=excerpt,
            error="The endpoint answered with a redirect; redirects are not followed.",
        )
    return Outcome(
        ok=False, status=status, excerpt=excerpt, error=f"The endpoint answered HTTP {status}."
    )
