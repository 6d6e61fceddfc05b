"""Reconciling a payout: the demo gateway and seed_demo move money as Stripe does (and as our
ledger records it), so a payout's lines add up to its amount with no balancing line; the
payout page and e-mail list each line with its gross, fee and net and a total, and a payout
that does not add up says so in red, with the difference."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.db import models
from django.db.models import Sum
from django.utils import timezone

from accounts.formats import format_money
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


# The page ----------------------------------------------------------------------------------


def page_of(client, membership, payout):
    client.force_login(membership.user)
    response = client.get(f"/o/{payout.organization.slug}/payouts/{payout.pk}/")
    assert response.status_code == 200
    return response, response.content.decode()


def test_the_payout_page_shows_each_line_and_a_total_equal_to_the_amount(
    client, manager_membership, paying, paid_out, demo_events, django_capture_on_commit_callbacks
):
    first, second = paying(10000), paying(30000)
    with django_capture_on_commit_callbacks(execute=True):
        DemoGateway().simulate_dispute(first.payment_intent_id)
    process(demo_events, django_capture_on_commit_callbacks)
    payout = paid_out()

    response, text = page_of(client, manager_membership, payout)

    assert text.count('class="payout-line"') == 4
    for payment in (first, second):
        assert f"/payments/{payment.pk}/" in text
    total = re.search(r'<tr[^>]*id="payout-lines-total".*?</tr>', text, re.S).group(0)
    lines = list(payout.lines.all())
    gross = sum(line.amount_cents for line in lines)
    fees = sum(line.fee_cents for line in lines)
    assert gross == fees + payout.amount_cents
    for cents in (gross, payout.amount_cents):
        assert format_money(cents, "usd") in total
    assert response.context["difference"] == 0
    assert "alert-danger" not in text and "text-danger" not in text
    assert "Adjustment" not in text or "Chargeback" in text  # the dispute, not a balancing line
    zone = payout.organization.time_zone
    for line in lines:
        local = line.created.astimezone(zone)
        label = local.tzname()
        assert f"{local:%-I:%M}\u202f{local:%p} {label}" in text


def test_a_payout_that_does_not_add_up_says_so_in_red_with_the_difference(
    client, manager_membership, paying, paid_out
):
    first, second = paying(10000), paying(25000)
    payout = paid_out(amount=20000)
    lines_net = first.dealership_net_cents + second.dealership_net_cents

    response, text = page_of(client, manager_membership, payout)

    assert not payout.lines.filter(kind="adjustment").exists()
    assert text.count('class="payout-line"') == 2
    assert response.context["difference"] == lines_net - 20000
    alert = re.search(r"<div[^>]*alert-danger[^>]*>(.*?)</div>", text, re.S).group(1)
    words = " ".join(alert.split())
    more = format_money(lines_net - 20000, "usd")
    assert (
        f"These lines add up to {format_money(lines_net, 'usd')}, {more} more than the payout "
        f"of {format_money(20000, 'usd')}." in words
    )
    assert "Check the payout in the Stripe dashboard." in words
    assert "Not explained" not in text and "Demo balance adjustment" not in text


def test_a_payout_without_lines_yet_shows_its_payments_and_the_difference_in_red(
    client, manager_membership, organization, paying
):
    payment = paying(10000)
    at = timezone.now()
    payout = Payout.objects.create(
        organization=organization,
        stripe_payout_id="po_unsynced",
        amount_cents=payment.dealership_net_cents + 500,
        currency="usd",
        arrival_date=date(2026, 12, 2),
        status="paid",
        stripe_created=at,
        synced_at=at,
    )
    PaymentRequest.objects.filter(pk=payment.pk).update(payout=payout)

    response, text = page_of(client, manager_membership, payout)

    assert f"/payments/{payment.pk}/" in text
    assert response.context["difference"] == -500
    words = " ".join(text.split())
    assert (
        f"These lines add up to {format_money(payment.dealership_net_cents, 'usd')}, "
        f"{format_money(500, 'usd')} less than the payout of "
        f"{format_money(payout.amount_cents, 'usd')}." in words
    )
    assert "alert-danger" in text
    assert "Refunds and adjustments taken from the balance" not in text


# The e-mail --------------------------------------------------------------------------------


def test_the_paid_payout_email_lists_its_lines_and_a_total_equal_to_the_amount(
    connected_account, admin_membership, paying, paid_out
):
    connected_account.payout_recipients.add(admin_membership)
    payment = paying(10000)
    payout = paid_out()

    (message,) = [m for m in mail.outbox if payout.stripe_payout_id in m.body]
    body = " ".join(message.body.split())
    assert "Payment (1)" in body
    for cents in (payment.amount_cents, payment.fee_cents, payout.amount_cents):
        assert format_money(cents, "usd") in body
    assert "These lines add up" not in body
    html = message.alternatives[0][0]
    assert "Payment (1)" in html and format_money(payout.amount_cents, "usd") in html
    notification = payout.notifications.get(status="paid")
    local = notification.created_at.astimezone(payout.organization.time_zone)
    assert f"{local:%-I:%M %p} {local.tzname()}" in body


def test_a_payout_email_that_does_not_add_up_says_so(
    connected_account, admin_membership, paying, paid_out
):
    connected_account.payout_recipients.add(admin_membership)
    payment = paying(10000)
    payout = paid_out(amount=payment.dealership_net_cents + 100)

    (message,) = [m for m in mail.outbox if payout.stripe_payout_id in m.body]
    words = " ".join(message.body.split())
    assert (
        f"These lines add up to {format_money(payment.dealership_net_cents, 'usd')}, "
        f"{format_money(100, 'usd')} less than the payout of "
        f"{format_money(payout.amount_cents, 'usd')}." in words
    )
    assert "#b91c1c" in message.alternatives[0][0]


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
            if field.name.endswith("expires_at"):
                continue  # a deadline, not something that happened: a link open for 30 days
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


def test_the_demo_dashboard_offers_the_balance_as_the_payout_amount(
    client, connected_account, paying
):
    first, second = paying(10000), paying(25000)
    balance = first.dealership_net_cents + second.dealership_net_cents
    gateway = DemoGateway()
    assert gateway.payout_balance(connected_account.stripe_account_id) == balance
    link = gateway.create_login_link(connected_account.stripe_account_id)
    parts = urlsplit(link)
    page = client.get(f"{parts.path}?{parts.query}").content.decode()
    assert f'value="{balance // 100}.{balance % 100:02d}"' in page
