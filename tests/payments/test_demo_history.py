"""seed_demo's generated history: once, consistent to the cent."""

import io

from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from payments.models import LedgerEntry, PaymentRequest, Payout, Refund
from payments.money import platform_fee


def test_seed_demo_generates_history_once_and_it_adds_up(db):
    call_command("seed_demo", stdout=io.StringIO())
    history = PaymentRequest.objects.filter(payment_intent_id__startswith="pi_demohist_")
    count = history.count()
    assert count > 20
    assert Refund.objects.filter(status="succeeded").count() == 2

    for payment in history:
        assert payment.fee_cents == platform_fee(payment.amount_cents)
        assert payment.fee_cents + payment.net_cents == payment.amount_cents

    assert Payout.objects.exists()
    for payout in Payout.objects.all():
        kept = payout.payments.aggregate(total=Sum("net_cents"))["total"]
        lines = payout.lines.all()
        payments_net = sum(line.net_cents for line in lines if line.kind == "payment")
        assert payments_net == kept
        assert sum(line.net_cents for line in lines) == payout.amount_cents > 0

    call_command("seed_demo", stdout=io.StringIO())
    assert history.count() == count  # idempotent


def test_seed_demo_dates_nothing_after_its_own_run_and_records_its_movements(db):
    call_command("seed_demo", stdout=io.StringIO())
    assert not LedgerEntry.objects.filter(occurred_at__gt=timezone.now()).exists()
    assert not PaymentRequest.objects.filter(refunded_at__gt=timezone.now()).exists()
    assert not Refund.objects.filter(last_event_at__gt=timezone.now()).exists()
    history = PaymentRequest.objects.filter(payment_intent_id__startswith="pi_demohist_")
    charged = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CHARGE, payment__in=history)
    assert charged.count() == history.count()
    refunds = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND)
    assert refunds.count() == 2 and all(e.occurred_at <= timezone.now() for e in refunds)
