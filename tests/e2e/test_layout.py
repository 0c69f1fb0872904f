"""Every page and drawer at 1366 px and 390 px: screenshots, and no horizontal overflow.

One store is connected through the simulator and synced, so the pages show real imported
data (consent, sources, segments). Screenshots: ``test-artifacts/screenshots/layout-<width>-
<name>.png``. A page fails when it scrolls sideways, when a box that clips or scrolls
(a drawer, a card) is wider than itself — except wide tables on a phone, which scroll
inside their card — or, at desktop width, when any table needs scrolling at all.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from shoplink.audience.models import Contact
from shoplink.audience.services import create_list
from shoplink.integrations.shopify.models import EntitySync, ShopifyStore
from shoplink.projects.services import invite_member
from tests.e2e.connect_flows import (
    INTEGRATIONS,
    card,
    close_drawer,
    connect_store,
    menu_item,
    open_connect_drawer,
    use_live_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.simulator]

WIDTHS = (1366, 390)

# Returns a list of sentences, one per overflow found; [] when the layout fits.
OVERFLOW_JS = """
(desktop) => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) {
    problems.push(`the page scrolls sideways (${root.scrollWidth} > ${root.clientWidth} px)`);
  }
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (style.overflowX === 'visible') continue;
    if (el.scrollWidth <= el.clientWidth + 1 || el.clientWidth === 0) continue;
    if (el.closest('.visually-hidden, select, option')) continue;
    const tableScroller = el.matches('.table-scroll, .card-flush') && el.querySelector('table');
    if (tableScroller && !desktop) continue;  // wide tables may scroll inside their card on a phone
    // Name the boxes that stick out, innermost last, so the message points at the culprit.
    const edge = el.getBoundingClientRect().left + el.clientWidth + 1;
    const out = [...el.querySelectorAll('*')].filter((c) => c.getBoundingClientRect().right > edge)
      .slice(-3).map((c) => `${describe(c)} "${(c.innerText || '').trim().slice(0, 40)}"`);
    problems.push(`${describe(el)} is wider than itself ` +
      `(${el.scrollWidth} > ${el.clientWidth} px); sticking out: ${out.join(', ')}`);
  }
  // An input narrower than its placeholder cuts the hint off ("mystore or mystore.mysh").
  const ctx = document.createElement('canvas').getContext('2d');
  for (const input of document.querySelectorAll('input[placeholder]')) {
    if (!input.offsetParent) continue;
    const s = getComputedStyle(input);
    ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const room = input.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    if (ctx.measureText(input.placeholder).width > room + 1) {
      problems.push(`input#${input.id} cuts its placeholder "${input.placeholder}"`);
    }
  }
  return problems;
}
"""


def _check(page: Page, screenshot, name: str, width: int) -> list[str]:
    page.wait_for_load_state("networkidle")
    screenshot(f"layout-{width}-{name}")
    found = page.evaluate(OVERFLOW_JS, width >= 1000)
    return [f"{width}px {name}: {p}" for p in found]


def _wait_until(predicate, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def _drawer(page: Page, domain: str, item: str, heading: str) -> None:
    page.goto(INTEGRATIONS)
    menu_item(page, domain, item).click()
    expect(
        page.locator("#drawer-root .drawer").get_by_role("heading", name=heading)
    ).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_every_page_and_drawer_fits_at_1366_and_390(
    page, login, screenshot, make_user, project, shopify_sim, unique_shop, settings, live_server
):
    use_live_server(settings, live_server)
    shopify_sim.control(
        "POST",
        "/shops",
        {
            "domain": unique_shop,
            "name": "Layout Shop",
            "customers": 12,
            "orders": 30,
            "products": 4,
            "collections": 2,
            "checkouts": 2,
        },
    )
    # A list taken by another store: its option's long name is what pushed the list picker
    # past the drawer's edge on a phone.
    ShopifyStore.objects.create(
        project=project,
        domain="other-layout-store.myshopify.com",
        name="Other",
        customer_list=create_list(project, "Wholesale customers from the spring trade fair"),
    )
    admin = make_user("alice", project, "admin")
    make_user("eddie", project, "editor")
    login("alice", "pw-alice")
    connect_store(page, unique_shop)
    store = ShopifyStore.objects.get(domain=unique_shop)
    page.locator("#drawer-root").get_by_role("button", name="Start initial sync").click()
    _wait_until(
        lambda: (
            set(EntitySync.objects.filter(store=store).values_list("state", flat=True))
            == {"synced"}
        )
    )
    invite_member(project, "kim@example.com", "viewer", actor=admin.get_username())
    contact = (
        Contact.objects.filter(project=project, source=store.source, consents__isnull=False)
        .order_by("id")
        .first()
    )
    pages = {
        "contacts": "/contacts/",
        "contact": f"/contacts/{contact.pk}/",
        "segments": "/contacts/segments/",
        "segments-store": f"/contacts/segments/?source={store.source}",
        "contacts-segment": "/contacts/?segment=champion",
        "lists": "/lists/",
        "list": f"/lists/{store.customer_list_id}/",
        "events": "/events/",
        "integrations": INTEGRATIONS,
        "members": "/members/",
        "new-project": "/projects/new/",
        "not-found": "/contacts/999999/",
    }
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages.items():
            page.goto(url)
            problems += _check(page, screenshot, name, width)

        open_connect_drawer(page)
        problems += _check(page, screenshot, "drawer-connect", width)
        close_drawer(page)
        page.get_by_role("button", name="Connect platform").click()
        expect(page.locator("#drawer-root .drawer")).to_be_visible()
        problems += _check(page, screenshot, "drawer-platform", width)
        close_drawer(page)
        page.goto(INTEGRATIONS)
        card(page, unique_shop).get_by_role("button", name="Store actions").click()
        problems += _check(page, screenshot, "store-menu", width)
        for item, heading, name in [
            ("Sync settings", "Sync settings", "drawer-sync"),
            ("View details", "Store details", "drawer-details"),
            ("Disconnect", "Disconnect Layout Shop", "drawer-disconnect"),
            ("Delete", "Delete Layout Shop?", "drawer-delete"),
        ]:
            _drawer(page, unique_shop, item, heading)
            problems += _check(page, screenshot, name, width)
            close_drawer(page)

    # Logged out: the login page and an invitation link.
    page.context.clear_cookies()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/login/")
        problems += _check(page, screenshot, "login", width)
    assert not problems, "\n".join(problems)
