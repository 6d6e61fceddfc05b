"""F6 Reconcile and F7 Refund in a real browser, on the demo gateway.

The demo manager filters today's payments, opens one, refunds it after confirming their
password, sees Refunded, and downloads the day's CSV.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from payments.gateway.demo.gateway import DemoGateway
from payments.models import ConnectedAccount, PaymentRequest, Refund
from payments.requests import checkout as requests_checkout
from payments.requests import services as requests_services
from teams.models import Membership, Organization
from tickets.models import Ticket

pytestmark = pytest.mark.e2e


@pytest.fixture
def paid_today(demo, live_server):
    """Demo Motors, connected as seed_demo leaves it, and one request paid today through the
    demo checkout."""
    organization = Organization.objects.get(slug=demo)
    advisor = Membership.objects.get(organization=organization, user__email="advisor@demo.test")
    assert organization.connected_account.status == ConnectedAccount.Status.CONNECTED
    gateway = DemoGateway()
    ticket = Ticket.objects.get(organization=organization, customer__name="Casey Driver")
    request = requests_services.payment_request_create(
        ticket=ticket,
        actor=advisor.user,
        amount_cents=48_250,
        description="Front brakes",
        reference="RO-5120",
    )
    requests_checkout.payment_request_checkout(
        payment_request=request, success_url=live_server.url + "/", cancel_url=live_server.url + "/"
    )
    request.refresh_from_db()
    gateway.pay_checkout(request.checkout_session_id, card_number="4242424242424242")
    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.PAID
    return request


def test_manager_filters_opens_refunds_and_exports(page: Page, paid_today, login, settings, demo):
    # Every sensitive POST asks for the password again: make the sign-in "old" at once.
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 1
    login(page, "manager@demo.test")
    page.locator("#nav-payments").click()
    page.locator("#id_range").select_option("today")
    row = page.get_by_role("row", name=re.compile("Casey Driver"))
    expect(row).to_be_visible()
    expect(row).to_contain_text("482.50")

    # The day's CSV, as filtered.
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    csv_text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert "(America/Chicago)" in csv_text and "(UTC)" in csv_text
    assert "482.50" in csv_text and "RO-5120" in csv_text

    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(paid_today.display_number)
    page.locator("#refund-button").click()
    expect(page.get_by_role("heading", name=re.compile(r"Refund \$482\.50"))).to_be_visible()
    page.wait_for_timeout(1200)  # the sign-in is now older than the (shortened) timeout
    page.locator("#refund-submit").click()

    # allauth asks for the password, then replays the refund.
    expect(page).to_have_url(re.compile("/accounts/reauthenticate/"))
    page.locator("input[name=password]").fill("demo-dealer-2026")
    page.locator("input[name=password]").press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Refunded", timeout=15_000)
    paid_today.refresh_from_db()
    assert paid_today.status == PaymentRequest.Status.REFUNDED
    assert paid_today.refunded_cents == 48_250
    assert Refund.objects.get(payment=paid_today).status == Refund.Status.SUCCEEDED


def test_the_payments_tab_the_payment_and_the_daily_report_read_the_same_figures(
    page: Page, paid_today, login, settings, demo
):
    """After a refund with the fee kept, the day's figures on every page are the ledger's."""
    from datetime import date

    from django.utils import timezone

    from accounts.formats import format_money
    from payments.refunds import services as refunds_services
    from payments.reports import services as reports_services

    organization = paid_today.organization
    manager = Membership.objects.get(organization=organization, user__email="manager@demo.test")
    refunds_services.refund_request(payment=paid_today, actor=manager.user)
    assert Refund.objects.get(payment=paid_today).status == Refund.Status.SUCCEEDED
    today: date = timezone.localdate(timezone=organization.time_zone)
    reports_services.daily_report_build(organization=organization, day=today)
    fee = paid_today.fee_cents
    expected = {
        "collected": format_money(48_250, "usd"),
        "refunds": format_money(-48_250, "usd"),
        "disputes": format_money(0, "usd"),
        "fees": format_money(fee, "usd"),
        "net": format_money(-fee, "usd"),  # the fee kept is what the refund cost
    }

    login(page, "manager@demo.test")
    page.locator("#nav-payments").click()
    page.locator("#id_range").select_option("today")
    cards = page.locator("#payment-totals")
    for name, text in expected.items():
        expect(cards.locator(f"[data-total={name}]")).to_have_text(text)

    page.get_by_role("row", name=re.compile("Casey Driver")).get_by_role("link").first.click()
    expect(page.locator("#net-after-refunds")).to_have_text(expected["net"])

    page.locator("#nav-reports").click()
    page.locator(f"#report-{today.isoformat()} a").first.click()
    figures = page.locator("#report-totals")
    for name, text in expected.items():
        expect(figures.locator(f"[data-figure={name}]")).to_have_text(text)
    expect(page.locator(".report-row-refund")).to_contain_text(format_money(-48_250, "usd"))
