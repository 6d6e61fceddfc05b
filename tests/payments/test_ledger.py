"""The ledger of money movements: each payment, refund, dispute and payout moves the
dealership's balance once, dated by Stripe's clock, signed in (+) and out (-), whatever the
number of webhook deliveries or workers."""

from __future__ import annotations

import importlib
import threading
from datetime import UTC, datetime

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.models import Sum

from payments import movements
from payments.ledger.selectors import payment_amounts
from payments.models import LedgerEntry, PaymentRequest, Payout, Refund
from payments.requests.services import payment_request_mark_paid
from tests.payments import stripe_fixtures as sf
from tests.payments.payments_tab import payment_row
from tests.payments.test_checkout_webhooks import charge, platform, session, with_session
from tests.payments.test_handlers import _payout_event

__all__ = ["platform", "with_session"]  # fixtures used below

Kind = LedgerEntry.Kind


def entries(**filters) -> list[tuple[str, int]]:
    return list(
        LedgerEntry.objects.filter(**filters).order_by("pk").values_list("kind", "amount_cents")
    )


def balance(**filters) -> int:
    return LedgerEntry.objects.filter(**filters).aggregate(t=Sum("amount_cents"))["t"] or 0


def test_a_paid_request_moves_its_charge_in_and_our_fee_out_when_it_was_paid(
    with_session, platform, later
):
    platform("checkout.session.completed", session(with_session), later())
    with_session.refresh_from_db()
    assert entries(payment=with_session) == [
        (Kind.CHARGE, with_session.amount_cents),
        (Kind.PLATFORM_FEE, -with_session.fee_cents),
    ]
    assert balance(payment=with_session) == with_session.amount_cents - with_session.fee_cents
    assert set(
        LedgerEntry.objects.filter(payment=with_session).values_list("occurred_at", flat=True)
    ) == {with_session.paid_at}


def test_a_payment_told_many_times_moves_money_once(with_session, platform, later):
    platform("checkout.session.completed", session(with_session), later())
    platform("checkout.session.completed", session(with_session), later(1))
    platform("charge.succeeded", charge(with_session), later(2))
    platform("charge.succeeded", charge(with_session), later(3))
    assert len(entries(payment=with_session)) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_recording_one_charge_at_once_write_it_once(webhook_sink, payment_request):
    PaymentRequest.objects.filter(pk=payment_request.pk).update(
        status=PaymentRequest.Status.PAID, paid_at=datetime(2026, 11, 30, 15, tzinfo=UTC)
    )
    barrier = threading.Barrier(2)

    def record():
        try:
            paid = PaymentRequest.objects.get(pk=payment_request.pk)
            barrier.wait(timeout=5)
            movements.charge_recorded(payment=paid)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(entries(payment=payment_request)) == 2


def test_marking_a_held_request_paid_again_writes_nothing_more(payment_request):
    held = PaymentRequest.objects.get(pk=payment_request.pk)
    assert payment_request_mark_paid(payment_request=held, payment_intent_id="pi_test_1")
    assert not payment_request_mark_paid(payment_request=held, payment_intent_id="pi_test_1")
    assert len(entries(payment=payment_request)) == 2


@pytest.mark.parametrize("fee_returned", [False, True])
def test_a_refund_takes_the_whole_amount_back_and_gives_the_fee_back_only_when_returned(
    payment_request, fee_returned
):
    held = PaymentRequest.objects.get(pk=payment_request.pk)
    payment_request_mark_paid(payment_request=held)
    refund = Refund.objects.create(
        organization=held.organization,
        payment=held,
        amount_cents=held.amount_cents,
        currency=held.currency,
        fee_returned=fee_returned,
        status=Refund.Status.SUCCEEDED,
    )
    at = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    movements.refund_recorded(refund=refund, at=at)
    movements.refund_recorded(refund=refund, at=at)  # told again
    expected = [(Kind.REFUND, -held.amount_cents)]
    if fee_returned:
        expected.append((Kind.FEE_RETURNED, held.fee_cents))
    assert entries(refund=refund) == expected
    # Fee kept: the dealership is out the fee; fee returned: it is even.
    assert balance(payment=held) == (0 if fee_returned else -held.fee_cents)
    assert set(LedgerEntry.objects.filter(refund=refund).values_list("occurred_at", flat=True)) == {
        at
    }


def test_a_refund_that_fails_after_it_went_through_puts_the_money_back(payment_request):
    held = PaymentRequest.objects.get(pk=payment_request.pk)
    payment_request_mark_paid(payment_request=held)
    refund = Refund.objects.create(
        organization=held.organization,
        payment=held,
        amount_cents=held.amount_cents,
        currency=held.currency,
        status=Refund.Status.SUCCEEDED,
    )
    at = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    movements.refund_recorded(refund=refund, at=at)
    movements.refund_reversed(refund=refund, at=at)
    movements.refund_reversed(refund=refund, at=at)
    assert entries(refund=refund) == [
        (Kind.REFUND, -held.amount_cents),
        (Kind.ADJUSTMENT, held.amount_cents),
    ]
    assert balance(payment=held) == held.amount_cents - held.fee_cents


def test_a_refund_through_the_webhooks_is_in_the_ledger_once(with_session, platform, later):
    platform("checkout.session.completed", session(with_session), later())
    with_session.refresh_from_db()
    refunded = charge(with_session, amount_refunded=with_session.amount_cents, refunded=True)
    refunded["refunds"] = {
        "object": "list",
        "data": [sf.stripe_object("refund", id="re_test_1", status="succeeded")],
    }
    platform("charge.refunded", refunded, later(5))
    platform("charge.refunded", refunded, later(6))
    refund = Refund.objects.get(payment=with_session)
    assert entries(refund=refund) == [(Kind.REFUND, -with_session.amount_cents)]
    assert balance(payment=with_session) == -with_session.fee_cents


def test_a_dispute_takes_its_amount_and_stripes_fee_out_once(with_session, platform, later):
    platform("charge.succeeded", charge(with_session), later())
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_test_1",
        "payment_intent": "pi_test_1",
        "reason": "fraudulent",
        "amount": with_session.amount_cents,
        "currency": with_session.currency,
        "balance_transactions": [{"object": "balance_transaction", "fee": 1500}],
    }
    platform("charge.dispute.created", dispute, later(1))
    platform("charge.dispute.created", dispute, later(2))
    assert entries(payment=with_session, kind__in=[Kind.DISPUTE, Kind.DISPUTE_FEE]) == [
        (Kind.DISPUTE, -with_session.amount_cents),
        (Kind.DISPUTE_FEE, -1500),
    ]


def test_a_dispute_won_puts_the_amount_back_once_and_stripes_fee_stays_out(
    with_session, platform, later
):
    platform("charge.succeeded", charge(with_session), later())
    dispute = {
        "id": "dp_2",
        "object": "dispute",
        "charge": "ch_test_1",
        "payment_intent": "pi_test_1",
        "reason": "product_not_received",
        "amount": with_session.amount_cents,
        "currency": with_session.currency,
        "status": "needs_response",
        "balance_transactions": [{"object": "balance_transaction", "fee": 1500}],
    }
    platform("charge.dispute.created", dispute, later(1))
    platform("charge.dispute.closed", dict(dispute, status="lost"), later(2))
    assert balance(payment=with_session) == -with_session.fee_cents - 1500
    platform("charge.dispute.closed", dict(dispute, status="won"), later(3))
    platform("charge.dispute.closed", dict(dispute, status="won"), later(4))
    assert entries(payment=with_session, kind=Kind.DISPUTE_WON) == [
        (Kind.DISPUTE_WON, with_session.amount_cents)
    ]
    with_session.refresh_from_db()
    assert with_session.status == PaymentRequest.Status.PAID
    net = with_session.amount_cents - with_session.fee_cents - 1500
    assert balance(payment=with_session) == net


def test_a_payout_leaves_the_balance_when_created_and_comes_back_when_it_fails(
    connected_account, deliver, later
):
    po = {"payout_id": "po_1Ledger000000001", "amount": 50_000, "created": later()}
    deliver(_payout_event(connected_account, "payout.created", later(), status="pending", **po))
    deliver(_payout_event(connected_account, "payout.paid", later(5), status="paid", **po))
    payout = Payout.objects.get()
    assert entries(payout=payout) == [(Kind.PAYOUT, -50_000)]
    assert LedgerEntry.objects.get(payout=payout).occurred_at == payout.stripe_created

    deliver(_payout_event(connected_account, "payout.failed", later(9), status="failed", **po))
    deliver(_payout_event(connected_account, "payout.failed", later(10), status="failed", **po))
    assert entries(payout=payout) == [(Kind.PAYOUT, -50_000), (Kind.PAYOUT_REVERSAL, 50_000)]


def test_the_ledger_backfill_records_what_happened_before_it(payment_request, organization):
    paid_at = datetime(2026, 11, 20, 17, tzinfo=UTC)
    PaymentRequest.objects.filter(pk=payment_request.pk).update(
        status=PaymentRequest.Status.REFUNDED, paid_at=paid_at
    )
    held = PaymentRequest.objects.get(pk=payment_request.pk)
    refund = Refund.objects.create(
        organization=organization,
        payment=held,
        amount_cents=held.amount_cents,
        currency=held.currency,
        fee_returned=True,
        status=Refund.Status.SUCCEEDED,
        last_event_at=datetime(2026, 11, 21, 9, tzinfo=UTC),
    )
    backfill = importlib.import_module("payments.migrations.0011_ledger_backfill").backfill
    backfill(django_apps, None)
    backfill(django_apps, None)  # once, whatever the number of runs
    assert entries(payment=held) == [
        (Kind.CHARGE, held.amount_cents),
        (Kind.PLATFORM_FEE, -held.fee_cents),
        (Kind.REFUND, -held.amount_cents),
        (Kind.FEE_RETURNED, held.fee_cents),
    ]
    assert LedgerEntry.objects.get(refund=refund, kind=Kind.REFUND).occurred_at == (
        refund.last_event_at
    )
    assert balance(payment=held) == 0


def test_an_entry_is_written_in_one_currency_code(payment_request):
    held = PaymentRequest.objects.get(pk=payment_request.pk)
    payment_request_mark_paid(payment_request=held)
    assert set(LedgerEntry.objects.values_list("currency", flat=True)) == {"usd"}


# The payment's page: every amount summed from its entries ------------------------------


def amounts_card(client, payment) -> str:
    page = client.get(f"/o/lakeside/payments/{payment.pk}/").content.decode()
    start = page.index('id="payment-amounts"')
    return page[start : page.index("</dl>", start)]


@pytest.mark.parametrize("fee_returned", [False, True])
def test_the_payment_page_shows_the_refund_the_fee_returned_and_the_net_after_refunds(
    admin_client, ticket, fee_returned
):
    paid = payment_row(ticket, amount=10_000, at=datetime(2026, 11, 30, 15, tzinfo=UTC))
    refund = Refund.objects.create(
        organization=paid.organization,
        payment=paid,
        amount_cents=10_000,
        currency="usd",
        fee_returned=fee_returned,
        status=Refund.Status.SUCCEEDED,
    )
    movements.refund_recorded(refund=refund, at=datetime(2026, 12, 1, 15, tzinfo=UTC))
    card = amounts_card(admin_client, paid)
    assert "$100.00" in card and "$3.55" in card  # gross and our fee
    net = "$0.00" if fee_returned else "-$3.55"
    assert f'id="net-after-refunds"><span class="app-amount">{net}<' in card
    assert ('id="fee-returned"><span class="app-amount">$3.55<' in card) == fee_returned


def test_the_payment_page_shows_a_dispute_and_its_fee(admin_client, ticket):
    paid = payment_row(ticket, amount=10_000, at=datetime(2026, 11, 30, 15, tzinfo=UTC))
    movements.dispute_recorded(
        payment=paid,
        dispute={"id": "dp_1", "amount": 10_000, "balance_transactions": [{"fee": 1500}]},
        at=datetime(2026, 12, 2, 15, tzinfo=UTC),
    )
    card = amounts_card(admin_client, paid)
    assert 'id="disputed"><span class="app-amount">$100.00<' in card
    assert (
        'id="net-after-refunds"><span class="app-amount">-$18.55<' in card
    )  # -3.55 fee, -15.00 dispute fee


def test_an_unpaid_request_shows_no_money_moved(admin_client, ticket):
    unpaid = payment_row(ticket, at=datetime(2026, 11, 30, 15, tzinfo=UTC), status="open")
    card = amounts_card(admin_client, unpaid)
    assert "No money has moved yet" in card and "Net after refunds" not in card


def test_gross_is_fees_plus_net_for_every_kind_of_history(ticket):
    for n, (fee_returned, disputed) in enumerate([(False, False), (True, False), (False, True)]):
        paid = payment_row(ticket, amount=12_345 + n, at=datetime(2026, 11, 30, 15, tzinfo=UTC))
        if disputed:
            movements.dispute_recorded(
                payment=paid,
                dispute={"id": f"dp_{n}", "balance_transactions": [{"fee": 1500}]},
                at=datetime(2026, 12, 2, 15, tzinfo=UTC),
            )
        else:
            refund = Refund.objects.create(
                organization=paid.organization,
                payment=paid,
                amount_cents=paid.amount_cents,
                currency="usd",
                fee_returned=fee_returned,
                status=Refund.Status.SUCCEEDED,
            )
            movements.refund_recorded(refund=refund, at=datetime(2026, 12, 1, 15, tzinfo=UTC))
        amounts = payment_amounts(paid)
        assert amounts.gross == amounts.fees + amounts.net
        assert amounts.net == balance(payment=paid)
