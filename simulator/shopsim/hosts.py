"""Shop addressing by host: `https://<shop>.myshopify.com/admin/...` as every real client calls it.

An ASGI middleware in front of the routes. When the request's host (the `X-Forwarded-Host`
a TLS-terminating proxy sets, else `Host`, else the authority of an absolute-form request
target) is `<name>.myshopify.com`, a path under `/admin/` is served as the path-prefix form
`/<name>.myshopify.com/admin/...` that the routes know. Every other request (`/_control`,
`/_files`, the path-prefix form itself) passes through untouched, so both forms work on one
port. A host under `.myshopify.com` that is not a valid shop name answers what Shopify's
edge answers for a shop that does not exist: an HTML 404 "shop is currently unavailable"
page (PLATFORM §1 gives no body; the text is what merchants see, chosen for recognisability).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from shopsim.store import SHOP_RE

SUFFIX = ".myshopify.com"
UNAVAILABLE = (
    b"<!DOCTYPE html><html><head><title>Shop unavailable</title></head>"
    b"<body><h1>Sorry, this shop is currently unavailable.</h1></body></html>"
)
# Key in the ASGI scope: the public path prefix of this request ("" when host-addressed),
# so absolute links (the REST `Link` header) use the form the client used.
PREFIX_KEY = "shopsim.public_prefix"


def _header(scope, name: bytes) -> str | None:
    for k, v in scope.get("headers") or []:
        if k == name:
            return v.decode("latin-1")
    return None


def request_host(scope) -> str | None:
    """The host the client addressed, without port (first hop of X-Forwarded-Host wins)."""
    host = _header(scope, b"x-forwarded-host")
    if host:
        host = host.split(",")[0].strip()
    else:
        host = _header(scope, b"host")
    if not host:
        return None
    return host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host.lower()


class HostRouting:
    """Rewrite host-addressed `/admin/...` requests to the path-prefix form."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith(("http://", "https://")):
            # Absolute-form target (RFC 9112 §3.2.2), as sent through an HTTP proxy: a
            # server must accept it. Take path and authority from the target.
            target = urlsplit(path)
            scope = dict(scope, path=target.path or "/", raw_path=(target.path or "/").encode())
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            scope["headers"] = [*headers, (b"host", target.netloc.encode("latin-1"))]
            path = scope["path"]
        host = request_host(scope)
        if host and host.endswith(SUFFIX) and path.startswith("/admin/"):
            if not SHOP_RE.match(host):
                return await _unavailable(send)
            new_path = f"/{host}{path}"
            scope = dict(scope, path=new_path, raw_path=new_path.encode())
            scope[PREFIX_KEY] = ""
        return await self.app(scope, receive, send)


async def _unavailable(send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(UNAVAILABLE)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": UNAVAILABLE})
