"""F4 Request and F5 Pay in real browsers, on the demo gateway.

The advisor requests $1,234.56 from a ticket; the text goes out (locmem SMS); the customer, in
a second browser context, opens the link, pays with the demo card and gets the receipt; the
advisor's ticket shows Paid without a reload.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts import sms
from payments.models import ConnectedAccount, PaymentRequest
from teams.models import Organization
from tickets.models import Ticket

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://\S+/p/[A-Za-z0-9_-]+/?")


@pytest.fixture
def connected_demo(demo):
    """Demo Motors, connected to the demo Stripe as seed_demo leaves it, with links pointing
    at the test server."""
    organization = Organization.objects.get(slug=demo)
    assert organization.connected_account.status == ConnectedAccount.Status.CONNECTED
    return organization


def test_advisor_requests_a_payment_and_the_customer_pays_it(
    page: Page, new_context, connected_demo, login, live_server
):
    login(page, "advisor@demo.test")
    page.locator("#nav-tickets").click()
    page.get_by_role("link", name=re.compile("Casey Driver")).click()
    expect(page.get_by_role("heading", name="Casey Driver")).to_be_visible()

    # F4: the request, from the ticket.
    page.locator("#pr-request summary").click()
    form = page.locator("#pr-form")
    form.locator("input[name=amount]").fill("1,234.56")
    form.locator("input[name=description]").fill("F-150 60k service")
    form.locator("input[name=reference]").fill("RO-4411")
    form.locator("#pr-submit").click()
    expect(page.locator("#pr-panel")).to_contain_text("$1,234.56")
    # The conversation shows the text the customer got, with the request's card, at once.
    sent = page.locator("#timeline [data-event='payment_request.sent']")
    expect(sent).to_contain_text("Demo Motors: $1,234.56 for F-150 60k service", timeout=3_000)
    expect(sent.locator(".app-pay-card")).to_contain_text("Unpaid")

    (text,) = [m for m in sms.outbox if m.to == "+13125550188"]
    assert "Demo Motors" in text.body and "$1,234.56" in text.body
    link = LINK.search(text.body)[0]
    customer_url = live_server.url + urlsplit(link).path

    # F5: the customer, on their phone, with no account.
    customer = new_context(viewport={"width": 390, "height": 844}).new_page()
    customer.goto(customer_url)
    expect(customer.locator("#amount")).to_contain_text("$1,234.56")
    expect(customer.locator("#description")).to_contain_text("F-150 60k service")
    customer.locator("#pay-button").click()

    expect(customer.get_by_text("Demo payments: no real money")).to_be_visible()
    customer.get_by_label("Card number").fill("4242 4242 4242 4242")
    customer.get_by_label("Expiry").fill("12 / 34")
    customer.get_by_label("CVC").fill("123")
    customer.locator("#checkout-pay").click()

    expect(customer.locator("#status")).to_contain_text("Payment")
    expect(customer.locator("#card")).to_contain_text("4242")
    expect(customer.locator("#amount")).to_contain_text("$1,234.56")

    # The advisor's ticket shows Paid without a reload.
    expect(sent.locator(".app-pay-card")).to_contain_text("Paid", timeout=15_000)
    expect(page.locator("#timeline [data-event='payment_request.paid']")).to_contain_text("Paid")
    expect(page.locator("#pr-panel")).to_contain_text("Paid", timeout=15_000)

    request = PaymentRequest.objects.get()
    assert request.status == PaymentRequest.Status.PAID
    assert (request.card_brand, request.card_last4) == ("visa", "4242")
    assert request.amount_cents == 123456
    assert request.fee_cents == 4042  # 3.25% of $1,234.56 = $40.12, plus $0.30
    assert request.paid_at <= timezone.now()
    assert Ticket.objects.get(pk=request.ticket_id).customer.name == "Casey Driver"
