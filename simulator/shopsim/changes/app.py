"""Changes to the app's install: uninstalling, changing scopes, and the compliance topics."""

from __future__ import annotations

import asyncio

from shopsim import payloads as rest
from shopsim.changes.emit import fire
from shopsim.oauth import revoke_all
from shopsim.store import Shop, now_iso


def uninstall(hub, shop: Shop) -> None:
    """Revoke tokens, fire app/uninstalled, drop subscriptions, later shop/redact (§1.8, §2.5)."""
    with shop.lock:
        revoke_all(shop)
        was = shop.installed
        shop.installed = False
    fire(hub, shop, "app/uninstalled", rest.shop(shop))
    shop.subscriptions.clear()
    if was and hub is not None and hub.loop is not None:
        delay = shop.settings.shop_redact_delay * shop.settings.time_scale

        async def later():
            await asyncio.sleep(delay)
            if not shop.installed:
                fire(
                    hub,
                    shop,
                    "shop/redact",
                    {"shop_id": shop.numeric_id, "shop_domain": shop.domain},
                )

        hub.loop.call_soon_threadsafe(lambda: hub._spawn(later()))


def set_scopes(hub, shop: Shop, scopes: list[str]) -> None:
    previous = list(shop.granted_scopes)
    with shop.lock:
        shop.granted_scopes = list(scopes)
        shop.removed_scopes = {s for s in previous if s not in scopes}
        for info in shop.tokens.values():
            info["scopes"] = list(scopes)
        for info in shop.refresh_tokens.values():
            info["scopes"] = list(scopes)
    fire(
        hub,
        shop,
        "app/scopes_update",
        {
            "id": shop.numeric_id,
            "shop_id": f"gid://shopify/Shop/{shop.numeric_id}",
            "previous": previous,
            "current": list(scopes),
            "updated_at": now_iso(),
        },
    )


def compliance(hub, shop: Shop, topic: str, customer_index: int | None = None) -> str | None:
    base = {"shop_id": shop.numeric_id, "shop_domain": shop.domain}
    if topic != "shop/redact":
        t = shop.tables["customers"]
        idx = customer_index if customer_index is not None else 0
        c = t.get(idx) or {}
        base["customer"] = {"id": t.num(idx), "email": c.get("email"), "phone": c.get("phone")}
        orders = [
            shop.tables["orders"].num(i) for i in range(min(3, shop.tables["orders"].next_index))
        ]
        if topic == "customers/data_request":
            base["orders_requested"] = orders
            base["data_request"] = {"id": 9999}
        else:
            base["orders_to_redact"] = orders
    return fire(hub, shop, topic, base)
