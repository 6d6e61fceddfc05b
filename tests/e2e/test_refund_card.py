"""The payment's page keeps its refund in a card of its own (issue 14).

The Refund button, and once refunded the "Refunded" line, floated between the DBS card and the
timeline, outside any card. Both sit in a "Refund" card like the page's others, on a laptop
(1280 by 800) and a phone (390 by 844), in English and Canadian French; nothing overflows
(``tests.e2e.layout``). Each view is kept as a full-page screenshot in tests/e2e/screenshots/.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from accounts.models import User
from payments.models import Refund
from teams.models import Organization
from tests.e2e.layout import VIEWPORTS, layout_problems, screenshot
from tests.payments.payments_tab import payment_row
from tickets.models import Ticket

pytestmark = pytest.mark.e2e

# Where the element lies: inside which card (its header's text), and inside its box.
_PLACE = r"""
(el) => {
  const card = el.closest(".card");
  if (!card) return { card: null };
  const r = el.getBoundingClientRect(), c = card.getBoundingClientRect();
  const header = card.querySelector(":scope > .card-header");
  return {
    card: header ? header.innerText.trim() : "",
    inside: r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom,
    slot: !!el.closest("#refund-slot"),
  };
}
"""


@pytest.fixture
def payments(request, settings, live_server):
    settings.SITE_URL = live_server.url  # the demo's webhooks reach this server
    organization = Organization.objects.get(slug=request.getfixturevalue("demo"))
    ticket = Ticket.objects.get(organization=organization, customer__name="Casey Driver")
    now = timezone.now()
    paid = payment_row(
        ticket, amount=48_250, at=now - timedelta(hours=1), payment_intent_id="pi_card_paid"
    )
    refunded = payment_row(
        ticket,
        amount=12_995,
        at=now - timedelta(hours=2),
        status="refunded",
        refunded_cents=12_995,
        refunded_at=now - timedelta(minutes=30),
        payment_intent_id="pi_card_refunded",
    )
    Refund.objects.create(
        organization=organization,
        payment=refunded,
        amount_cents=12_995,
        currency="usd",
        status=Refund.Status.SUCCEEDED,
    )
    slug = organization.slug
    return {
        "paid": (reverse("payment_detail", args=[slug, paid.pk]), "#refund-button"),
        "refunded": (reverse("payment_detail", args=[slug, refunded.pk]), "#refund-badge"),
    }


@pytest.mark.parametrize("language", ["en", "fr-ca"])
def test_the_refund_button_and_the_refunded_line_sit_in_a_refund_card(
    page: Page, payments, login, language
):
    User.objects.filter(email="admin@demo.test").update(language=language)
    login(page, "admin@demo.test")
    problems = []
    for state, (url, selector) in payments.items():
        for device, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("lang", language)
            element = page.locator(selector)
            expect(element).to_be_visible()
            screenshot(page, f"payment-{state}-{language}-{device}")
            place = element.evaluate(_PLACE)
            heading = page.locator("#refund-slot .card-header")
            if not place["card"] or not place["slot"] or not place["inside"]:
                problems.append(f"{state}, {device}: {selector} is not inside a card: {place}")
            elif place["card"] != heading.inner_text().strip():
                problems.append(f"{state}, {device}: {selector} is in the card {place['card']}")
            problems += [f"{state}, {device}: {p}" for p in layout_problems(page)]
    assert not problems, f"the payment's page in {language}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("language", ["en", "fr-ca"])
def test_the_password_page_before_a_refund_names_the_refund(
    page: Page, payments, login, settings, language
):
    """It said only "Confirm Access": it now says what the password is for."""
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 1  # the sign-in is "old" a second later
    User.objects.filter(email="admin@demo.test").update(language=language)
    login(page, "admin@demo.test")
    url, _selector = payments["paid"]
    page.goto(url)
    number = page.locator("h1").inner_text().split(" ")[0]  # R-000001
    page.locator("#refund-button").click()
    page.wait_for_timeout(1200)
    page.locator("#refund-submit").click()
    expect(page).to_have_url(re.compile("/accounts/reauthenticate/"))
    purpose = page.locator("#reauthentication-purpose")
    expect(purpose).to_contain_text(number)
    with translation.override(language):
        expected = translation.gettext("Enter your password to refund %(number)s (%(amount)s).")
    assert purpose.inner_text().startswith(expected.split("%(number)s")[0].strip())
    problems = []
    for device, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"reauthenticate-refund-{language}-{device}")
        problems += [f"{device}: {p}" for p in layout_problems(page)]
    assert not problems, "the password page overflows:\n  " + "\n  ".join(problems)
