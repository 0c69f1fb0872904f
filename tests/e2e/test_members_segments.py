"""In a real browser: a second project, inviting a member who signs up from the email's
link, changing a role and removing a member; the RFM heat map on a phone; full-name search.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from shoplink.audience.models import Contact
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_project_invite_accept_change_role_remove(
    browser, page, login, screenshot, make_user, project, live_server, settings
):
    settings.APP_URL = live_server.url
    make_user("alice", project, "admin")
    login("alice", "pw-alice")

    page.get_by_label("Project").select_option(label="+ New project…")
    page.get_by_label("Project name").fill("Spring launch")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator(".flash-success")).to_have_text(
        "Project Spring launch created. You are its admin."
    )
    expect(page.get_by_label("Project")).to_have_value(re.compile(r"\d+"))
    assert page.get_by_label("Project").locator("option:checked").inner_text() == "Spring launch"

    page.get_by_role("link", name="Members").click()
    expect(page.locator(".reason")).to_contain_text("The only admin")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flash-success")).to_contain_text("Invitation sent to sam@example.com")
    screenshot("members-invited")
    link = re.search(r"http://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)

    # Sam opens the link in their own browser and creates an account.
    guest = browser.new_context(viewport={"width": 390, "height": 844})
    sam = guest.new_page()
    sam.goto(link)
    expect(sam.get_by_role("heading", name="Join Spring launch")).to_be_visible()
    sam.screenshot(path=str(ARTIFACTS / "members-accept-390.png"), full_page=True)
    sam.get_by_label("Username").fill("sam")
    sam.get_by_label("Password", exact=True).fill("a-long-passphrase")
    sam.get_by_label("Password again").fill("a-long-passphrase")
    sam.get_by_role("button", name="Create account and join").click()
    expect(sam.locator(".flash-success")).to_have_text("Welcome to Spring launch.")
    expect(sam.locator(".topbar .user")).to_have_text("sam · editor")
    sam.goto(link)
    expect(sam.locator(".form-error")).to_have_text("This invitation link has already been used.")
    guest.close()

    page.reload()
    row = page.locator("tr", has=page.get_by_text("sam", exact=True))
    row.get_by_label("Role of sam").select_option("admin")
    row.get_by_role("button", name="Change role").click()
    expect(page.locator(".flash-success")).to_have_text("Role changed to Admin.")
    expect(page.locator(".reason")).to_have_count(0)  # two admins: nobody is the last one
    row = page.locator("tr", has=page.get_by_text("sam", exact=True))
    row.get_by_text("Remove…").click()
    row.get_by_role("button", name="Remove sam").click()
    expect(page.locator(".flash-success")).to_have_text("Member removed from the project.")
    audit = page.locator(".audit")
    expect(audit).to_contain_text("alice removed sam (Admin) from the project.")
    expect(audit).to_contain_text("alice changed sam's role from Editor to Admin.")
    expect(audit).to_contain_text("sam joined as Editor (invited as sam@example.com by alice).")
    expect(audit).to_contain_text("alice created the project and is its admin.")
    screenshot("members-audit")


def test_heat_map_on_a_phone_links_to_the_segment(page, login, screenshot, make_user, project):
    make_user("alice", project, "admin")
    source = "shopify:demo-store.myshopify.com"
    for i, segment in enumerate(["champion", "champion", "hibernating", "lost", None]):
        Contact.objects.create(
            project=project,
            external_id=str(i),
            first_name=f"Person{i}",
            source=source,
            attributes={"shopify_rfm_segment": segment},
        )
    page.set_viewport_size({"width": 390, "height": 844})
    login("alice", "pw-alice")
    page.get_by_role("link", name="Segments (RFM)").click()
    expect(page.get_by_role("heading", name=re.compile("All stores: 4 customers"))).to_be_visible()
    champion = page.locator(".rfm-cell[data-segment='champion']").first
    expect(champion).to_contain_text("2")
    box = champion.bounding_box()
    assert box["x"] + box["width"] <= 390
    screenshot("segments-390")
    page.get_by_role("link", name="Champion", exact=True).click()
    expect(page.locator(".filter-chip")).to_contain_text("Segment: Champion")
    expect(page.locator(".contacts-table tbody tr")).to_have_count(2)
    screenshot("contacts-champion-390")


def test_search_by_full_name_and_phone(page, login, make_user, project):
    make_user("alice", project, "admin")
    Contact.objects.create(
        project=project, external_id="1", first_name="Leo", last_name="Silva", phone="+14155550123"
    )
    Contact.objects.create(project=project, external_id="2", first_name="Leo", last_name="Costa")
    login("alice", "pw-alice")
    page.fill("#q", "Leo Silva")
    expect(page.locator(".contacts-table tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="Leo Silva")).to_be_visible()
    page.fill("#q", "(415) 555-0123")
    expect(page.get_by_role("link", name="Leo Silva")).to_be_visible()
    expect(page.get_by_role("link", name="Leo Costa")).to_have_count(0)
