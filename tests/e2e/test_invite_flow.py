"""F2 Enable and F3 Invite, clicked through in a real browser with the demo dealership.

The live server runs in a thread of this process: the SMS (``accounts.sms.outbox``) and the
e-mail (``django.core.mail.outbox``) it sends are visible here.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts import sms
from teams.models import Team

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("E2E_SCREENSHOTS")  # a folder outside the repository, for a human look
INVITEE_EMAIL = "newhire@demo.test"
INVITEE_PASSWORD = "Blue-sedan-ledger-42"
LINK = re.compile(r"https?://\S+/invitations/[^/\s]+/")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


def on_live_server(url: str, live_server) -> str:
    """SITE_URL is the demo server's address; point the link at the test server instead."""
    parts = urlsplit(url)
    return live_server.url + parts.path + (f"?{parts.query}" if parts.query else "")


def test_admin_invites_manager_who_joins_and_sees_payments(
    page: Page, new_context, live_server, demo, login
):
    # Context A: the demo admin invites a Manager into Service.
    login(page, "admin@demo.test")
    page.locator("#nav-manage").click()
    expect(page.get_by_role("heading", name="Manage", level=1)).to_be_visible()
    invitations = page.locator("#invitations")
    expect(invitations).to_contain_text("No pending invitations")

    form = page.locator("#invite-form")
    form.get_by_label("Name").fill("Noor Newhire")
    form.get_by_label("E-mail").fill(INVITEE_EMAIL)
    form.get_by_label("Mobile phone").fill("(312) 555-0177")
    form.get_by_label("Role").select_option(label="Manager")
    form.get_by_label("Service").check()
    expect(form.get_by_label("Parts")).not_to_be_checked()
    shot(page, "01-manage-invite-filled")

    # htmx swaps the form and the invitation list in place: a full page load would reset
    # this marker.
    page.evaluate("window.__noReload = true")
    form.get_by_role("button", name="Send invitation").click()

    row = invitations.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Noor Newhire")
    expect(row).to_contain_text(INVITEE_EMAIL)
    expect(row).to_contain_text("(312) 555-0177")
    expect(row).to_contain_text("Manager")
    expect(row).to_contain_text("Service")
    expect(page.locator("#messages")).to_contain_text(
        "Invitation sent to Noor Newhire by text message and e-mail."
    )
    assert page.evaluate("window.__noReload") is True, "the page reloaded instead of htmx"
    # A fresh, empty form is ready for the next person.
    expect(page.locator("#invite-form").get_by_label("E-mail")).to_have_value("")
    shot(page, "02-manage-invite-sent")

    # The SMS and the e-mail carry the same single link.
    assert [m.to for m in sms.outbox] == ["+13125550177"]
    sms_links = LINK.findall(sms.outbox[0].body)
    assert len(sms_links) == 1, sms.outbox[0].body
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [INVITEE_EMAIL]
    assert LINK.findall(email.body) == sms_links
    link = on_live_server(sms_links[0], live_server)

    # Context B, no cookies: the invitee registers through the link.
    invitee = new_context().new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Join Demo Motors")).to_be_visible()
    expect(invitee.get_by_text("Alex Admin invited you as Manager.")).to_be_visible()
    expect(invitee.get_by_label("E-mail")).to_have_value(INVITEE_EMAIL)
    expect(invitee.get_by_label("Mobile phone")).not_to_have_value("")
    invitee.get_by_label("Full name").fill("Noor Newhire-Khan")
    invitee.get_by_label("Password", exact=True).fill(INVITEE_PASSWORD)
    invitee.get_by_label("Password (again)").fill(INVITEE_PASSWORD)
    shot(invitee, "03-invitation-accept")
    invitee.get_by_role("button", name="Create account and join").click()

    expect(invitee).to_have_url(re.compile(rf"/o/{demo}/$"))
    expect(invitee.locator("#messages")).to_contain_text(
        "Welcome to Demo Motors. You joined as Manager."
    )
    expect(invitee.get_by_role("heading", name="Welcome, Noor", level=1)).to_be_visible()
    expect(invitee.locator("#nav-payments")).to_be_visible()
    expect(invitee.locator("#nav-manage")).to_have_count(0)
    expect(invitee.locator("#nav-admin")).to_have_count(0)
    shot(invitee, "04-invitee-overview")

    invitee.locator("#nav-payments").click()
    expect(invitee).to_have_url(re.compile(rf"/o/{demo}/payments/$"))
    expect(invitee.get_by_role("heading", name="Payments", level=1)).to_be_visible()
    expect(invitee.locator("#nav-payments")).to_have_attribute("aria-current", "page")
    shot(invitee, "05-invitee-payments")

    # The link works once: for the invitee, now signed in, and for a third, fresh browser.
    response = invitee.goto(link)
    assert response is not None and response.status == 410
    expect(invitee.get_by_role("heading", name="This invitation was used already")).to_be_visible()
    third = new_context().new_page()
    response = third.goto(link)
    assert response is not None and response.status == 410
    expect(third.get_by_role("heading", name="This invitation was used already")).to_be_visible()
    shot(third, "06-invitation-used")

    # Back in context A, the invitation left the pending list and Noor is a member.
    page.reload()
    expect(page.locator("#invitations")).to_contain_text("No pending invitations")
    expect(page.locator("#members")).to_contain_text("Noor Newhire-Khan")


def test_resend_after_a_refused_invitation_leaves_the_invite_form_clean(page: Page, demo, login):
    login(page, "admin@demo.test")
    page.locator("#nav-manage").click()
    form = page.locator("#invite-form")
    form.get_by_label("Name").fill("Noor Newhire")
    form.get_by_label("E-mail").fill(INVITEE_EMAIL)
    form.get_by_label("Mobile phone").fill("(312) 555-0177")
    form.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#invitations tbody tr")).to_have_count(1)

    # The same person again, the number mistyped: refused, the form turns red.
    form.get_by_label("Name").fill("Noor Newhire")
    form.get_by_label("E-mail").fill(INVITEE_EMAIL)
    form.get_by_label("Mobile phone").fill("(312) 555-01")
    form.get_by_role("button", name="Send invitation").click()
    expect(form.get_by_label("Mobile phone")).to_have_class(re.compile(r"\bis-invalid\b"))

    page.locator("#invitations").get_by_role("button", name="Resend").click()
    expect(page.locator("#messages")).to_contain_text(f"A new link was sent to {INVITEE_EMAIL}.")
    expect(form.locator(".is-invalid")).to_have_count(0)
    expect(form.locator(".invalid-feedback")).to_have_count(0)
    expect(form.get_by_label("E-mail")).to_have_value("")
    shot(page, "08-manage-resent-after-error")


def test_manager_cannot_see_manage_tab(page: Page, demo, login):
    login(page, "manager@demo.test")
    expect(page.locator("#nav-payments")).to_be_visible()
    expect(page.locator("#nav-manage")).to_have_count(0)
    expect(page.locator("#nav-admin")).to_have_count(0)

    response = page.goto(f"/o/{demo}/manage/")
    assert response is not None and response.status == 403
    expect(page.locator("#invite-form")).to_have_count(0)
    shot(page, "07-manager-manage-403")


def test_admin_enables_payments_on_team(page: Page, demo, login):
    parts = Team.objects.get(organization__slug=demo, name="Parts")
    assert parts.payments_enabled is False

    login(page, "admin@demo.test")
    page.locator("#nav-manage").click()
    page.get_by_role("link", name="Teams", exact=True).click()
    expect(page.get_by_role("heading", name="Teams", level=1)).to_be_visible()
    page.get_by_role("link", name="Parts", exact=True).click()
    expect(page.get_by_role("heading", name="Team settings: Parts")).to_be_visible()
    status = page.locator("#team-info #team-payments-status")
    expect(status).to_have_text("Off")

    switch = page.get_by_role("switch", name="Enable payments")
    expect(switch).not_to_be_checked()
    switch.check()
    page.locator("#edit-team").get_by_role("button", name="Save").click()

    expect(page.locator("#messages")).to_contain_text("Team Parts saved.")
    expect(status).to_have_text("Enabled")
    expect(page.get_by_role("switch", name="Enable payments")).to_be_checked()
    shot(page, "08-team-parts-enabled")
    parts.refresh_from_db()
    assert parts.payments_enabled is True


@pytest.mark.browser_context_args(viewport={"width": 390, "height": 844}, is_mobile=True)
def test_phone_menu_collapses_behind_button(page: Page, demo, login):
    login(page, "admin@demo.test")
    menu_button = page.get_by_role("button", name="Open the menu")
    expect(menu_button).to_be_visible()
    for link in ("#nav-payments", "#nav-manage", "#nav-admin"):
        expect(page.locator(link)).to_be_hidden()
    shot(page, "09-phone-menu-closed")

    menu_button.click()
    sidebar = page.locator("#sidebar")
    expect(sidebar).to_be_visible()
    expect(sidebar).to_have_class(re.compile(r"\bshow\b"))
    expect(sidebar).not_to_have_class(re.compile(r"\bshowing\b"))  # done sliding in
    for link in ("#nav-payments", "#nav-manage", "#nav-admin"):
        expect(page.locator(link)).to_be_visible()
    shot(page, "10-phone-menu-open")

    page.locator("#nav-manage").click()
    expect(page.get_by_role("heading", name="Manage", level=1)).to_be_visible()
    expect(page.locator("#nav-manage")).to_be_hidden()
