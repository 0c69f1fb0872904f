"""The ASGI application: routes for OAuth, Admin GraphQL and REST, files, control API, admin page.

Shops are addressed by path prefix (`/<shop>/admin/...`) or by host (`Host:
<shop>.myshopify.com`, see `hosts`); both reach the same routes.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shopsim import control, oauth
from shopsim.config import Settings
from shopsim.hosts import HostRouting
from shopsim.store import Registry
from shopsim.webhooks import Hub


def _shop_or_404(request: Request):
    shop = request.app.state.registry.get(request.path_params["shop"])
    if shop is None:
        return None, JSONResponse({"errors": "Not Found"}, status_code=404)
    return shop, None


async def authorize(request: Request) -> Response:
    shop, err = _shop_or_404(request)
    if err:
        return err
    if request.method == "POST":
        return await oauth.authorize_decision(request, shop)
    return await oauth.authorize_page(request, shop)


async def access_token(request: Request) -> Response:
    shop, err = _shop_or_404(request)
    if err:
        return err
    return await oauth.access_token(request, shop, request.app.state.on_install)


async def access_scopes(request: Request) -> Response:
    shop, err = _shop_or_404(request)
    if err:
        return err
    return await oauth.access_scopes(request, shop)


async def graphql_endpoint(request: Request) -> Response:
    shop, err = _shop_or_404(request)
    if err:
        return err
    from shopsim.graphql_api import handle

    return await handle(request, shop)


async def rest_endpoint(request: Request) -> Response:
    shop, err = _shop_or_404(request)
    if err:
        return err
    from shopsim.rest_admin.endpoint import handle

    return await handle(request, shop)


_ICON = Path(__file__).parent / "templates" / "favicon.ico"


async def favicon(request: Request) -> Response:
    """A real icon, so the admin and install pages leave no 404 in the browser console."""
    return Response(
        _ICON.read_bytes(),
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


async def file_endpoint(request: Request) -> Response:
    from shopsim.bulk import serve_file

    return await serve_file(request)


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the simulator app; `app.state` holds settings, shop registry and webhook hub."""
    settings = settings or Settings()
    from shopsim import admin

    routes = [
        Route("/{shop}/admin/oauth/authorize", authorize, methods=["GET", "POST"]),
        Route("/{shop}/admin/oauth/access_token", access_token, methods=["POST"]),
        Route("/{shop}/admin/oauth/access_scopes.json", access_scopes),
        Route("/{shop}/admin/api/{version}/graphql.json", graphql_endpoint, methods=["POST"]),
        Route(
            "/{shop}/admin/api/{version}/{path:path}",
            rest_endpoint,
            methods=["GET", "POST", "PUT", "DELETE"],
        ),
        Route("/_files/{token}.jsonl", file_endpoint),
        Route("/favicon.ico", favicon),
        *control.routes,
        *admin.routes,
    ]

    registry = Registry(settings)
    saver = None
    if settings.state_file:
        from shopsim import persist

        persist.load_or_set_aside(registry, Path(settings.state_file))
        saver = persist.Saver(registry, Path(settings.state_file))
    for domain in settings.shops:
        registry.get(domain if "." in domain else f"{domain}.myshopify.com")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await app.state.hub.start()
        if saver is not None:
            saver.start()
        yield
        if saver is not None:
            await saver.stop()
        await app.state.hub.stop()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(HostRouting)])
    app.state.settings = settings
    app.state.registry = registry
    app.state.hub = Hub(settings)
    app.state.on_install = lambda shop: None
    from shopsim import graphql_api

    graphql_api.install(app)
    return app
