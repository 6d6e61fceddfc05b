"""Reconciling a payout: the demo gateway and seed_demo move money as Stripe does (and as our
ledger records it), so a payout's lines add up to its amount with no balancing line; the
payout page and e-mail list each line with its gross, fee and net and a total, and a payout
that does not add up says so in red, with the difference."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.db.models import Sum
from django.utils import timezone

from payments.gateway.demo.gateway import DemoGateway
from payments.models import LedgerEntry, PaymentRequest, Payout, PayoutLine
from payments.movements import STRIPE_DISPUTE_FEE_CENTS
from payments.refunds import services as refunds_services
from tests.payments.test_payout_composition import demo_events, pay, process

__all__ = ["demo_events"]  # the fixture, used by the tests below

Kind = LedgerEntry.Kind


@pytest.fixture
def paid_out(connected_account, demo_events, django_capture_on_commit_callbacks):
    """Run the demo gateway's payout and its events; answers our Payout row."""

    def _payout(amount: int | None = None) -> Payout:
        with django_capture_on_commit_callbacks(execute=True):
            sent = DemoGateway().simulate_payout(
                connected_account.stripe_account_id, amount=amount, outcome="paid"
            )
        process(demo_events, django_capture_on_commit_callbacks)
        return Payout.objects.get(stripe_payout_id=sent["id"])

    return _payout


@pytest.fixture
def paying(make_request, demo_events, django_capture_on_commit_callbacks):
    def _pay(amount: int) -> PaymentRequest:
        return pay(make_request(amount), demo_events, django_capture_on_commit_callbacks)

    return _pay


def refund(payment, *, actor, demo_events, capture):
    """A full refund as the product asks for it (settings.REFUND_APPLICATION_FEE decides
    whether our fee goes back), through the demo gateway and its events."""
    with capture(execute=True):
        refunds_services.refund_request(payment=payment, actor=actor)
    process(demo_events, capture)


def balance_moved(organization) -> int:
    """What the ledger says moved in the balance, payouts aside."""
    moved = LedgerEntry.objects.filter(organization=organization).exclude(
        kind__in=[Kind.PAYOUT, Kind.PAYOUT_REVERSAL]
    )
    return moved.aggregate(total=Sum("amount_cents"))["total"] or 0


def kinds(payout: Payout) -> list[tuple[str, int]]:
    return sorted((line.kind, line.net_cents) for line in payout.lines.all())


@pytest.mark.parametrize("fee_returned", [False, True])
def test_a_demo_payout_with_a_refund_adds_up_without_an_adjustment_line(
    paying,
    paid_out,
    demo_events,
    django_capture_on_commit_callbacks,
    manager_membership,
    settings,
    fee_returned,
):
    settings.REFUND_APPLICATION_FEE = fee_returned
    first = paying(10000)
    earlier = paid_out()
    second = paying(30000)
    refund(
        first,
        actor=manager_membership.user,
        demo_events=demo_events,
        capture=django_capture_on_commit_callbacks,
    )
    assert first.refunds.get().status == "succeeded"
    payout = paid_out()

    # Stripe takes the whole amount back; a returned fee comes back as its own line.
    returned = first.fee_cents if fee_returned else 0
    assert payout.amount_cents == second.dealership_net_cents - first.amount_cents + returned
    expected = [("payment", second.dealership_net_cents), ("refund", -first.amount_cents)]
    if fee_returned:
        expected.append(("fee", first.fee_cents))
    assert kinds(payout) == sorted(expected)
    assert not payout.lines.filter(kind="adjustment").exists()
    assert sum(line.net_cents for line in payout.lines.all()) == payout.amount_cents
    # The same amounts as the ledger's: the two payouts took what the ledger says came in.
    total = earlier.amount_cents + payout.amount_cents
    assert total == balance_moved(first.organization)
    # Every line that belongs to a payment names it.
    assert all(line.payment_id for line in payout.lines.all())
    assert set(payout.lines.exclude(kind="payment").values_list("payment", flat=True)) == {first.pk}


def test_a_demo_payout_with_a_dispute_lists_the_dispute_and_its_fee_as_lines(
    paying, paid_out, demo_events, django_capture_on_commit_callbacks
):
    first, second = paying(10000), paying(30000)
    with django_capture_on_commit_callbacks(execute=True):
        DemoGateway().simulate_dispute(first.payment_intent_id)
    process(demo_events, django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert first.status == PaymentRequest.Status.DISPUTED

    payout = paid_out()

    assert kinds(payout) == sorted(
        [
            ("payment", first.dealership_net_cents),
            ("payment", second.dealership_net_cents),
            ("adjustment", -first.amount_cents),
            ("fee", -STRIPE_DISPUTE_FEE_CENTS),
        ]
    )
    assert sum(line.net_cents for line in payout.lines.all()) == payout.amount_cents
    assert payout.amount_cents == balance_moved(first.organization)
    dispute_lines = payout.lines.exclude(kind="payment")
    assert list(dispute_lines.values_list("payment", flat=True)) == [first.pk, first.pk]
    for line in payout.lines.all():
        assert line.amount_cents == line.fee_cents + line.net_cents


def test_a_demo_payout_line_of_a_payment_has_its_gross_fee_and_net(paying, paid_out):
    payment = paying(25000)
    payout = paid_out()
    (line,) = payout.lines.all()
    assert (line.amount_cents, line.fee_cents, line.net_cents) == (
        payment.amount_cents,
        payment.fee_cents,
        payment.dealership_net_cents,
    )
    assert line.payment_id == payment.pk


# seed_demo -------------------------------------------------------------------------------


@pytest.mark.parametrize("fee_returned", [False, True])
def test_seed_demo_payouts_are_the_ledgers_movements_and_nothing_is_dated_after_the_run(
    db, settings, fee_returned
):
    settings.REFUND_APPLICATION_FEE = fee_returned
    run = timezone.now()
    call_command("seed_demo", stdout=io.StringIO())

    after = []
    for model in apps.get_models():
        for field in model._meta.fields:
            if isinstance(field, models.DateTimeField):
                found = model.objects.filter(**{f"{field.name}__gt": timezone.now()})
            elif isinstance(field, models.DateField):
                found = model.objects.filter(**{f"{field.name}__gt": timezone.localdate()})
            else:
                continue
            if found.exists():
                after.append(f"{model.__name__}.{field.name}")
    assert after == []

    payouts = Payout.objects.filter(stripe_payout_id__startswith="po_demohist_")
    assert payouts.count() >= 10
    refund_lines = PayoutLine.objects.filter(payout__in=payouts, kind="refund")
    assert refund_lines.exists()
    for line in refund_lines:
        assert line.net_cents == -line.payment.amount_cents
    returned = PayoutLine.objects.filter(payout__in=payouts, stripe_type="application_fee_refund")
    assert returned.exists() == fee_returned
    for payout in payouts:
        lines = list(payout.lines.all())
        assert lines, payout
        assert sum(line.net_cents for line in lines) == payout.amount_cents
        assert all(
            line.created <= payout.stripe_created <= run + timedelta(minutes=5) for line in lines
        )
        assert all(line.amount_cents == line.fee_cents + line.net_cents for line in lines)
    # What the payouts took is what the ledger says moved, less what is still in the balance.
    paid = payouts.aggregate(total=Sum("amount_cents"))["total"]
    organization = payouts.first().organization
    waiting = LedgerEntry.objects.filter(
        organization=organization, occurred_at__gt=max(p.stripe_created for p in payouts)
    ).exclude(kind=Kind.PAYOUT)
    assert paid == balance_moved(organization) - sum(e.amount_cents for e in waiting)
    assert datetime.now(tz=UTC) >= run
