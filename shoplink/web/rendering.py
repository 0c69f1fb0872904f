"""One helper that picks a full page or an htmx fragment (HOUSE_STYLE "UI")."""

from __future__ import annotations

import json

from django.shortcuts import render


def render_page(request, template: str, context: dict, *, fragment: str | None = None, status=200):
    """Render ``fragment`` for htmx requests that target part of the page, else ``template``."""
    name = fragment if (fragment and getattr(request, "htmx", False)) else template
    return render(request, name, context, status=status)


def with_toast(response, message: str, level: str = "success"):
    """Attach an ``HX-Trigger`` toast the base layout shows."""
    triggers = {}
    existing = response.headers.get("HX-Trigger")
    if existing:
        try:
            triggers = json.loads(existing)
        except ValueError:
            triggers = {existing: True}
    triggers["toast"] = {"message": message, "level": level}
    response.headers["HX-Trigger"] = json.dumps(triggers)
    return response
