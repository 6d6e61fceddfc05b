"""F1 Connect and F8 Payouts, clicked through in a real browser on the demo gateway.

The demo gateway's pages stand in for Stripe's hosted onboarding and Express dashboard, and it
delivers Stripe-shaped, signed events to our own webhook endpoint on the live server, so this
walks the production pipeline. Demo Motors starts connected (seed_demo), so F1 is walked by a
dealership the demo admin creates, as a new customer starts: header → New dealership → Admin
tab → Connect → onboarding → Connected. F8 is Demo Motors': payout schedule, statement
descriptor and recipients → a payout.paid event → the payout e-mail.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from payments.models import ConnectedAccount, Payout, WebhookEvent

pytestmark = pytest.mark.e2e


def test_admin_creates_a_dealership_and_connects_stripe(page: Page, demo, login):
    login(page, "admin@demo.test")
    page.locator("#org-switcher").click()
    page.get_by_role("link", name="New dealership").click()
    page.get_by_label("Dealership name").fill("Lakeview Auto")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Time zone").select_option("America/Chicago")
    page.get_by_role("button", name="Create dealership").click()

    expect(page).to_have_url(re.compile(r"/o/lakeview-auto/admin/$"))
    connections = page.locator("#connections")
    expect(connections).to_contain_text("Not connected")
    expect(connections).to_contain_text("Employer Identification Number")  # F0, for the US

    # F1: Connect → the (demo) hosted onboarding → back to the app.
    page.locator("#stripe-connect").click()
    expect(page.get_by_text("Demo payments: no real money")).to_be_visible()
    expect(page.get_by_role("heading", name="Set up payments for Lakeview Auto")).to_be_visible()
    page.locator("#onboarding-submit").click()

    expect(page).to_have_url(re.compile(r"/o/lakeview-auto/admin/#connections$"))
    expect(page.locator("#connection-status")).to_contain_text("Connected")
    expect(page.locator("#connected-next-steps")).to_contain_text(
        "choose when payouts reach your bank"
    )
    account = ConnectedAccount.objects.get(organization__slug="lakeview-auto")
    assert account.status == ConnectedAccount.Status.CONNECTED
    # Stripe's account.updated came back through the signed webhook and was processed.
    assert WebhookEvent.objects.filter(
        type="account.updated",
        account=account.stripe_account_id,
        status=WebhookEvent.Status.PROCESSED,
    ).exists()


def test_admin_sets_payouts_of_the_connected_demo_and_gets_the_payout_email(
    page: Page, demo, login
):
    login(page, "admin@demo.test")
    page.locator("#nav-admin").click()
    expect(page.locator("#connection-status")).to_contain_text("Connected")
    account = ConnectedAccount.objects.get(organization__slug=demo)

    # F8: payout schedule, statement descriptor, who gets payout e-mails.
    page.locator("#payout-settings-link").click()
    schedule = page.locator("#schedule-form")
    schedule.get_by_label("Weekly", exact=True).check()
    schedule.locator("select[name=weekly_anchor]").select_option("friday")
    schedule.locator("input[name=delay_days]").fill("3")
    schedule.get_by_role("button", name="Save schedule").click()
    expect(page.locator("#schedule-words")).to_contain_text("Weekly on Friday")

    descriptor = page.locator("#descriptor-form")
    descriptor.locator("input[name=descriptor]").fill("Demo Motors Svc")
    descriptor.get_by_role("button", name="Save descriptor").click()
    expect(page.locator("#descriptor-preview")).to_contain_text("DEMO MOTORS SVC")

    recipients = page.locator("#recipients-form")
    recipients.get_by_label("Morgan Manager").check()
    recipients.get_by_role("button", name="Save recipients").click()
    expect(page.locator("#recipients-form").get_by_label("Morgan Manager")).to_be_checked()

    account.refresh_from_db()
    assert (account.payout_interval, account.payout_weekly_anchor) == ("weekly", "friday")
    assert account.payout_delay_days == 3
    assert account.statement_descriptor == "Demo Motors Svc"  # statements print it in capitals

    # The (demo) Express dashboard sends a payout; payout.paid produces the e-mail.
    mail.outbox.clear()
    with page.context.expect_page() as dashboard_info:
        page.locator("#stripe-dashboard").first.click()
    dashboard = dashboard_info.value
    expect(dashboard.get_by_text("Demo payments: no real money")).to_be_visible()
    dashboard.locator("input[name=amount]").fill("1250.00")
    dashboard.get_by_label("Paid").check()
    dashboard.locator("#payout-submit").click()
    expect(dashboard.get_by_text("payout.paid for $1,250.00")).to_be_visible()

    payout = Payout.objects.get(organization__slug=demo)
    assert (payout.amount_cents, payout.currency, payout.status) == (125000, "usd", "paid")
    (email,) = [m for m in mail.outbox if "payout" in m.subject.lower()]
    assert email.to == ["manager@demo.test"]
    assert "$1,250.00" in email.subject
    assert "Demo Motors" in email.subject
