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
        assert r.status_code == 200 and "was placed in admin-demo." in r.text
        c.post(
            f"/_admin/{shop}/customers/create",
            data={"first_name": "Ann", "email": "ann@example.com"},
        )
        c.post(f"/_admin/{shop}/state", data={"state": "frozen"})
        after = c.get(f"/_control/shops/{shop}").json()
        assert after["counts"]["orders"] == before["orders"] + 1
        assert after["counts"]["customers"] == before["customers"] + 1
        assert after["state"] == "frozen"


def test_admin_lists_every_active_fault_and_answers_in_sentences(sim, shop):
    """Over real HTTP: each action ends on a sentence, and the shop page and the index
    list what is active (bulk fault, webhook faults, error rate, frozen, installer)."""
    handle = shop.split(".")[0]
    calm = sim.get(f"/_admin/{shop}").text
    assert "No faults are active" in calm

    r = sim.post(
        f"/_admin/{shop}/faults",
        data={"bulk_mode": "stuck", "drop_rate": "0.25", "delay_ms": "800", "reorder": "on"},
        follow_redirects=True,
    )
    assert (
        f"Bulk operations for {handle} will now stay CREATED and never start until you "
        "clear the fault." in r.text
    )
    r = sim.post(f"/_admin/{shop}/state", data={"state": "frozen"}, follow_redirects=True)
    assert f"{handle} is now frozen: the Admin API answers 402" in r.text
    r = sim.post(
        f"/_admin/{shop}/install-permission", data={"allowed": "no"}, follow_redirects=True
    )
    assert "a staff member without permission to install apps" in r.text
    sim.post(f"/_control/shops/{shop}/faults", json={"error_rate": 0.1, "rest_leak_rate": 2})
    sim.post(f"/_control/shops/{shop}/install", json={"scopes": ["read_customers"]})
    r = sim.post(f"/_admin/{shop}/revoke", follow_redirects=True)
    assert f"Every access token for {handle} was revoked" in r.text

    page = sim.get(f"/_admin/{shop}").text
    active = page.split('<section id="active">', 1)[1].split("</section>", 1)[0]
    for sentence in (
        f"Bulk operations for {handle} will now stay CREATED",
        "25% of webhooks are dropped and never delivered.",
        "Every webhook is delivered 800 ms late.",
        "Webhooks are delivered out of order.",
        "10% of Admin API calls answer with a server error.",
        "The REST rate limit leaks 2 requests a second.",
        "The shop is frozen",
        "staff member without permission to install apps",
        "The app is installed but none of its access tokens works",
    ):
        assert sentence in active, sentence
    # The form keeps the current bulk fault selected, so saving other faults keeps it.
    assert '<option value="stuck" selected>' in page
    index = sim.get("/_admin").text
    assert shop in index and "Every webhook is delivered 800 ms late." in index

    r = sim.post(f"/_admin/{shop}/faults", data={}, follow_redirects=True)
    assert f"Bulk operations for {handle} run normally." in r.text
    r = sim.post(
        f"/_admin/{shop}/orders/action",
        data={"order_id": "1", "action": "pay"},
        follow_redirects=True,
    )
    assert "Nothing was done: check the customer or order id." in r.text
    assert sim.get("/favicon.ico").headers["content-type"] == "image/x-icon"
