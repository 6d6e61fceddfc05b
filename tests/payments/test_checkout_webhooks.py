"""Platform events that move a payment request: idempotent, and tolerant of any order."""

from __future__ import annotations

import pytest

from payments.models import PaymentRequest
from teams.audit import AuditAction, describe
from teams.models import AuditLog
from tests.payments import stripe_fixtures as sf
from tickets.models import TimelineEntry


def metadata(request: PaymentRequest) -> dict[str, str]:
    return {"organization_id": str(request.organization_id), "payment_request_id": str(request.pk)}


def session(request: PaymentRequest, **fields) -> dict:
    return sf.stripe_object(
        "checkout.session",
        **{
            "id": request.checkout_session_id or "cs_test_a1",
            "amount_total": request.amount_cents,
            "currency": request.currency,
            "client_reference_id": str(request.pk),
            "metadata": metadata(request),
            "payment_status": "paid",
            "status": "complete",
            "payment_intent": "pi_test_1",
            **fields,
        },
    )


def charge(request: PaymentRequest, **fields) -> dict:
    obj = sf.stripe_object(
        "charge",
        id="ch_test_1",
        amount=request.amount_cents,
        amount_captured=request.amount_cents,
        amount_refunded=0,
        application_fee_amount=request.fee_cents,
        currency=request.currency,
        metadata=metadata(request),
        payment_intent="pi_test_1",
        status="succeeded",
        paid=True,
        refunded=False,
        receipt_number="1234-5678",
        created=1_790_000_000,
    )
    return sf.deep_update(obj, fields)


@pytest.fixture
def platform(deliver):
    def _send(event_type, obj, created=None):
        evt = sf.event(event_type, obj, account=None, created=created)
        return deliver(evt, path=sf.PLATFORM_PATH)

    return _send


@pytest.fixture
def with_session(payment_request):
    PaymentRequest.objects.filter(pk=payment_request.pk).update(
        checkout_session_id="cs_test_a1",
        checkout_url="https://checkout.stripe.com/c/pay/cs_test_a1",
    )
    payment_request.refresh_from_db()
    return payment_request


def events(request: PaymentRequest, name: str) -> int:
    return TimelineEntry.objects.filter(
        ticket=request.ticket, event=f"payment_request.{name}"
    ).count()


def test_completed_makes_the_request_paid_once(with_session, platform, later):
    stored = platform("checkout.session.completed", session(with_session), later())
    assert stored.status == "processed"
    with_session.refresh_from_db()
    assert with_session.status == "paid"
    assert with_session.payment_intent_id == "pi_test_1"
    assert with_session.paid_at is not None
    assert events(with_session, "paid") == 1


def test_a_duplicate_completed_writes_one_paid_entry(with_session, platform, later):
    platform("checkout.session.completed", session(with_session), later())
    platform("checkout.session.completed", session(with_session), later(1))  # another event id
    evt = sf.event("checkout.session.completed", session(with_session), account=None)
    from django.test import Client

    from tests.payments.stripe_fixtures import post_event

    for _ in range(2):  # the same event delivered twice
        assert post_event(Client(), evt, path=sf.PLATFORM_PATH).status_code == 200
    assert events(with_session, "paid") == 1


def test_a_payment_is_audited_once_even_when_its_events_come_twice(
    with_session, platform, deliver, later
):
    evt = sf.event("checkout.session.completed", session(with_session), account=None)
    deliver(evt, path=sf.PLATFORM_PATH)
    deliver(evt, path=sf.PLATFORM_PATH)  # the same event delivered twice
    platform("checkout.session.completed", session(with_session), later(1))  # another id
    platform("charge.succeeded", charge(with_session), later(2))

    [entry] = AuditLog.objects.filter(action=AuditAction.PAYMENT_REQUEST_PAID)
    assert entry.actor is None  # Stripe's webhook told us
    assert (entry.target_type, entry.target_id) == ("paymentrequest", with_session.pk)
    assert entry.data["amount_cents"] == 123456
    assert entry.data["currency"] == "usd"
    assert describe(entry) == f"Dana Driver paid $1,234.56 ({with_session.display_number})"


def test_completed_before_expired_stays_paid(with_session, platform, later):
    platform("checkout.session.completed", session(with_session), later())
    platform(
        "checkout.session.expired",
        session(with_session, status="expired", payment_status="unpaid", payment_intent=None),
        later(5),
    )
    with_session.refresh_from_db()
    assert with_session.status == "paid"
    assert events(with_session, "expired") == 0


def test_expired_before_completed_ends_paid(with_session, platform, later):
    platform(
        "checkout.session.expired",
        session(with_session, status="expired", payment_status="unpaid", payment_intent=None),
        later(),
    )
    with_session.refresh_from_db()
    assert with_session.status == "open"
    assert with_session.checkout_session_id == ""  # the link will make a new session
    assert events(with_session, "expired") == 1
    platform("checkout.session.completed", session(with_session, id="cs_test_a1"), later(-5))
    with_session.refresh_from_db()
    assert with_session.status == "paid"
    assert events(with_session, "paid") == 1


def test_expired_of_a_replaced_session_changes_nothing(with_session, platform, later):
    platform(
        "checkout.session.expired",
        session(with_session, id="cs_test_old", status="expired", payment_status="unpaid"),
        later(),
    )
    with_session.refresh_from_db()
    assert with_session.checkout_session_id == "cs_test_a1"
    assert events(with_session, "expired") == 0


def test_unpaid_completion_keeps_the_request_open_until_async_success(
    with_session, platform, later
):
    platform("checkout.session.completed", session(with_session, payment_status="unpaid"), later())
    with_session.refresh_from_db()
    assert with_session.status == "open"
    assert with_session.payment_intent_id == "pi_test_1"
    platform("checkout.session.async_payment_succeeded", session(with_session), later(60))
    with_session.refresh_from_db()
    assert with_session.status == "paid"


def test_async_failure_and_card_decline_are_on_the_timeline_and_the_request_stays_open(
    with_session, platform, later
):
    platform(
        "checkout.session.async_payment_failed",
        session(with_session, payment_status="unpaid"),
        later(),
    )
    intent = sf.stripe_object(
        "payment_intent",
        id="pi_test_1",
        metadata=metadata(with_session),
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
        status="requires_payment_method",
    )
    platform("payment_intent.payment_failed", intent, later(1))
    with_session.refresh_from_db()
    assert with_session.status == "open"
    assert with_session.failure_message == "Your card was declined."
    assert events(with_session, "failed") == 2
    entry = TimelineEntry.objects.filter(event="payment_request.failed").last()
    assert entry.data["message"] == "Your card was declined."


def test_charge_succeeded_records_the_card_receipt_and_net(with_session, platform, later):
    platform("charge.succeeded", charge(with_session), later())
    with_session.refresh_from_db()
    assert with_session.status == "paid"  # the charge may come before the session
    assert (with_session.card_brand, with_session.card_last4) == ("visa", "4242")
    assert with_session.charge_id == "ch_test_1"
    assert with_session.receipt_number == "1234-5678"
    assert with_session.receipt_url.startswith("https://")
    assert with_session.paid_at.timestamp() == 1_790_000_000
    assert with_session.net_cents == with_session.amount_cents - with_session.fee_cents
    assert with_session.stripe_fee_cents is None  # not expanded, not found: left empty
    platform("checkout.session.completed", session(with_session), later(1))
    assert events(with_session, "paid") == 1


def test_an_expanded_balance_transaction_gives_stripe_fee(with_session, platform, later):
    txn = sf.stripe_object("balance_transaction", id="txn_1", fee=3610, amount=123456, net=119846)
    platform("charge.succeeded", charge(with_session, balance_transaction=txn), later())
    with_session.refresh_from_db()
    assert with_session.stripe_fee_cents == 3610


def test_refund_then_late_events_keep_it_refunded(with_session, platform, later):
    platform("checkout.session.completed", session(with_session), later())
    refunded = charge(with_session, amount_refunded=with_session.amount_cents, refunded=True)
    platform("charge.refunded", refunded, later(10))
    platform("charge.refunded", refunded, later(11))
    platform("charge.succeeded", charge(with_session), later(2))  # late
    platform("checkout.session.expired", session(with_session, status="expired"), later(3))
    with_session.refresh_from_db()
    assert with_session.status == "refunded"
    assert events(with_session, "refunded") == 1
    assert events(with_session, "paid") == 1


def test_a_partial_refund_keeps_it_paid(with_session, platform, later):
    platform("checkout.session.completed", session(with_session), later())
    platform("charge.refunded", charge(with_session, amount_refunded=100), later(1))
    with_session.refresh_from_db()
    assert with_session.status == "paid"


def test_dispute_follows_the_charge(with_session, platform, later):
    platform("charge.succeeded", charge(with_session), later())
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_test_1",
        "payment_intent": "pi_test_1",
        "reason": "fraudulent",
        "amount": with_session.amount_cents,
    }
    platform("charge.dispute.created", dispute, later(1))
    platform("charge.dispute.created", dict(dispute, id="dp_2"), later(2))
    with_session.refresh_from_db()
    assert with_session.status == "disputed"
    assert events(with_session, "disputed") == 1


def test_a_dispute_is_audited_once_even_when_its_event_comes_twice(
    with_session, platform, deliver, later
):
    platform("charge.succeeded", charge(with_session), later())
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_test_1",
        "payment_intent": "pi_test_1",
        "reason": "fraudulent",
        "amount": 50000,
        "currency": "usd",
    }
    evt = sf.event("charge.dispute.created", dispute, account=None, created=later(1))
    deliver(evt, path=sf.PLATFORM_PATH)
    deliver(evt, path=sf.PLATFORM_PATH)  # the same event delivered twice
    platform("charge.dispute.created", dispute, later(2))  # the same news, another event id

    [entry] = AuditLog.objects.filter(action=AuditAction.PAYMENT_REQUEST_DISPUTED)
    assert entry.actor is None
    assert (entry.data["amount_cents"], entry.data["reason"]) == (50000, "fraudulent")
    assert describe(entry) == (
        f"Dana Driver disputed the payment of $500.00 ({with_session.display_number})"
    )


def test_events_of_another_organization_or_unknown_requests_change_nothing(
    with_session, platform, later
):
    foreign = session(
        with_session,
        metadata={"organization_id": "999999", "payment_request_id": str(with_session.pk)},
    )
    assert platform("checkout.session.completed", foreign, later()).status == "processed"
    unknown = session(
        with_session, client_reference_id="999999", metadata={"payment_request_id": "999999"}
    )
    platform("checkout.session.completed", unknown, later(1))
    with_session.refresh_from_db()
    assert with_session.status == "open"


def test_a_connect_event_never_moves_a_request(with_session, deliver, later):
    evt = sf.event("checkout.session.completed", session(with_session), created=later())
    deliver(evt)  # the Connect endpoint, with an account
    with_session.refresh_from_db()
    assert with_session.status == "open"


def test_payment_of_a_cancelled_request_is_recorded_as_paid(
    with_session, platform, later, advisor_membership
):
    PaymentRequest.objects.filter(pk=with_session.pk).update(status="cancelled")
    platform("checkout.session.completed", session(with_session), later())
    with_session.refresh_from_db()
    assert with_session.status == "paid"  # the money was taken: the record says so
