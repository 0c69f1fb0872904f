"""The small HTML admin page per shop (placeholder until the full page lands)."""

from starlette.responses import HTMLResponse
from starlette.routing import Route


async def index(request):
    shops = sorted(request.app.state.registry.shops)
    items = "".join(f'<li><a href="/_admin/{s}">{s}</a></li>' for s in shops)
    return HTMLResponse(f"<!doctype html><h1>shopsim</h1><ul>{items}</ul>")


routes = [Route("/_admin", index)]
