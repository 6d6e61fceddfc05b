"""Every page passes axe-core with no serious or critical violation (issue: accessibility).

The demo dealership with its three weeks of history, and a request in each state the history
lacks (open, cancelled, disputed): each role signs in once and opens every page of
``tests.e2e.pages`` it may open; the customer's pages are opened signed out; each e-mail's
HTML is loaded as it is sent. axe-core is the npm registry's (``tests.e2e.axe``). The
keyboard reaches every control of the sign-in page, the Payments tab and the customer's
payment page in order, each with a focus indicator one can see."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from payments.connect import services as connect_services
from payments.models import DailyReport, PaymentRequest, Payout, PayoutNotification
from payments.payouts import services as payouts_services
from payments.reports import services as reports_services
from payments.requests import checkout as requests_checkout
from payments.requests import services as requests_services
from teams import services as team_services
from teams.models import Organization, Team
from tests.e2e.axe import assert_accessible, axe_violations, report
from tests.e2e.conftest import DEMO_ORG, DEMO_PASSWORD
from tests.e2e.pages import GalleryPage, demo_pages
from tickets.models import Ticket

pytestmark = pytest.mark.e2e

STAFF_ROLES = ("admin", "manager", "advisor")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def catalogue(transactional_db, live_server, settings) -> list[GalleryPage]:
    """The demo as ``make demo`` seeds it (with its history), plus an open, a cancelled and a
    disputed request on Casey's ticket; answers the catalogue of its pages."""
    settings.SITE_URL = live_server.url
    call_command("seed_demo", stdout=io.StringIO())
    organization = Organization.objects.get(slug=DEMO_ORG)
    ticket = Ticket.objects.get(organization=organization, customer__name="Casey Driver")
    advisor = User.objects.get(email="advisor@demo.test")

    def request(amount: int, description: str) -> PaymentRequest:
        return requests_services.payment_request_create(
            ticket=ticket, actor=advisor, amount_cents=amount, description=description
        )

    open_request = request(48_250, "Brake pads and rotors, front")
    requests_services.payment_request_mark_opened(payment_request=open_request)
    requests_checkout.payment_request_cancel(
        payment_request=request(9_995, "Oil change"), actor=advisor
    )
    PaymentRequest.objects.filter(pk=request(30_000, "Alignment").pk).update(
        status=PaymentRequest.Status.DISPUTED, disputed_at=timezone.now()
    )
    return demo_pages(DEMO_ORG)


def _sign_in(page: Page, role: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(f"{role}@demo.test")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(rf"/o/{DEMO_ORG}/$"))


# Found in a template being rebuilt elsewhere (the ticket's conversation): listed here, to
# take off once fixed there, rather than left out of the check. (rule, element): what to do.
PENDING: dict[tuple[str, str], str] = {}  # (rule, element): why it waits, while it does


def _not_pending(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = []
    for violation in violations:
        nodes = [
            node for node in violation["nodes"] if (violation["id"], node["target"]) not in PENDING
        ]
        if nodes:
            kept.append({**violation, "nodes": nodes})
    return kept


def _walk(page: Page, pages: list[GalleryPage], who: str) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for each in pages:
        if who not in each.roles:
            continue
        response = page.goto(each.path)
        assert response is not None
        expected = 404 if each.name.endswith("404") else 200
        assert response.status == expected, f"{who} opened {each.path}: {response.status}"
        violations = _not_pending(axe_violations(page))
        if violations:
            found[f"{who} · {each.name} ({each.path})"] = violations
    return found


def test_every_page_passes_axe_for_every_role(catalogue, new_context):
    """Each role signed in once, each page it may open; then the customer's, signed out."""
    found: dict[str, list[dict[str, Any]]] = {}
    for role in STAFF_ROLES:
        page = new_context().new_page()
        _sign_in(page, role)
        found |= _walk(page, catalogue, role)
    # The shell on a phone (the menus fold away), on a few of the advisor's pages.
    page.set_viewport_size(PHONE)
    phone = [each for each in catalogue if each.name in {"overview", "ticket", "teams"}]
    found |= {f"{where}, on a phone": v for where, v in _walk(page, phone, "advisor").items()}
    customer = new_context(viewport=PHONE).new_page()  # the customer reads the text on a phone
    found |= _walk(customer, catalogue, "customer")
    found |= _pay(customer, next(page for page in catalogue if page.name == "customer-request"))
    assert not found, report(found)


def _pay(page: Page, request: GalleryPage) -> dict[str, list[dict[str, Any]]]:
    """The customer pays the open request: Stripe's Checkout (the demo's), the receipt just
    after, and Stripe's receipt (the demo's)."""
    found = {}

    def check(where: str) -> None:
        violations = axe_violations(page)
        if violations:
            found[f"customer · {where} ({page.url})"] = violations

    page.goto(request.path)
    page.locator("#pay-button").click()
    expect(page.get_by_label("Card number")).to_be_visible()
    check("demo checkout")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.locator("#checkout-pay").click()
    expect(page.locator("#card")).to_contain_text("4242")
    check("paid just now")
    receipt = page.locator("#stripe-receipt").get_attribute("href")
    assert receipt
    page.goto(receipt)
    check("demo receipt")
    return found


def _sent(send) -> list[Any]:
    before = len(mail.outbox)
    send()
    return mail.outbox[before:]


def test_every_email_passes_axe(catalogue, page: Page):
    """Each HTML e-mail the product sends, with the demo's data, as a mail reader shows it."""
    organization = Organization.objects.get(slug=DEMO_ORG)
    admin = User.objects.get(email="admin@demo.test")
    service = Team.objects.get(organization=organization, name="Service")
    payout = Payout.objects.filter(organization=organization, lines__isnull=False).first()
    assert payout is not None
    failed = Payout.objects.create(
        organization=organization,
        stripe_payout_id="po_failed_axe",
        amount_cents=12_345,
        currency="usd",
        arrival_date=timezone.localdate(),
        status="failed",
        failure_message="The bank account has been closed.",
        stripe_created=timezone.now(),
        synced_at=timezone.now(),
    )
    report_day = DailyReport.objects.filter(organization=organization).latest("day")
    emails = {
        "invitation": lambda: team_services.invitation_create(
            organization=organization,
            actor=admin,
            full_name="Riley Reed",
            email="riley@example.com",
            mobile_phone="+13125550177",
            role="manager",
            teams=[service],
        ),
        "stripe checklist": lambda: connect_services.checklist_send(
            organization=organization,
            actor=admin,
            full_name="Jamie Jones",
            email="accounting@example.com",
            mobile_phone="+13125550178",
        ),
        **{
            f"payout {status}": lambda which=which, status=status: (
                payouts_services.payout_email_deliver(
                    notification_id=PayoutNotification.objects.create(
                        payout=which, status=status, recipients=["admin@demo.test"]
                    ).pk
                )
            )
            for status, which in (("paid", payout), ("failed", failed))
        },
        "daily report": lambda: reports_services.daily_report_email_deliver(
            report_id=report_day.pk, recipients=["manager@demo.test"]
        ),
    }
    found = {}
    for name, send in emails.items():
        messages = _sent(send)
        html = [
            content
            for message in messages
            for content, mimetype in getattr(message, "alternatives", [])
            if mimetype == "text/html"
        ]
        assert html, f"the {name} e-mail has no HTML"
        page.set_content(html[0])
        violations = axe_violations(page)
        if violations:
            found[f"e-mail · {name}"] = violations
    assert not found, report(found)


def test_the_checker_fails_on_a_known_violation(page: Page):
    """An image with no text and a button with no name: axe says so, and the assertion fails."""
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
        '<h1>Broken</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "<button></button></main></body></html>"
    )
    rules = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "button-name"} <= rules
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page, "the broken page")


# The keyboard --------------------------------------------------------------------------------

# Every control the keyboard should reach, in the document's order (no positive tabindex is
# used): shown, enabled, not taken out of the order; of a group of radio buttons, the checked
# one (or the first). Each is numbered, to know it again once focused.
_TAB_STOPS = """() => {
    const selector = 'a[href], button, input, select, textarea, summary, [tabindex]';
    const groups = new Set();
    let n = 0;
    for (const el of document.querySelectorAll(selector)) {
        if (el.disabled || el.type === 'hidden' || el.tabIndex < 0) continue;
        if (!el.checkVisibility({visibilityProperty: true})) continue;
        if (el.closest('[inert], [aria-hidden="true"]')) continue;
        if (el.type === 'radio') {
            const group = el.form ? el.form.querySelectorAll(`input[type=radio][name="${el.name}"]`)
                : [el];
            if (groups.has(el.name)) continue;
            groups.add(el.name);
            const checked = [...group].find((radio) => radio.checked);
            if (checked && checked !== el) { checked.dataset.tabStop = n++; continue; }
        }
        el.dataset.tabStop = n++;
    }
    return n;
}"""

# The focused element: its number, what it is, and whether its focus shows.
_FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow && style.boxShadow !== 'none';
    const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '')
        .trim().split('\\n')[0].slice(0, 40);
    return {
        stop: el.dataset.tabStop === undefined ? null : Number(el.dataset.tabStop),
        what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name}"`,
        visible: outline || shadow,
    };
}"""


def keyboard_problems(page: Page) -> list[str]:
    """Tab from the top of the page (just loaded, nothing focused yet) through each control:
    what is reached out of order, or missed, or focused with nothing to show it."""
    stops = page.evaluate(_TAB_STOPS)
    assert stops, "nothing on the page to reach"
    found = []
    for expected in range(stops):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        for _segment in range(3):  # a date's month, day and year are a Tab each
            if expected == 0 or focused["stop"] != expected - 1:
                break
            page.keyboard.press("Tab")
            focused = page.evaluate(_FOCUSED)
        if focused["stop"] != expected:
            found.append(f"Tab {expected + 1}: {focused['what']} (expected stop {expected})")
            break
        if not focused["visible"]:
            found.append(f"Tab {expected + 1}: {focused['what']} shows no focus")
    return found


def test_the_keyboard_reaches_every_control_in_order_and_shows_where_it_is(catalogue, new_context):
    """The sign-in page, the Payments tab (the admin's) and the customer's payment page."""
    pages = {page.name: page for page in catalogue}
    found = {}
    page = new_context().new_page()
    for name in ("sign-in", "customer-request"):
        page.goto(pages[name].path)
        found[name] = keyboard_problems(page)
    page = new_context().new_page()
    _sign_in(page, "admin")
    page.goto(pages["payments"].path)
    found["payments"] = keyboard_problems(page)
    found = {name: problems for name, problems in found.items() if problems}
    assert not found, found


def test_the_keyboard_check_finds_a_hidden_focus_and_a_control_out_of_order(page: Page):
    page.set_content(
        '<!doctype html><html lang="en"><body><main>'
        '<a href="#a" style="outline: none">First</a><button>Second</button></main></body></html>'
    )
    assert keyboard_problems(page) == ['Tab 1: a "First" shows no focus']
    page = page.context.new_page()  # a page of its own: Tab starts again at the top
    page.set_content(
        '<!doctype html><html lang="en"><body><main>'
        '<button>First</button><button tabindex="3">Second</button></main></body></html>'
    )
    assert keyboard_problems(page) == ['Tab 1: button "Second" (expected stop 0)']
