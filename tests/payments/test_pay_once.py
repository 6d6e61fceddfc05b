"""Pay exactly once: one payable Checkout Session per request whatever
the concurrency, and a second payment that still arrives is refunded automatically."""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import parse_qs

import pytest
import responses
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import sms
from payments import gateway
from payments.gateway import STRIPE_FAILED, GatewayError
from payments.models import DuplicateCharge, PaymentRequest, Refund
from payments.requests import checkout as requests_checkout
from teams.models import AuditLog
from tests.payments import stripe_fixtures as sf
from tests.payments.conftest import REAL_KEYS
from tests.payments.test_checkout_webhooks import charge, events, session
from tests.payments.test_refunds import refund_answer

SESSIONS = f"{sf.API}/v1/checkout/sessions"


def slow_session_answers(created: list[str], delay: float = 0.4):
    """Stripe creating a session slowly; every call gets a session of its own."""

    def answer(request):
        time.sleep(delay)
        session_id = f"cs_test_{len(created) + 1}"
        created.append(session_id)
        body = sf.stripe_object(
            "checkout.session",
            id=session_id,
            url=f"https://checkout.stripe.com/c/pay/{session_id}",
            expires_at=int(timezone.now().timestamp()) + 23 * 3600,
        )
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    return answer


@pytest.mark.django_db(transaction=True)
def test_four_customers_pressing_pay_at_once_get_one_session(
    webhook_sink, payment_request, real_keys
):
    created: list[str] = []
    webhook_sink.add_callback(responses.POST, SESSIONS, callback=slow_session_answers(created))
    url = reverse("payment_public_pay", args=[payment_request.token])
    barrier = threading.Barrier(4)
    locations: list[str] = []

    def press():
        try:
            barrier.wait()
            response = Client().post(url)
            locations.append(f"{response.status_code} {response.get('Location', '')}")
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert created == ["cs_test_1"]  # one session made at Stripe: one thing to pay
    assert locations == ["303 https://checkout.stripe.com/c/pay/cs_test_1"] * 4
    payment_request.refresh_from_db()
    assert payment_request.checkout_session_id == "cs_test_1"
    assert payment_request.checkout_attempt == 1


@pytest.mark.django_db(transaction=True)
def test_a_press_of_pay_while_the_request_is_being_cancelled_opens_no_session(
    webhook_sink, payment_request, real_keys, advisor_membership
):
    PaymentRequest.objects.filter(pk=payment_request.pk).update(
        checkout_session_id="cs_test_old",
        checkout_url="https://checkout.stripe.com/c/pay/cs_test_old",
        checkout_expires_at=timezone.now(),  # the next press would replace it
        checkout_attempt=1,
    )
    closing = threading.Event()

    def slow_expire(request):
        closing.set()
        time.sleep(0.4)
        body = session(payment_request, id="cs_test_old", status="expired")
        body.update(payment_status="unpaid", payment_intent=None)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    created: list[str] = []
    webhook_sink.add_callback(
        responses.POST, f"{SESSIONS}/cs_test_old/expire", callback=slow_expire
    )
    webhook_sink.add_callback(responses.POST, SESSIONS, callback=slow_session_answers(created, 0))
    pressed: list[int] = []

    def cancel():
        try:
            requests_checkout.payment_request_cancel(
                payment_request=payment_request, actor=advisor_membership.user
            )
        finally:
            connection.close()

    def press():
        try:
            closing.wait(timeout=5)
            url = reverse("payment_public_pay", args=[payment_request.token])
            pressed.append(Client().post(url).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel), threading.Thread(target=press)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert created == []  # nothing left to pay on a cancelled request
    assert pressed == [303]  # back to the request's page, which says cancelled
    payment_request.refresh_from_db()
    assert payment_request.status == PaymentRequest.Status.CANCELLED
    assert payment_request.checkout_session_id == ""


def test_a_session_stripe_cannot_close_is_not_replaced(payment_request, real_keys, stripe_http):
    PaymentRequest.objects.filter(pk=payment_request.pk).update(
        checkout_session_id="cs_test_old",
        checkout_url="https://checkout.stripe.com/c/pay/cs_test_old",
        checkout_expires_at=timezone.now(),  # at its end: it would be replaced
    )
    stripe_http.add(responses.POST, f"{SESSIONS}/cs_test_old/expire", status=400, json={})
    stripe_http.add(responses.GET, f"{SESSIONS}/cs_test_old", status=400, json={})
    response = Client().post(reverse("payment_public_pay", args=[payment_request.token]))
    assert response.status_code == 503
    assert not [c for c in stripe_http.calls if c.request.url == SESSIONS]  # none created
    payment_request.refresh_from_db()
    assert payment_request.checkout_session_id == "cs_test_old"


def test_a_session_paid_while_being_replaced_makes_the_request_paid(
    payment_request, real_keys, stripe_http
):
    PaymentRequest.objects.filter(pk=payment_request.pk).update(
        checkout_session_id="cs_test_old", checkout_expires_at=timezone.now()
    )
    paid = sf.stripe_object(
        "checkout.session",
        id="cs_test_old",
        status="complete",
        payment_status="paid",
        client_reference_id=str(payment_request.pk),
        metadata={"payment_request_id": str(payment_request.pk)},
        payment_intent="pi_test_old",
    )
    stripe_http.add(
        responses.POST,
        f"{SESSIONS}/cs_test_old/expire",
        status=400,
        json=sf.error_body("Only Checkout Sessions with a status of open can be expired."),
    )
    stripe_http.add(responses.GET, f"{SESSIONS}/cs_test_old", json=paid)
    response = Client().post(reverse("payment_public_pay", args=[payment_request.token]))
    assert response.status_code == 303
    assert response["Location"] == reverse("payment_public", args=[payment_request.token])
    assert not [c for c in stripe_http.calls if c.request.url == SESSIONS]
    payment_request.refresh_from_db()
    assert payment_request.status == PaymentRequest.Status.PAID
    assert payment_request.payment_intent_id == "pi_test_old"


def test_a_refused_session_uses_up_its_attempt_so_a_retry_sends_a_new_key(
    payment_request, real_keys, stripe_http
):
    stripe_http.add(responses.POST, SESSIONS, status=500, json={})
    with pytest.raises(GatewayError) as failed:
        requests_checkout.payment_request_checkout(
            payment_request=payment_request, success_url="https://s", cancel_url="https://c"
        )
    assert failed.value.message == STRIPE_FAILED
    stripe_http.replace(
        responses.POST,
        SESSIONS,
        json=sf.stripe_object("checkout.session", id="cs_test_2", url="https://checkout/2"),
    )
    assert (
        requests_checkout.payment_request_checkout(
            payment_request=payment_request, success_url="https://s", cancel_url="https://c"
        )
        == "https://checkout/2"
    )
    keys = [
        c.request.headers["Idempotency-Key"] for c in stripe_http.calls if c.request.url == SESSIONS
    ]
    assert keys[0].endswith("-checkout-1") and keys[-1].endswith("-checkout-2")


@pytest.fixture
def platform(real_keys, deliver):
    """Platform events signed with the real gateway's secret."""

    def _send(event_type, obj, created=None):
        evt = sf.event(event_type, obj, account=None, created=created)
        return deliver(evt, path=sf.PLATFORM_PATH, secret=REAL_KEYS["STRIPE_WEBHOOK_SECRET"])

    return _send


# A second payment that still arrives -------------------------------------------------------


@pytest.fixture
def paid_once(payment_request, stripe_http, platform, later):
    PaymentRequest.objects.filter(pk=payment_request.pk).update(checkout_session_id="cs_test_a1")
    payment_request.refresh_from_db()
    platform("checkout.session.completed", session(payment_request), later())
    txn = sf.stripe_object("balance_transaction", id="txn_1", fee=3610, amount=123456, net=119846)
    platform("charge.succeeded", charge(payment_request, balance_transaction=txn), later(1))
    payment_request.refresh_from_db()
    assert payment_request.status == PaymentRequest.Status.PAID
    return payment_request


def test_a_second_paid_session_is_refunded_automatically_once(
    paid_once, platform, later, real_keys, stripe_http, client
):
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/refunds",
        json=refund_answer(id="re_dup_1", payment_intent="pi_test_2", status="succeeded"),
    )
    second = session(paid_once, id="cs_test_a2", payment_intent="pi_test_2")
    platform("checkout.session.completed", second, later(5))
    platform("checkout.session.completed", second, later(5))  # replayed
    platform(
        "charge.succeeded",
        charge(paid_once, id="ch_test_2", payment_intent="pi_test_2", receipt_number="9999-0000"),
        later(6),
    )

    [refund_call] = [c for c in stripe_http.calls if c.request.url.endswith("/v1/refunds")]
    sent = {k: v[0] for k, v in parse_qs(refund_call.request.body).items()}
    assert sent["payment_intent"] == "pi_test_2"
    assert sent["reverse_transfer"] == "true" and sent["refund_application_fee"] == "true"
    duplicate = DuplicateCharge.objects.get()
    assert (
        refund_call.request.headers["Idempotency-Key"] == f"duplicate-charge-{duplicate.pk}-refund"
    )
    assert duplicate.status == DuplicateCharge.Status.REFUNDED
    assert (duplicate.amount_cents, duplicate.checkout_session_id) == (123456, "cs_test_a2")
    paid_once.refresh_from_db()
    # The request keeps its own payment: status, charge and receipt untouched, no refund.
    assert paid_once.status == PaymentRequest.Status.PAID
    assert (paid_once.payment_intent_id, paid_once.charge_id) == ("pi_test_1", "ch_test_1")
    assert paid_once.receipt_number == "1234-5678" and paid_once.refunded_cents == 0
    assert not Refund.objects.exists()
    assert events(paid_once, "paid") == 1
    assert events(paid_once, "duplicate_charged") == 1
    assert events(paid_once, "duplicate_refunded") == 1
    assert AuditLog.objects.filter(action="payment.duplicate_detected").count() == 1
    assert AuditLog.objects.filter(action="payment.duplicate_refunded").count() == 1


def test_the_duplicates_charge_refunded_event_never_refunds_the_request(
    paid_once, platform, later, real_keys, stripe_http
):
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/refunds",
        json=refund_answer(id="re_dup_1", payment_intent="pi_test_2", status="pending"),
    )
    platform(
        "checkout.session.completed",
        session(paid_once, id="cs_test_a2", payment_intent="pi_test_2"),
        later(5),
    )
    assert DuplicateCharge.objects.get().status == DuplicateCharge.Status.REFUND_PENDING
    refunded = charge(
        paid_once,
        id="ch_test_2",
        payment_intent="pi_test_2",
        amount_refunded=paid_once.amount_cents,
        refunded=True,
        refunds={"object": "list", "data": [refund_answer(id="re_dup_1", status="succeeded")]},
    )
    platform("charge.refunded", refunded, later(9))

    assert DuplicateCharge.objects.get().status == DuplicateCharge.Status.REFUNDED
    paid_once.refresh_from_db()
    assert paid_once.status == PaymentRequest.Status.PAID and paid_once.refunded_cents == 0
    assert not Refund.objects.exists()


def test_the_payment_page_shows_the_refunded_second_payment(
    paid_once, platform, later, real_keys, stripe_http, manager_client
):
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/refunds",
        json=refund_answer(id="re_dup_1", payment_intent="pi_test_2", status="succeeded"),
    )
    platform(
        "checkout.session.completed",
        session(paid_once, id="cs_test_a2", payment_intent="pi_test_2"),
        later(5),
    )
    page = manager_client.get(
        reverse("payment_detail", kwargs={"org": paid_once.organization.slug, "pk": paid_once.pk})
    ).content.decode()
    assert 'id="duplicate-charges"' in page
    assert "A second payment of $1,234.56 was refunded automatically" in page
    assert "pi_test_2" in page


def test_a_duplicate_refund_stripe_keeps_refusing_is_shown_failed(
    paid_once, platform, later, real_keys, stripe_http, eager_retries
):
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/refunds",
        status=400,
        json=sf.error_body("Insufficient funds in Stripe account.", code="balance_insufficient"),
    )
    platform(
        "checkout.session.completed",
        session(paid_once, id="cs_test_a2", payment_intent="pi_test_2"),
        later(5),
    )
    duplicate = DuplicateCharge.objects.get()
    assert duplicate.status == DuplicateCharge.Status.REFUND_FAILED
    assert duplicate.failure_reason == gateway.BALANCE_LOW
    assert events(paid_once, "duplicate_refund_failed") == 1


def test_a_duplicates_refund_failing_later_is_shown_failed_and_a_success_refunded(
    paid_once, platform, later, real_keys, stripe_http
):
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/refunds",
        json=refund_answer(id="re_dup_1", payment_intent="pi_test_2", status="pending"),
    )
    platform(
        "checkout.session.completed",
        session(paid_once, id="cs_test_a2", payment_intent="pi_test_2"),
        later(5),
    )
    duplicate = DuplicateCharge.objects.get()
    assert duplicate.status == DuplicateCharge.Status.REFUND_PENDING
    ours = {"payment_request_id": str(paid_once.pk), "duplicate_charge_id": str(duplicate.pk)}
    failed = refund_answer(
        id="re_dup_1",
        payment_intent="pi_test_2",
        status="failed",
        failure_reason="expired_or_canceled_card",
        metadata=ours,
    )
    platform("refund.failed", failed, later(9))
    platform("refund.failed", failed, later(10))  # redelivered: said once

    duplicate.refresh_from_db()
    assert duplicate.status == DuplicateCharge.Status.REFUND_FAILED
    assert duplicate.failure_reason == "The card has expired or was cancelled."
    assert events(paid_once, "duplicate_refund_failed") == 1
    paid_once.refresh_from_db()
    assert paid_once.status == PaymentRequest.Status.PAID and not Refund.objects.exists()

    other = DuplicateCharge.objects.create(
        organization=paid_once.organization,
        payment=paid_once,
        payment_intent_id="pi_test_3",
        amount_cents=paid_once.amount_cents,
        currency=paid_once.currency,
    )
    succeeded = refund_answer(
        id="re_dup_2",
        payment_intent="pi_test_3",
        status="succeeded",
        metadata={**ours, "duplicate_charge_id": str(other.pk)},
    )
    platform("refund.updated", succeeded, later(11))
    other.refresh_from_db()
    assert other.status == DuplicateCharge.Status.REFUNDED
    assert other.stripe_refund_id == "re_dup_2"
    paid_once.refresh_from_db()
    assert paid_once.status == PaymentRequest.Status.PAID and paid_once.refunded_cents == 0


def test_a_success_page_read_after_another_payment_records_a_duplicate_not_its_charge(
    paid_once, real_keys, stripe_http
):
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/refunds",
        json=refund_answer(id="re_dup_1", payment_intent="pi_test_2", status="succeeded"),
    )
    stale = PaymentRequest.objects.get(pk=paid_once.pk)
    stale.status = PaymentRequest.Status.OPEN  # as the success page read it, before the lock
    intent = sf.stripe_object(
        "payment_intent",
        id="pi_test_2",
        latest_charge=charge(paid_once, id="ch_test_2", payment_intent="pi_test_2"),
    )
    second = session(paid_once, id="cs_test_a2", payment_intent=intent)

    requests_checkout.payment_request_sync_session(payment_request=stale, session=second)

    paid_once.refresh_from_db()
    assert (paid_once.payment_intent_id, paid_once.charge_id) == ("pi_test_1", "ch_test_1")
    duplicate = DuplicateCharge.objects.get()
    assert (duplicate.payment_intent_id, duplicate.checkout_session_id) == (
        "pi_test_2",
        "cs_test_a2",
    )


# Request payment: one request per submission ----------------------------------------------


def request_payment(client, ticket, submission):
    return client.post(
        reverse(
            "ticket_payment_requests", kwargs={"org": ticket.organization.slug, "pk": ticket.pk}
        ),
        {"amount": "50.00", "description": "Brakes", "submission": submission},
        HTTP_HX_REQUEST="true",
    )


def test_the_request_form_carries_a_fresh_submission_key(advisor_client, connected_account, ticket):
    url = reverse(
        "ticket_payment_requests", kwargs={"org": ticket.organization.slug, "pk": ticket.pk}
    )
    keys = [
        re.search(r'name="submission" value="([^"]+)"', advisor_client.get(url).content.decode())[1]
        for _ in range(2)
    ]
    assert len(keys[0]) >= 16 and keys[0] != keys[1]


def test_the_same_submission_twice_makes_one_request_and_one_text(
    advisor_client, connected_account, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = request_payment(advisor_client, ticket, "k-1")
        again = request_payment(advisor_client, ticket, "k-1")
    assert first.status_code == again.status_code == 200
    assert PaymentRequest.objects.count() == 1
    assert len(sms.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        request_payment(advisor_client, ticket, "k-2")  # a new form: a new request
    assert PaymentRequest.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_at_the_same_moment_makes_one_request(
    webhook_sink, connected_account, ticket, advisor_membership, password
):
    barrier = threading.Barrier(3)
    statuses: list[int] = []

    def submit():
        try:
            client = Client()
            client.login(email=advisor_membership.user.email, password=password)
            barrier.wait()
            statuses.append(request_payment(client, ticket, "same-key").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200, 200]
    assert PaymentRequest.objects.filter(submission_key="same-key").count() == 1
    assert len(sms.outbox) == 1
