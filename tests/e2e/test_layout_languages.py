"""Long translations do not break the layout (issue 13).

French and German run 20 to 30 % longer than English. The customer's payment page (open, just
paid, refunded) and the staff Payments tab (a realistic page: paid, refunded, disputed and
unpaid requests, a card declined, long customer and team names, a dealership with a long
name) are rendered in Canadian French and German on a phone (390 by 844) and a laptop
(1280 by 800); each is kept as a full-page screenshot in tests/e2e/screenshots/ (git-ignored)
and measured by ``tests.e2e.layout``: nothing may overflow its box or the page sideways.

Staff pick among settings.LANGUAGES (en, fr-ca, es), but the German catalog covers the whole
product and UserLanguageMiddleware activates any language Django has a catalog for
(``check_for_language``), so the German Payments tab is the admin's ``User.language = "de"``
set on the model; the test checks the page did render in German.

Assertions read no amount formats: those follow the reader's locale and may change.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from accounts.models import User
from payments.management import demo_history
from payments.models import PaymentRequest
from teams.models import Membership, Organization, Team
from tests.e2e.layout import VIEWPORTS, assert_layout_ok, layout_problems, screenshot
from tests.payments.payments_tab import payment_row
from tickets import services as ticket_services

pytestmark = pytest.mark.e2e

LANGUAGES = ["fr-ca", "de"]

DEALERSHIP = "Demo Motors Chevrolet Buick GMC de Saint-Jean-sur-Richelieu"
LONG_TEAM = "Carrosserie et esthétique automobile — Succursale Saint-Jean-sur-Richelieu"
# Customers as dealerships have them: double-barrelled, with particles, long.
CUSTOMERS = [
    ("Marie-Ève Bouchard-Gagnon-Tremblay", "+13125550161"),
    ("Maximilian Alexander von Hohenzollern-Sigmaringen", "+13125550162"),
    ("Wolfgang Schwarzenberger-Lichtensteiner", "+13125550163"),
    ("Jean-François Lefebvre-Desjardins", "+13125550164"),
]
LONG_DESCRIPTION = (
    "Entretien des 60 000 km, plaquettes et disques de frein avant, alignement des roues "
    "et remplacement de la batterie"
)


def _gettext(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


@pytest.fixture
def dealership(demo, settings, live_server):
    """Demo Motors with a long name, a week of generated history and, today, the payments
    that stretch a layout: long names, a car-sized amount, refunded, disputed, declined."""
    settings.SITE_URL = live_server.url
    organization = Organization.objects.get(slug=demo)
    organization.name = DEALERSHIP
    organization.save(update_fields=["name"])
    service = Team.objects.get(organization=organization, name="Service")
    demo_history.seed(organization=organization, team=service, days=7)
    body_shop = Team.objects.create(
        organization=organization, name=LONG_TEAM, payments_enabled=True
    )
    advisor = Membership.objects.get(organization=organization, user__email="advisor@demo.test")
    body_shop.members.add(advisor)

    tickets = []
    for index, (name, phone) in enumerate(CUSTOMERS):
        customer = ticket_services.customer_get_or_create(
            organization=organization, name=name, mobile_phone=phone
        )
        tickets.append(
            ticket_services.ticket_open(
                organization=organization,
                team=body_shop if index % 2 else service,
                customer=customer,
                advisor=advisor,
            )
        )
    now = timezone.now()
    card = {"card_brand": "mastercard", "card_last4": "4444", "receipt_number": "1834-2290"}
    common = {"created_by": advisor.user, "reference": "RO-4471203"}
    paid = payment_row(
        tickets[1],
        amount=4_825_000,  # a car, paid in full
        at=now - timedelta(minutes=20),
        description="Acompte et solde — Silverado 2500 HD High Country 2026",
        receipt_url="https://pay.stripe.com/receipts/demo",
        **card,
        **common,
    )
    refunded = payment_row(
        tickets[2],
        amount=123_456,
        at=now - timedelta(minutes=50),
        status="refunded",
        refunded_cents=123_456,
        refunded_at=now - timedelta(minutes=10),
        description=LONG_DESCRIPTION,
        **card,
        **common,
    )
    payment_row(
        tickets[3],
        amount=98_765,
        at=now - timedelta(hours=1),
        status="disputed",
        disputed_at=now - timedelta(minutes=5),
        description="Transmission",
        **common,
    )
    payment_row(tickets[0], amount=45_990, at=now - timedelta(hours=2), **card, **common)
    open_request = payment_row(
        tickets[0],
        amount=287_350,
        at=now - timedelta(minutes=30),
        status="open",
        description=LONG_DESCRIPTION,
        **common,
    )
    payment_row(
        tickets[1],
        amount=12_995,
        at=now - timedelta(minutes=40),
        status="open",
        failure_message="Your card was declined.",
        description="Vidange d'huile",
        **common,
    )
    return {"open": open_request, "paid": paid, "refunded": refunded}


def _customer_urls(requests: dict[str, PaymentRequest]) -> dict[str, str]:
    return {
        # Back from Checkout without paying: the request with its notice, the fullest page.
        "request": reverse("payment_public_cancel", args=[requests["open"].token]),
        "paid": reverse("payment_public_success", args=[requests["paid"].token]),
        "refunded": reverse("payment_public", args=[requests["refunded"].token]),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_customer_pages_fit_in_french_and_german(page: Page, dealership, language):
    problems = []
    for state, url in _customer_urls(dealership).items():
        for device, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            page.goto(f"{url}?lang={language}")
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("#amount")).not_to_be_empty()
            screenshot(page, f"customer-{state}-{language}-{device}")
            problems += [f"{state}, {device}: {p}" for p in layout_problems(page)]
    assert not problems, f"the customer's pages in {language} overflow:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_payments_tab_fits_in_french_and_german(page: Page, dealership, login, language):
    User.objects.filter(email="admin@demo.test").update(language=language)
    login(page, "admin@demo.test")
    payments = reverse("payment_list", args=[dealership["paid"].organization.slug])
    problems = []
    views = {"payments": payments, "unpaid": f"{payments}?status=open"}
    for view, url in views.items():
        for device, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            page.goto(url)
            # The page did render in the language (German is not on the staff's menu).
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("h1")).to_have_text(_gettext(language, "Payments"))
            expect(page.locator("#payments tbody tr").first).to_be_visible()
            screenshot(page, f"payments-{view}-{language}-{device}")
            problems += [f"{view}, {device}: {p}" for p in layout_problems(page)]
    assert not problems, f"the Payments tab in {language} overflows:\n  " + "\n  ".join(problems)


def test_the_layout_check_finds_what_overflows(page: Page, dealership):
    """The check is not blind: a word wider than the Pay button, a button row that does not
    wrap, a banner wider than the phone and a label cut mid-word are each reported, by
    selector and text."""
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(reverse("payment_public", args=[dealership["open"].token]) + "?lang=de")
    assert layout_problems(page) == []
    page.evaluate(
        """() => {
          const button = document.querySelector('#pay-button');
          button.style.whiteSpace = 'nowrap';
          button.append(' Donaudampfschifffahrtsgesellschaftskapitänsmütze');
          const row = document.createElement('div');
          row.id = 'injected-row';
          row.className = 'd-flex gap-2';
          row.innerHTML = '<a class="btn btn-outline-secondary">Zahlungsanforderung</a>'
            + '<a class="btn btn-outline-secondary">Rückerstattungsbestätigung</a>'
            + '<a class="btn btn-outline-secondary">Quittungsübersicht</a>';
          document.querySelector('#payment-request').append(row);
          const banner = document.createElement('p');
          banner.id = 'injected-banner';
          banner.style.width = '600px';
          banner.textContent = 'Zu breit';
          document.querySelector('#payment-request').append(banner);
          const label = document.createElement('div');
          label.id = 'injected-label';
          label.style.width = '90px';
          label.style.overflowWrap = 'anywhere';
          label.textContent = 'Zahlungsanfechtungen';
          document.querySelector('#payment-request').append(label);
        }"""
    )
    problems = layout_problems(page)
    text = "\n".join(problems)
    assert any(p.startswith("the page scrolls sideways") for p in problems), text
    assert any(p.startswith("#pay-button «") and "text runs out" in p for p in problems), text
    assert any(p.startswith("#injected-row > a.btn") and "sticks out" in p for p in problems), text
    assert any(p.startswith("#injected-banner «Zu breit»: sticks out") for p in problems), text
    assert "#injected-label «Zahlungsanfechtungen»: cuts the word" in text, text
    with pytest.raises(AssertionError, match="Donaudampfschifffahrt"):
        assert_layout_ok(page, "the injected page")
