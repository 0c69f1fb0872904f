"""The HTML admin page renders and its forms change the shop (unit level, TestClient)."""

from __future__ import annotations

from shopsim.app import create_app
from shopsim.config import Settings
from starlette.testclient import TestClient


def test_admin_page_forms_change_the_shop():
    app = create_app(Settings(time_scale=0.001))
    shop = "admin-demo.myshopify.com"
    with TestClient(app) as c:
        page = c.get(f"/_admin/{shop}")
        assert page.status_code == 200
        for text in (
            "Place order",
            "Create customer",
            "Change consent",
            "Uninstall app",
            "Revoke tokens",
            "Change scopes",
            "Set shop state",
            "Inject faults",
        ):
            assert text in page.text
        assert shop in c.get("/_admin").text
        before = c.get(f"/_control/shops/{shop}").json()["counts"]
        r = c.post(f"/_admin/{shop}/orders/create", data={"customer_id": ""})
        assert r.status_code == 200 and "placed order" in r.text
        c.post(
            f"/_admin/{shop}/customers/create",
            data={"first_name": "Ann", "email": "ann@example.com"},
        )
        c.post(f"/_admin/{shop}/state", data={"state": "frozen"})
        after = c.get(f"/_control/shops/{shop}").json()
        assert after["counts"]["orders"] == before["orders"] + 1
        assert after["counts"]["customers"] == before["customers"] + 1
        assert after["state"] == "frozen"
