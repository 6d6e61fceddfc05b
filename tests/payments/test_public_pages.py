"""F5: the customer's pages behind the short link, and the demo end to end."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments.gateway.demo.gateway import DemoGateway
from payments.models import PaymentRequest
from payments.requests import checkout as requests_checkout
from payments.requests import public as requests_public
from payments.requests import services as requests_services
from payments.requests.public import GUESS_LIMIT, LINK_LIMIT
from tickets.models import TimelineEntry

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def page(token: str, name: str = "payment_public") -> str:
    return reverse(name, args=[token])


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_the_page_shows_dealership_amount_description_and_pay(client, payment_request):
    response = client.get(page(payment_request.token))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Lakeside Motors") < html.index("$1,234.56")
    assert "Brake service" in html and "RO-4411" in html
    assert 'id="pay-button"' in html
    assert "Secure payment by Stripe" in html
    assert "<script>" not in html and "style=" not in html  # strict CSP: no inline code
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_opened_is_recorded_once(client, payment_request):
    for _ in range(3):
        client.get(page(payment_request.token))
    payment_request.refresh_from_db()
    assert payment_request.opened_at is not None
    assert TimelineEntry.objects.filter(event="payment_request.opened").count() == 1


def test_unknown_token_is_a_plain_404(client, payment_request):
    last = payment_request.token[-1]
    near_miss = payment_request.token[:-1] + ("x" if last != "x" else "y")  # one character off
    for token in ("nope", near_miss, "a" * 200):
        assert client.get(page(token)).status_code == 404
    assert client.post(page("nope", "payment_public_pay")).status_code == 404
    assert client.get(page("nope", "payment_public_success")).status_code == 404


def test_pages_show_nothing_of_another_request(client, make_request, ticket):
    first = make_request(description="Brake service", reference="RO-1")
    second = make_request(amount_cents=9_999, description="Tire rotation", reference="RO-2")
    html = client.get(page(first.token)).content.decode()
    assert "Tire rotation" not in html and "RO-2" not in html and "$99.99" not in html
    assert second.token not in html
    assert "Dana" not in html and "5550143" not in html  # nor the customer's name or number


def test_pay_creates_a_session_and_redirects_to_checkout(
    client, payment_request, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(page(payment_request.token, "payment_public_pay"))
    assert response.status_code == 303
    payment_request.refresh_from_db()
    assert response["Location"] == payment_request.checkout_url
    assert "/demo-stripe/checkout/" in payment_request.checkout_url
    assert payment_request.checkout_attempt == 1
    again = client.post(page(payment_request.token, "payment_public_pay"))
    assert again["Location"] == response["Location"]  # same open session, not a second one


def test_an_expired_session_is_renewed_on_pay(
    client, payment_request, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        client.post(page(payment_request.token, "payment_public_pay"))
    payment_request.refresh_from_db()
    old = payment_request.checkout_session_id
    PaymentRequest.objects.filter(pk=payment_request.pk).update(checkout_expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(page(payment_request.token, "payment_public_pay"))
    payment_request.refresh_from_db()
    assert payment_request.checkout_session_id != old
    assert payment_request.checkout_attempt == 2
    assert response["Location"].endswith(
        f"/demo-stripe/checkout/{payment_request.checkout_session_id}/"
    )
    assert DemoGateway().retrieve_checkout_session(old)["status"] == "expired"


def test_a_cancelled_request_says_so_and_cannot_be_paid(
    client, payment_request, advisor_membership
):
    requests_checkout.payment_request_cancel(
        payment_request=payment_request, actor=advisor_membership.user
    )
    response = client.get(page(payment_request.token))
    assert b"This payment request was cancelled" in response.content
    assert b'id="pay-button"' not in response.content
    pay = client.post(page(payment_request.token, "payment_public_pay"))
    assert pay.status_code == 303 and pay["Location"] == page(payment_request.token)
    payment_request.refresh_from_db()
    assert payment_request.checkout_session_id == ""


def test_a_paid_request_shows_its_receipt(client, payment_request):
    paid_at = datetime(2026, 11, 27, 15, 58, tzinfo=UTC)
    PaymentRequest.objects.filter(pk=payment_request.pk).update(
        status="paid",
        paid_at=paid_at,
        card_brand="visa",
        card_last4="4242",
        receipt_url="https://pay.stripe.com/receipts/x",
        receipt_number="1234-5678",
    )
    html = client.get(page(payment_request.token)).content.decode()
    assert "Paid" in html and "Visa •••• 4242" in html
    assert "Nov 27, 2026, 9:58\u202fAM CST" in html and "America/Chicago" in html  # local, named
    assert "Nov 27, 2026, 3:58\u202fPM UTC" in html  # and UTC, as Stripe's receipt shows
    assert f"R-{payment_request.number:06d}" in html and "#1234-5678" in html
    assert "https://pay.stripe.com/receipts/x" in html
    assert 'id="pay-button"' not in html


def test_success_reads_the_session_before_the_webhook(
    client, payment_request, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        client.post(page(payment_request.token, "payment_public_pay"))
        payment_request.refresh_from_db()
        DemoGateway().pay_checkout(
            payment_request.checkout_session_id, card_number="4242424242424242"
        )
    # The events are held: the webhook has not arrived.
    url = (
        page(payment_request.token, "payment_public_success")
        + f"?session_id={payment_request.checkout_session_id}"
    )
    response = client.get(url)
    html = response.content.decode()
    assert "Payment successful" in html and "Visa •••• 4242" in html
    payment_request.refresh_from_db()
    assert payment_request.status == "paid"
    assert TimelineEntry.objects.filter(event="payment_request.paid").count() == 1


def test_success_with_a_foreign_session_changes_nothing(
    client, make_request, django_capture_on_commit_callbacks
):
    mine, other = make_request(), make_request(amount_cents=5000)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(page(other.token, "payment_public_pay"))
        other.refresh_from_db()
        DemoGateway().pay_checkout(other.checkout_session_id, card_number="4242424242424242")
    response = client.get(
        page(mine.token, "payment_public_success") + f"?session_id={other.checkout_session_id}"
    )
    assert b"Confirming your payment" in response.content
    mine.refresh_from_db()
    assert mine.status == "open"


def test_cancel_page_returns_to_the_request(client, payment_request):
    response = client.get(page(payment_request.token, "payment_public_cancel"))
    assert response.status_code == 200
    assert b"nothing was charged" in response.content
    assert b'id="pay-button"' in response.content


@pytest.fixture
def one_minute(monkeypatch):
    """The limits count per minute: these tests run inside one, whatever the clock says."""

    monkeypatch.setattr(requests_public, "_minute", lambda: 29_000_000)


def test_too_many_requests_on_one_link_from_one_client_get_429(one_minute, client, payment_request):
    for _ in range(LINK_LIMIT):
        assert client.get(page(payment_request.token)).status_code == 200
    limited = client.get(page(payment_request.token))
    assert limited.status_code == 429
    assert b"Too many attempts" in limited.content
    other_ip = Client(REMOTE_ADDR="10.1.2.3")
    assert other_ip.get(page(payment_request.token)).status_code == 200


def test_a_client_guessing_links_is_stopped_and_nobody_else(one_minute, client, payment_request):
    for n in range(GUESS_LIMIT):
        assert client.get(page(f"guess-{n}")).status_code == 404
    assert client.get(page("guess-more")).status_code == 429
    assert client.get(page(payment_request.token)).status_code == 429  # a guesser is stopped
    customer = Client(REMOTE_ADDR="10.1.2.3")
    assert customer.get(page(payment_request.token)).status_code == 200


BEHIND_PROXY = "203.0.113.9"  # the TLS proxy's address: every request comes from it


def through_proxy(client_address: str) -> Client:
    """A client behind the one trusted proxy, which appends the address it saw."""
    return Client(REMOTE_ADDR=BEHIND_PROXY, HTTP_X_FORWARDED_FOR=client_address)


def test_behind_the_proxy_each_person_has_their_own_limits(one_minute, settings, payment_request):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = settings.TRUSTED_PROXY_COUNT = 1
    attacker, customer = through_proxy("198.51.100.7"), through_proxy("192.0.2.44")
    for n in range(GUESS_LIMIT + 5):
        attacker.get(page(f"random-{n}"))
    assert attacker.get(page(payment_request.token)).status_code == 429
    assert customer.get(page(payment_request.token)).status_code == 200


def test_a_forged_forwarded_for_does_not_escape_the_limit(one_minute, settings, payment_request):
    """Only the right-most entry is the trusted proxy's: what the client wrote is ignored."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = settings.TRUSTED_PROXY_COUNT = 1
    for n in range(GUESS_LIMIT):
        forged = Client(REMOTE_ADDR=BEHIND_PROXY, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7")
        forged.get(page(f"random-{n}"))
    assert through_proxy("198.51.100.7").get(page(payment_request.token)).status_code == 429


def test_without_a_trusted_proxy_the_forwarded_for_header_is_ignored(one_minute, payment_request):
    for n in range(GUESS_LIMIT):
        Client(HTTP_X_FORWARDED_FOR=f"10.9.9.{n}").get(page(f"random-{n}"))
    assert (
        Client(HTTP_X_FORWARDED_FOR="10.8.8.8").get(page(payment_request.token)).status_code == 429
    )


def test_the_demo_checkout_declines_4000_0000_0000_0002(
    client, payment_request, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        checkout = client.post(page(payment_request.token, "payment_public_pay"))["Location"]
    form = client.get(path_of(checkout))
    assert b"Demo payments: no real money" in form.content
    assert b"Demo card 4242 4242 4242 4242" in form.content
    with django_capture_on_commit_callbacks(execute=False) as held:
        declined = client.post(
            path_of(checkout),
            {"card_number": "4000 0000 0000 0002", "expiry": "12/34", "cvc": "123"},
        )
    assert declined.status_code == 402
    assert b"Your card was declined." in declined.content
    assert len(held) == 1  # payment_intent.payment_failed


@pytest.fixture
def expired_checkout(client, payment_request, django_capture_on_commit_callbacks, monkeypatch):
    """The demo Checkout of ``payment_request``, opened a day after it was created."""
    import time as time_module

    with django_capture_on_commit_callbacks(execute=False):
        checkout = client.post(page(payment_request.token, "payment_public_pay"))["Location"]
    real = time_module.time
    monkeypatch.setattr("payments.gateway.demo.base.time.time", lambda: real() + 24 * 3600)
    with django_capture_on_commit_callbacks(execute=False):
        return client.get(path_of(checkout))


def test_an_expired_demo_checkout_says_so(expired_checkout):
    assert expired_checkout.status_code == 410
    assert b"This checkout session has expired" in expired_checkout.content


def test_an_expired_demo_checkout_names_the_dealership_without_an_english_possessive(
    expired_checkout,
):
    content = expired_checkout.content.decode()
    assert "Go back to the payment page for Lakeside Motors to pay" in content
    assert "Lakeside Motors&#x27;s" not in content and "Lakeside Motors's" not in content


# The demo, end to end, on the live server ------------------------------------------------


@pytest.fixture
def live_site(transactional_db, live_server, settings):
    settings.SITE_URL = live_server.url
    return live_server.url


def test_demo_end_to_end_pays_with_4242(
    live_site, organization, admin_membership, advisor_membership, service_team
):
    from payments.connect.services import connected_account_refresh, connected_account_start
    from tickets.services import customer_get_or_create, ticket_open

    account = connected_account_start(organization=organization, actor=admin_membership.user)
    DemoGateway().complete_onboarding(
        account.stripe_account_id, business_name="Lakeside Motors", finish=True
    )
    connected_account_refresh(account=account)
    customer = customer_get_or_create(
        organization=organization, name="Dana", mobile_phone="+13125550143"
    )
    ticket = ticket_open(organization=organization, team=service_team, customer=customer)
    created = requests_services.payment_request_create(
        ticket=ticket,
        actor=advisor_membership.user,
        amount_cents=123_456,
        description="Brake service",
    )
    assert created.sms is not None

    client = Client()
    assert b"$1,234.56" in client.get(page(created.token)).content
    checkout = client.post(page(created.token, "payment_public_pay"))["Location"]
    assert checkout.startswith(live_site + "/demo-stripe/checkout/")
    # The demo's checkout page POSTs its events to our live platform endpoint.
    session = requests.Session()
    form = session.get(checkout, timeout=10)
    token = CSRF_INPUT.search(form.text).group(1)
    paid = session.post(
        checkout,
        data={
            "csrfmiddlewaretoken": token,
            "card_number": "4242 4242 4242 4242",
            "expiry": "12/34",
            "cvc": "123",
        },
        headers={"Referer": checkout},
        timeout=20,
    )
    assert paid.status_code == 200
    assert "/success/" in paid.url
    assert "Visa •••• 4242" in paid.text and "$1,234.56" in paid.text

    created.refresh_from_db()
    assert created.status == "paid"
    assert (created.card_brand, created.card_last4) == ("visa", "4242")
    assert created.charge_id.startswith("ch_demo") and created.payment_intent_id.startswith(
        "pi_demo"
    )
    assert created.stripe_fee_cents == (123_456 * 29 + 500) // 1000 + 30
    assert created.net_cents == 123_456 - created.fee_cents
    assert created.receipt_url.startswith(live_site + "/demo-stripe/receipts/")
    assert TimelineEntry.objects.filter(ticket=ticket, event="payment_request.paid").count() == 1
    receipt = requests.get(created.receipt_url, timeout=10)
    assert "UTC" in receipt.text and "Demo payments: no real money" in receipt.text
    # The link now shows the receipt; paying again is impossible.
    again = client.post(page(created.token, "payment_public_pay"))
    assert again["Location"] == page(created.token)
