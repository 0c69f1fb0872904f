"""Load the HTML templates shipped in `shopsim/templates/` and fill them safely."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template

_DIR = Path(__file__).parent / "templates"


@cache
def _load(name: str) -> Template:
    return Template((_DIR / name).read_text(encoding="utf-8"))


def render(template: str, raw: dict | None = None, **values) -> str:
    """Render `name`; keyword values are HTML-escaped, `raw` values are inserted as-is."""
    data = {k: html.escape(str(v)) for k, v in values.items()}
    data.update(raw or {})
    return _load(template).safe_substitute(data)


esc = html.escape
