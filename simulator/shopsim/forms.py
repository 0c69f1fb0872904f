"""Request bodies without python-multipart: JSON or application/x-www-form-urlencoded."""

from __future__ import annotations

from urllib.parse import parse_qs

import orjson
from starlette.requests import Request


async def read_body(request: Request) -> dict:
    """Parse a JSON object or urlencoded form (repeated keys → lists); {} if unparsable."""
    raw = await request.body()
    if not raw:
        return {}
    ctype = request.headers.get("content-type", "")
    if "json" in ctype or raw.lstrip()[:1] in (b"{", b"["):
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}
    parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: (v if len(v) > 1 or k.endswith("[]") else v[0]) for k, v in parsed.items()}
