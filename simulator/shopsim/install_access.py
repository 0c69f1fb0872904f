"""Who is installing: the store owner, or a staff member without permission to install apps.

On Shopify only the store owner and staff with the "Manage and install apps and channels"
permission can install an app; anyone else who opens an app's install link sees a page
saying so, with no Install button, and goes back to the app without a code. Switching a
shop to that state (control API `POST /_control/shops/<shop>/install-permission
{"allowed": false}` or the admin page) lets the troubleshooting guide's "No admin access to
the Shopify store" cause be rehearsed. Shopify does not document the page's wording; ours
names the permission as Shopify's help pages do.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from shopsim.forms import read_body
from shopsim.templating import render

PROP = "staff_can_install_apps"  # in shop.props, so the control API's shop view shows it
PERMISSION = "Manage and install apps and channels"


def allowed(shop) -> bool:
    return shop.props.get(PROP, True) is not False


def set_allowed(shop, value: bool) -> None:
    shop.props[PROP] = bool(value)


def denied_page(shop, app_name: str = "Shoplink") -> Response:
    page = render(
        "install_denied.html",
        shop=shop.domain,
        shop_name=shop.props["name"],
        app_name=app_name,
        permission=PERMISSION,
    )
    return HTMLResponse(page, status_code=403)


async def control(request: Request, shop) -> Response:
    """`POST /_control/shops/<shop>/install-permission {"allowed": bool}`."""
    body = await read_body(request)
    value = body.get("allowed")
    if not isinstance(value, bool):
        return JSONResponse({"error": 'send {"allowed": true|false}'}, status_code=400)
    set_allowed(shop, value)
    return JSONResponse({"domain": shop.domain, "allowed": allowed(shop)})
