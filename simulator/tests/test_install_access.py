"""Staff without permission to install apps: the install page says so and no code comes back."""

from __future__ import annotations

from conftest import CLIENT_ID

PARAMS = {
    "client_id": CLIENT_ID,
    "scope": "read_customers",
    "redirect_uri": "http://app.test/cb",
    "state": "nonce-staff",
}
FORM = dict(PARAMS, grant="", decision="install")


def test_install_page_for_staff_without_permission_has_no_install_button(sim, shop):
    r = sim.post(f"/_control/shops/{shop}/install-permission", json={"allowed": False})
    assert r.status_code == 200 and r.json() == {"domain": shop, "allowed": False}
    assert sim.get(f"/_control/shops/{shop}").json()["props"]["staff_can_install_apps"] is False
    page = sim.get(f"/{shop}/admin/oauth/authorize", params=PARAMS)
    assert page.status_code == 403
    assert "You don't have permission to install apps" in page.text
    assert "Manage and install apps and channels" in page.text
    assert "Install app" not in page.text and 'name="decision"' not in page.text
    # A hand-made Install POST is refused too: no redirect, no code, no install.
    forged = sim.post(f"/{shop}/admin/oauth/authorize", data=FORM)
    assert forged.status_code == 403 and "location" not in forged.headers
    assert sim.get(f"/_control/shops/{shop}").json()["installed"] is False
    assert sim.post(f"/_control/shops/{shop}/install-permission", json={}).status_code == 400


def test_admin_page_switches_the_installer_back_to_the_owner(sim, shop):
    sim.post(f"/_control/shops/{shop}/install-permission", json={"allowed": False})
    admin = sim.get(f"/_admin/{shop}")
    assert "staff without permission" in admin.text
    sim.post(f"/_admin/{shop}/install-permission", data={"allowed": "yes"})
    assert "store owner" in sim.get(f"/_admin/{shop}").text
    page = sim.get(f"/{shop}/admin/oauth/authorize", params=PARAMS)
    assert page.status_code == 200 and "Install app" in page.text
    done = sim.post(f"/{shop}/admin/oauth/authorize", data=FORM)
    assert done.status_code == 302 and "code=" in done.headers["location"]
