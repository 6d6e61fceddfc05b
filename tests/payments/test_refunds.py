"""Refunds (F7): Stripe's exact parameters, once only (double clicks, two managers at once),
progress by webhook in any order, reauthentication, roles and tenancy, and the demo."""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qs, urlencode

import pytest
import responses
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation

from accounts.formats import format_money
from payments.gateway import GatewayError, webhook_secret
from payments.gateway.demo import tasks as gateway_demo_tasks
from payments.gateway.demo.gateway import DEMO_CARD_SUCCESS, DemoGateway
from payments.models import PaymentRequest, Refund
from payments.refunds import services as refunds_services
from payments.requests import checkout as requests_checkout
from payments.webhooks import pipeline as webhooks_pipeline
from teams.audit import AuditAction, describe
from teams.models import AuditLog
from teams.roles import Capability, Role
from tests.factories import PASSWORD, MembershipFactory, TeamFactory
from tests.helpers import age_password_check
from tests.payments import stripe_fixtures as sf
from tickets.models import TimelineEntry


def refund_url(payment: PaymentRequest) -> str:
    return f"/o/{payment.organization.slug}/payments/{payment.pk}/refund/"


def events(payment: PaymentRequest, name: str) -> int:
    return TimelineEntry.objects.filter(
        ticket=payment.ticket, event=f"payment_request.{name}"
    ).count()


def sign_in(client, membership):
    response = client.post(
        "/accounts/login/", {"login": membership.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def paid(payment_request) -> PaymentRequest:
    """A request paid by Visa 4242 (as the webhooks leave it), without the demo's records."""
    PaymentRequest.objects.filter(pk=payment_request.pk).update(
        status=PaymentRequest.Status.PAID,
        payment_intent_id="pi_test_1",
        charge_id="ch_test_1",
        card_brand="visa",
        card_last4="4242",
    )
    payment_request.refresh_from_db()
    return payment_request


def refund_answer(refund: Refund | None = None, **fields) -> dict:
    metadata = {"refund_id": str(refund.pk)} if refund else {}
    return sf.stripe_object(
        "refund",
        **{
            "id": "re_test_1",
            "amount": 123456,
            "charge": "ch_test_1",
            "payment_intent": "pi_test_1",
            "status": "pending",
            "metadata": metadata,
            **fields,
        },
    )


@pytest.fixture
def platform(deliver):
    """Deliver a platform event (no ``account``), signed, and process it."""

    def _send(event_type, obj, created=None):
        evt = sf.event(event_type, obj, account=None, created=created)
        return deliver(evt, path=sf.PLATFORM_PATH, secret=webhook_secret("platform"))

    return _send


def refunded_charge(payment: PaymentRequest, refund_obj: dict | None = None) -> dict:
    obj = sf.stripe_object(
        "charge",
        id="ch_test_1",
        amount=payment.amount_cents,
        amount_captured=payment.amount_cents,
        amount_refunded=payment.amount_cents,
        application_fee_amount=payment.fee_cents,
        currency=payment.currency,
        metadata={
            "organization_id": str(payment.organization_id),
            "payment_request_id": str(payment.pk),
        },
        payment_intent="pi_test_1",
        status="succeeded",
        paid=True,
        refunded=True,
        created=1_790_000_000,
    )
    obj["refunds"] = {"object": "list", "data": [refund_obj] if refund_obj else []}
    return obj


# Stripe's parameters at the HTTP boundary -------------------------------------------------


@pytest.mark.parametrize("fee_returned", [False, True])
def test_the_exact_refund_parameters_sent_to_stripe(
    paid, manager_membership, real_keys, stripe_http, settings, fee_returned
):
    settings.REFUND_APPLICATION_FEE = fee_returned
    stripe_http.add(responses.POST, f"{sf.API}/v1/refunds", json=refund_answer())

    refund = refunds_services.refund_request(payment=paid, actor=manager_membership.user)

    [call] = stripe_http.calls
    sent = {k: v[0] for k, v in parse_qs(call.request.body, keep_blank_values=True).items()}
    assert sent == {
        "payment_intent": "pi_test_1",
        "reverse_transfer": "true",
        "refund_application_fee": "true" if fee_returned else "false",
        "metadata[organization_id]": str(paid.organization_id),
        "metadata[payment_request_id]": str(paid.pk),
        "metadata[refund_id]": str(refund.pk),
    }
    assert call.request.headers["Idempotency-Key"] == f"refund-{refund.pk}"
    refund.refresh_from_db()
    assert refund.stripe_refund_id == "re_test_1"
    assert refund.status == Refund.Status.PENDING
    assert (refund.amount_cents, refund.currency) == (123456, "usd")
    assert refund.fee_returned is fee_returned
    assert refund.requested_by == manager_membership.user
    paid.refresh_from_db()
    assert paid.status == PaymentRequest.Status.PAID  # until Stripe confirms it
    assert (
        AuditLog.objects.filter(action="payment.refund_requested", target_id=paid.pk).count() == 1
    )
    entry = TimelineEntry.objects.get(ticket=paid.ticket, event="payment_request.refund_requested")
    assert entry.author == manager_membership.user


def test_a_stripe_refusal_fails_the_refund_with_the_reason_and_allows_another(
    paid, manager_membership, real_keys, stripe_http
):
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/refunds",
        status=400,
        json=sf.error_body("Insufficient funds in Stripe account.", code="balance_insufficient"),
    )
    with pytest.raises(GatewayError):
        refunds_services.refund_request(payment=paid, actor=manager_membership.user)
    failed = Refund.objects.get(payment=paid)
    assert failed.status == Refund.Status.FAILED
    assert "The Stripe balance is too low for this." in failed.failure_reason
    assert events(paid, "refund_failed") == 1
    paid.refresh_from_db()
    assert paid.status == PaymentRequest.Status.PAID
    assert refunds_services.refund_unavailable(paid) == ""

    stripe_http.replace(responses.POST, f"{sf.API}/v1/refunds", json=refund_answer())
    again = refunds_services.refund_request(payment=paid, actor=manager_membership.user)
    assert again.pk != failed.pk
    assert stripe_http.calls[-1].request.headers["Idempotency-Key"] == f"refund-{again.pk}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": PaymentRequest.Status.OPEN}, "Only a paid payment"),
        ({"payment_intent_id": ""}, "Only a paid payment"),
        ({"status": PaymentRequest.Status.REFUNDED}, refunds_services.ALREADY_REFUNDED),
    ],
)
def test_only_a_paid_payment_can_be_refunded(paid, manager_membership, change, message):
    PaymentRequest.objects.filter(pk=paid.pk).update(**change)
    with pytest.raises(ValidationError, match=message):
        refunds_services.refund_request(payment=paid, actor=manager_membership.user)
    assert not Refund.objects.exists()


# Once only --------------------------------------------------------------------------------


def test_a_double_submission_refunds_once_and_tells_the_second(
    client, paid, manager_membership, real_keys, stripe_http
):
    stripe_http.add(responses.POST, f"{sf.API}/v1/refunds", json=refund_answer())
    sign_in(client, manager_membership)

    first = client.post(refund_url(paid), follow=True)
    second = client.post(refund_url(paid), follow=True)

    assert len(stripe_http.calls) == 1
    assert Refund.objects.filter(payment=paid).count() == 1
    assert "sent to Stripe" in first.content.decode()
    assert refunds_services.IN_PROGRESS in second.content.decode()


def test_a_refunded_payment_is_never_refunded_again(
    client, paid, manager_membership, real_keys, stripe_http
):
    stripe_http.add(responses.POST, f"{sf.API}/v1/refunds", json=refund_answer(status="succeeded"))
    refunds_services.refund_request(payment=paid, actor=manager_membership.user)
    sign_in(client, manager_membership)
    page = client.get(refund_url(paid))
    assert page.status_code == 409
    assert refunds_services.ALREADY_REFUNDED in page.content.decode()
    response = client.post(refund_url(paid), follow=True)
    assert refunds_services.ALREADY_REFUNDED in response.content.decode()
    assert len(stripe_http.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_two_managers_at_once_one_wins_the_other_is_told(
    demo_events,  # first: without a transaction around the test, on-commit runs at once
    paid,
    manager_membership,
    admin_membership,
    monkeypatch,
):
    calls = []

    def create_refund(self, **kwargs):
        calls.append(kwargs)
        return {"id": f"re_demo_{len(calls)}", "object": "refund", "status": "pending"}

    monkeypatch.setattr(DemoGateway, "create_refund", create_refund)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def attempt(actor):
        try:
            barrier.wait(timeout=5)
            outcomes.append(refunds_services.refund_request(payment=paid, actor=actor))
        except ValidationError as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(m.user,))
        for m in (manager_membership, admin_membership)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    won = [o for o in outcomes if isinstance(o, Refund)]
    told = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(won), len(told)) == (1, 1)
    assert told[0].messages == [refunds_services.IN_PROGRESS]
    assert len(calls) == 1
    assert Refund.objects.filter(payment=paid).count() == 1


def test_the_database_refuses_a_second_live_refund(paid):
    from django.db import IntegrityError, transaction

    Refund.objects.create(
        organization=paid.organization, payment=paid, amount_cents=100, currency="usd"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(
            organization=paid.organization, payment=paid, amount_cents=100, currency="usd"
        )


# Webhooks ---------------------------------------------------------------------------------


@pytest.fixture
def requested(paid, manager_membership, real_keys, stripe_http):
    stripe_http.add(responses.POST, f"{sf.API}/v1/refunds", json=refund_answer())
    return refunds_services.refund_request(payment=paid, actor=manager_membership.user)


def test_refund_failed_by_webhook_keeps_the_payment_paid_and_allows_a_retry(
    requested, paid, platform, later, stripe_http, manager_membership
):
    failed = refund_answer(requested, status="failed", failure_reason="expired_or_canceled_card")
    platform("refund.failed", failed, later())
    platform("refund.failed", failed, later())  # redelivered as a new event: said once

    requested.refresh_from_db()
    assert requested.status == Refund.Status.FAILED
    assert requested.failure_reason == "The card has expired or was cancelled."
    paid.refresh_from_db()
    assert paid.status == PaymentRequest.Status.PAID
    assert events(paid, "refund_failed") == 1
    entry = TimelineEntry.objects.get(ticket=paid.ticket, event="payment_request.refund_failed")
    assert entry.data["reason"] == "The card has expired or was cancelled."

    stripe_http.replace(responses.POST, f"{sf.API}/v1/refunds", json=refund_answer(id="re_test_2"))
    again = refunds_services.refund_request(payment=paid, actor=manager_membership.user)
    assert again.stripe_refund_id == "re_test_2"


def test_charge_refunded_marks_the_payment_refunded_once(requested, paid, platform, later):
    charge = refunded_charge(paid, refund_answer(requested, status="succeeded"))
    platform("charge.refunded", charge, later(1))
    platform("charge.refunded", charge, later(2))

    paid.refresh_from_db()
    assert paid.status == PaymentRequest.Status.REFUNDED
    assert paid.refunded_cents == paid.amount_cents
    assert paid.refunded_at is not None
    assert events(paid, "refunded") == 1
    requested.refresh_from_db()
    assert requested.status == Refund.Status.SUCCEEDED
    assert Refund.objects.filter(payment=paid).count() == 1


def test_refund_updated_in_any_order_ends_succeeded(requested, paid, platform, later):
    platform("refund.updated", refund_answer(requested, status="succeeded"), later(5))
    platform("refund.updated", refund_answer(requested, status="pending"), later(1))  # late
    platform("charge.refunded", refunded_charge(paid), later(3))

    requested.refresh_from_db()
    assert requested.status == Refund.Status.SUCCEEDED
    paid.refresh_from_db()
    assert paid.status == PaymentRequest.Status.REFUNDED
    assert events(paid, "refunded") == 1


def test_a_refund_event_of_another_organization_changes_nothing(requested, paid, platform, later):
    obj = refund_answer(requested, id="re_other", status="failed")
    obj["metadata"]["organization_id"] = str(paid.organization_id + 1000)
    platform("refund.failed", obj, later())
    requested.refresh_from_db()
    assert requested.status == Refund.Status.PENDING


def test_a_refund_made_in_stripes_dashboard_is_recorded(paid, platform, later):
    charge = refunded_charge(paid, refund_answer(id="re_dashboard", status="succeeded"))
    platform("charge.refunded", charge, later())
    paid.refresh_from_db()
    assert paid.status == PaymentRequest.Status.REFUNDED
    refund = Refund.objects.get(payment=paid)
    assert (refund.stripe_refund_id, refund.status) == ("re_dashboard", "succeeded")


# Pages: reauthentication, roles and tenancy -----------------------------------------------


def test_the_confirmation_names_the_amount_the_card_and_the_fee(
    client, paid, manager_membership, settings
):
    sign_in(client, manager_membership)
    page = client.get(refund_url(paid)).content.decode()
    assert "Refund $1,234.56 to Visa\u00a0••••\u00a04242?" in page
    assert "Our fee of $40.42 is not returned" in page
    assert "ends at -$40.42" in page
    assert "Stripe does not return its processing fee." in page

    settings.REFUND_APPLICATION_FEE = True
    page = client.get(refund_url(paid)).content.decode()
    assert "Our fee of $40.42 is returned" in page
    assert "ends at $0.00" in page


def test_an_old_password_check_asks_again_before_refunding(
    client, paid, manager_membership, real_keys, stripe_http
):
    stripe_http.add(responses.POST, f"{sf.API}/v1/refunds", json=refund_answer())
    sign_in(client, manager_membership)
    age_password_check(client, 10 * 60)

    assert client.get(refund_url(paid)).status_code == 200  # reading the confirmation is fine
    response = client.post(refund_url(paid))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not Refund.objects.exists()

    client.post(response["Location"], {"password": PASSWORD})  # replays the refund
    assert Refund.objects.filter(payment=paid).count() == 1
    assert len(stripe_http.calls) == 1


def _purpose(html: str) -> str:
    """The password page's sentence saying what the password is for, as read."""
    found = re.search(r'id="reauthentication-purpose">(.*?)</p>', html, re.S)
    assert found, html
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_password_page_says_it_is_for_refunding_this_payment(
    client, paid, manager_membership, other_manager
):
    """Issue 14: the page before a refund said only "Confirm Access". It names the refund:
    the payment's number and amount; a wrong password shows it again."""
    sign_in(client, manager_membership)
    age_password_check(client, 10 * 60)
    confirm = client.post(refund_url(paid))["Location"]
    amount = format_money(paid.amount_cents, paid.currency)
    sentence = f"Enter your password to refund {paid.display_number} ({amount})."
    page = client.get(confirm).content.decode()
    assert "Confirm Access" in page and "Please reauthenticate" not in page
    assert _purpose(page) == sentence
    assert f'<span class="text-nowrap">{paid.display_number}</span>' in page  # R-/000001

    wrong = client.post(confirm, {"password": "not-it", "next": refund_url(paid)})
    assert wrong.status_code == 200 and _purpose(wrong.content.decode()) == sentence
    assert not Refund.objects.exists()

    # Someone who may not refund it learns nothing of it from a crafted link.
    client.logout()
    sign_in(client, other_manager)
    query = urlencode({"next": refund_url(paid)})
    html = client.get(f"/accounts/reauthenticate/?{query}").content.decode()
    assert paid.display_number not in html and "this action needs a recent sign-in" in _purpose(
        html
    )


@pytest.fixture
def other_manager(organization):
    team = TeamFactory(organization=organization, name="Sales", payments_enabled=True)
    membership = MembershipFactory(organization=organization, role=Role.MANAGER)
    team.members.add(membership)
    return membership


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("caller", "expected"),
    [("admin", 200), ("manager", 200), ("advisor", 403), ("other_manager", 404), ("outsider", 404)],
)
def test_who_may_refund(
    client,
    paid,
    admin_membership,
    manager_membership,
    advisor_membership,
    other_manager,
    outsider_membership,
    real_keys,
    stripe_http,
    caller,
    expected,
    method,
):
    stripe_http.add(responses.POST, f"{sf.API}/v1/refunds", json=refund_answer())
    member = {
        "admin": admin_membership,
        "manager": manager_membership,
        "advisor": advisor_membership,
        "other_manager": other_manager,
        "outsider": outsider_membership,
    }[caller]
    sign_in(client, member)
    response = getattr(client, method)(refund_url(paid))
    if method == "post" and expected == 200:
        assert response.status_code == 302
        assert Refund.objects.filter(payment=paid).count() == 1
    else:
        assert response.status_code == expected
        if method == "post":
            assert not Refund.objects.exists()


def test_an_unknown_payment_is_404(client, paid, manager_membership):
    sign_in(client, manager_membership)
    assert client.get(f"/o/{paid.organization.slug}/payments/999999/refund/").status_code == 404


def test_anonymous_goes_to_sign_in(client, paid):
    response = client.get(refund_url(paid))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# The refund slot on the payment's page ----------------------------------------------------


def slot(payment, caps=frozenset({Capability.REFUND_PAYMENT})) -> str:
    may_refund = Capability.REFUND_PAYMENT in caps and not refunds_services.refund_unavailable(
        payment
    )
    return render_to_string(
        "payments/_refund_slot.html", {"payment": payment, "may_refund": may_refund}
    )


def test_the_slot_offers_refund_then_shows_progress(paid, requested):
    Refund.objects.all().delete()
    assert 'id="refund-button"' in slot(paid)
    assert 'id="refund-button"' not in slot(paid, caps=frozenset())

    Refund.objects.create(
        organization=paid.organization,
        payment=paid,
        amount_cents=paid.amount_cents,
        currency="usd",
        status=Refund.Status.FAILED,
        failure_reason="The card has expired or was cancelled.",
    )
    html = slot(paid)
    assert "Refund failed" in html and "The card has expired" in html and "Try again" in html

    Refund.objects.create(
        organization=paid.organization, payment=paid, amount_cents=paid.amount_cents, currency="usd"
    )
    html = slot(paid)
    assert "Refund pending" in html and 'id="refund-button"' not in html


def _card(html: str) -> str:
    """The refund card's markup, from its opening tag to the slot's end."""
    assert html.count('class="card mb-3" id="refund-card"') == 1, html
    return html[html.index('id="refund-card"') :]


def test_the_slot_is_a_refund_card_holding_the_button_then_the_state(paid):
    """Issue 14: the button, then the "Refunded" line, floated between the DBS card and the
    timeline. Both sit in a card headed Refund; with nothing to tell or offer, no card."""
    Refund.objects.all().delete()
    card = _card(slot(paid))
    assert '<div class="card-header fw-semibold">Refund</div>' in card
    assert 'id="refund-button"' in card and "The customer gets the full $" in card

    assert slot(paid, caps=frozenset()).strip() == ""  # may not refund, nothing refunded
    paid.status = PaymentRequest.Status.OPEN
    assert slot(paid).strip() == ""  # not paid: nothing to refund, nothing to tell

    Refund.objects.create(
        organization=paid.organization,
        payment=paid,
        amount_cents=paid.amount_cents,
        currency="usd",
        status=Refund.Status.SUCCEEDED,
    )
    paid.status = PaymentRequest.Status.REFUNDED
    card = _card(slot(paid, caps=frozenset()))
    assert 'id="refund-badge">Refunded<' in card and 'id="refund-button"' not in card


def test_the_refund_card_s_heading_is_a_noun_and_its_button_a_verb(paid):
    """ "Refund" heads the card and names the button: two words in French (Remboursement,
    Rembourser), so the button has its context."""
    Refund.objects.all().delete()
    with translation.override("fr-ca"):
        card = _card(slot(paid))
        heading = translation.gettext("Refund")
        button = translation.pgettext("button", "Refund")
    assert button not in ("Refund", heading)
    assert f'<div class="card-header fw-semibold">{heading}</div>' in card
    assert f">{button}</a>" in card


# The demo gateway, end to end -------------------------------------------------------------


@pytest.fixture
def demo_events(monkeypatch):
    """Events the demo gateway would POST to our endpoints after commit, kept here."""

    sent: list[dict] = []
    monkeypatch.setattr(
        gateway_demo_tasks.demo_deliver_event, "delay", lambda url, event: sent.append(event)
    )
    return sent


def process(sent: list[dict], django_capture_on_commit_callbacks) -> None:
    while sent:
        event = sent.pop(0)
        with django_capture_on_commit_callbacks(execute=False):
            stored, _new = webhooks_pipeline.webhook_event_store(event=event, endpoint="platform")
        webhooks_pipeline.webhook_event_process(event_id=stored.pk)


def test_the_demo_gateway_refunds_end_to_end(
    client, payment_request, manager_membership, demo_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        requests_checkout.payment_request_checkout(
            payment_request=payment_request,
            success_url="http://testserver/s",
            cancel_url="http://testserver/c",
        )
    payment_request.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        DemoGateway().pay_checkout(
            payment_request.checkout_session_id, card_number=DEMO_CARD_SUCCESS
        )
    process(demo_events, django_capture_on_commit_callbacks)
    payment_request.refresh_from_db()
    assert payment_request.status == PaymentRequest.Status.PAID
    assert payment_request.card_last4 == "4242"

    sign_in(client, manager_membership)
    assert (
        "Refund $1,234.56 to Visa\u00a0••••\u00a04242?"
        in client.get(refund_url(payment_request)).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(refund_url(payment_request))
    assert response.status_code == 302
    refund = Refund.objects.get(payment=payment_request)
    assert refund.status == Refund.Status.PENDING
    assert refund.stripe_refund_id.startswith("re_demo")
    assert [e["type"] for e in demo_events] == ["charge.refunded", "refund.updated"]
    assert demo_events[0]["data"]["object"]["refunds"]["data"][0]["id"] == refund.stripe_refund_id

    process(demo_events, django_capture_on_commit_callbacks)
    refund.refresh_from_db()
    payment_request.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert payment_request.status == PaymentRequest.Status.REFUNDED
    assert payment_request.refunded_cents == 123456
    assert events(payment_request, "refunded") == 1
    assert "Refunded" in slot(payment_request)

    # The same idempotency key replays the first answer; a new one is refused.
    gateway = DemoGateway()
    again = gateway.create_refund(
        payment_intent_id=payment_request.payment_intent_id,
        refund_application_fee=False,
        metadata={},
        idempotency_key=f"refund-{refund.pk}",
    )
    assert again["id"] == refund.stripe_refund_id
    with pytest.raises(GatewayError, match="already been refunded"):
        gateway.create_refund(
            payment_intent_id=payment_request.payment_intent_id,
            refund_application_fee=False,
            metadata={},
            idempotency_key="refund-other",
        )


# The audit log: each refund's outcome once, in words on the Admin tab ----------------------


def test_a_refund_that_succeeds_is_audited_once_even_when_its_events_come_twice(
    requested, paid, platform, deliver, later
):
    succeeded = refund_answer(requested, status="succeeded")
    evt = sf.event("refund.updated", succeeded, account=None, created=later(1))
    for _ in range(2):  # the same event delivered twice
        deliver(evt, path=sf.PLATFORM_PATH, secret=webhook_secret("platform"))
    platform("refund.updated", succeeded, later(2))  # the same news under another event id
    charge = refunded_charge(paid, succeeded)
    platform("charge.refunded", charge, later(3))
    platform("charge.refunded", charge, later(4))

    [entry] = AuditLog.objects.filter(action=AuditAction.REFUND_SUCCEEDED)
    assert entry.actor is None  # Stripe's webhook told us
    assert (entry.target_type, entry.target_id) == ("refund", requested.pk)
    assert (entry.data["amount_cents"], entry.data["currency"]) == (123456, "usd")
    assert entry.data["customer"] == "Dana Driver"
    assert describe(entry) == "Refund of $1,234.56 to Dana Driver succeeded"
    assert not AuditLog.objects.filter(action=AuditAction.REFUND_FAILED).exists()


def test_a_refund_that_fails_is_audited_once_with_its_reason(
    requested, paid, platform, deliver, later
):
    failed = refund_answer(requested, status="failed", failure_reason="expired_or_canceled_card")
    evt = sf.event("refund.failed", failed, account=None, created=later(1))
    for _ in range(2):
        deliver(evt, path=sf.PLATFORM_PATH, secret=webhook_secret("platform"))
    platform("refund.failed", failed, later(2))

    [entry] = AuditLog.objects.filter(action=AuditAction.REFUND_FAILED)
    assert entry.actor is None
    assert describe(entry) == (
        "Refund of $1,234.56 to Dana Driver failed: The card has expired or was cancelled."
    )
    assert not AuditLog.objects.filter(action=AuditAction.REFUND_SUCCEEDED).exists()


def test_a_refund_made_in_stripes_dashboard_is_audited_once(paid, platform, later):
    charge = refunded_charge(paid, refund_answer(id="re_dashboard", status="succeeded"))
    platform("charge.refunded", charge, later(1))
    platform("charge.refunded", charge, later(2))

    [entry] = AuditLog.objects.filter(action=AuditAction.REFUND_SUCCEEDED)
    assert entry.actor is None
    assert entry.target_id == Refund.objects.get(payment=paid).pk


def test_a_refund_stripe_refuses_is_audited_as_failed_for_who_asked(
    paid, manager_membership, real_keys, stripe_http
):
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/refunds",
        status=400,
        json=sf.error_body("Insufficient funds in Stripe account.", code="balance_insufficient"),
    )
    with pytest.raises(GatewayError):
        refunds_services.refund_request(payment=paid, actor=manager_membership.user)

    [entry] = AuditLog.objects.filter(action=AuditAction.REFUND_FAILED)
    assert entry.actor == manager_membership.user
    assert "The Stripe balance is too low for this." in describe(entry)


def test_the_admin_tab_tells_each_change_in_words_not_codes(
    client,
    make_request,
    admin_membership,
    manager_membership,
    real_keys,
    stripe_http,
    platform,
    later,
):
    small = make_request(amount_cents=1234)
    PaymentRequest.objects.filter(pk=small.pk).update(
        status=PaymentRequest.Status.PAID, payment_intent_id="pi_test_1", charge_id="ch_test_1"
    )
    stripe_http.add(responses.POST, f"{sf.API}/v1/refunds", json=refund_answer(amount=1234))
    refund = refunds_services.refund_request(payment=small, actor=manager_membership.user)
    platform("refund.updated", refund_answer(refund, amount=1234, status="succeeded"), later())
    admin_membership.user.full_name = "Alex Admin"
    admin_membership.user.save(update_fields=["full_name"])
    manager_membership.user.full_name = "Morgan Manager"
    manager_membership.user.save(update_fields=["full_name"])

    client.force_login(admin_membership.user)
    page = client.get(f"/o/{small.organization.slug}/admin/").content.decode()

    assert "Refund of $12.34 to Dana Driver succeeded" in page
    assert "Morgan Manager asked to refund $12.34 to Dana Driver" in page
    assert "Alex Admin started connecting Stripe" in page
    assert "Stripe is connected: the dealership can take payments" in page
    assert "When (America/Chicago)" in page
    for code in ("refund.succeeded", "payment.refund_requested", "stripe.connect_started"):
        assert code not in page
