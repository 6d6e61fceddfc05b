"""seed_demo's generated history: once, consistent to the cent."""

import io
from datetime import timedelta

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

    zone = history.first().organization.time_zone
    assert Payout.objects.exists()
    for payout in Payout.objects.all():
        charge_day = payout.arrival_date - timedelta(days=2)
        kept = payout.payments.aggregate(total=Sum("net_cents"))["total"]
        refunded = sum(
            p.refunded_cents
            for p in history.filter(refunded_at__isnull=False)
            if timezone.localdate(p.refunded_at, timezone=zone) == charge_day
        )
        assert payout.amount_cents == max(kept - refunded, 0)

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
