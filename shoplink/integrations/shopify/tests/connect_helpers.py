"""Test helpers for the connect flow: drive Shopify's (the simulator's) install page over HTTP.

The Django test client plays the merchant's browser on our side; ``httpx`` plays it on
the simulator's side (the authorize page is a plain HTML form with Install app / Cancel).
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import httpx

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def start_connect(client, domain_input: str):
    """POST the connect drawer as htmx; return the response."""
    return client.post(
        "/integrations/shopify/connect/shopify/", {"domain": domain_input}, HTTP_HX_REQUEST="true"
    )


def decide(authorize_url: str, decision: str = "install", approve: list[str] | None = None) -> str:
    """Open the simulator's install page and press Install app / Cancel; return the redirect.

    ``approve`` leaves only those scope boxes ticked (default: all, as the page opens).
    """
    with httpx.Client(timeout=15) as http:
        page = http.get(authorize_url)
        page.raise_for_status()
        fields = {k: unescape(v) for k, v in _HIDDEN.findall(page.text)}
        fields["decision"] = decision
        if approve is not None:
            fields["approve"] = approve
        parts = urlsplit(authorize_url)
        answer = http.post(f"{parts.scheme}://{parts.netloc}{parts.path}", data=fields)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def follow_callback(client, location: str):
    """Deliver Shopify's redirect to our callback (path + query) with the test client."""
    parts = urlsplit(location)
    return client.get(parts.path + "?" + parts.query)


def connect(client, domain: str, decision: str = "install"):
    """Run the whole connect flow for ``domain``; return the callback response."""
    started = start_connect(client, domain)
    assert "HX-Redirect" in started, started.content.decode()[:500]
    return follow_callback(client, decide(started["HX-Redirect"], decision))
