"""A few weeks of generated payment history for the demo dealership (seed_demo).

Deterministic (a seeded random generator) and idempotent: it runs once per organization, marked
by its Stripe-like ids starting with ``pi_demohist_``. Amounts are integer cents; fees come from
the one fee function, so every total adds up."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from payments.ledger.selectors import payments_changed
from payments.models import PaymentRequest, Payout, Refund
from payments.money import platform_fee
from payments.movements import charge_recorded, payout_recorded, refund_recorded
from payments.reports.services import daily_report_build
from teams.models import Membership, Organization, Team
from tickets import services as ticket_services

MARK = "pi_demohist_"


CUSTOMERS = [
    ("Jordan Miles", "+13125550141"),
    ("Priya Natarajan", "+13125550142"),
    ("Sam Okafor", "+13125550143"),
    ("Elena Rossi", "+13125550144"),
    ("Marcus Lee", "+13125550145"),
    ("Grace Kim", "+13125550146"),
]


WORK = [
    ("Oil change and tire rotation", 8_995, 15_000),
    ("Brake pads and rotors, front", 38_000, 72_000),
    ("60k mile service", 55_000, 95_000),
    ("Transmission fluid service", 18_000, 29_000),
    ("Battery replacement", 17_500, 26_000),
    ("Diagnostic and check engine light", 12_900, 18_900),
    ("A/C recharge", 14_900, 22_000),
    ("Alignment", 9_900, 14_900),
]


BRANDS = [("visa", "4242"), ("mastercard", "4444"), ("amex", "8431"), ("visa", "1881")]


@transaction.atomic
def seed(*, organization: Organization, team: Team, days: int = 21) -> int:
    """Create the history once; answers how many payments it made (0 when it exists)."""
    if PaymentRequest.objects.filter(
        organization=organization, payment_intent_id__startswith=MARK
    ).exists():
        return 0
    rng = random.Random(f"{organization.slug}-history")  # noqa: S311 - demo data, not secrets
    zone = organization.time_zone
    advisor = Membership.objects.filter(organization=organization, role="advisor").first()
    author = advisor.user if advisor else None
    tickets = []
    for name, phone in CUSTOMERS:
        customer = ticket_services.customer_get_or_create(
            organization=organization, name=name, mobile_phone=phone
        )
        tickets.append(
            ticket_services.ticket_open(
                organization=organization, team=team, customer=customer, advisor=advisor
            )
        )
    today = timezone.localdate(timezone=zone)
    payments: list[PaymentRequest] = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() == 6:
            continue  # closed on Sundays
        for _ in range(rng.randint(2, 5)):
            description, low, high = rng.choice(WORK)
            amount = rng.randint(low, high)
            local = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), zone)
            created = local - timedelta(minutes=rng.randint(5, 90))
            brand, last4 = rng.choice(BRANDS)
            fee = platform_fee(amount)
            payments.append(
                PaymentRequest(
                    organization=organization,
                    ticket=rng.choice(tickets),
                    team=team,
                    created_by=author,
                    amount_cents=amount,
                    currency=organization.currency or "usd",
                    description=description,
                    reference=f"RO-{rng.randint(40000, 49999)}",
                    token=secrets.token_urlsafe(24),
                    status=PaymentRequest.Status.PAID,
                    fee_cents=fee,
                    net_cents=amount - fee,
                    payment_intent_id=f"{MARK}{secrets.token_hex(8)}",
                    charge_id=f"ch_demohist_{secrets.token_hex(8)}",
                    checkout_session_id=f"cs_demohist_{secrets.token_hex(8)}",
                    card_brand=brand,
                    card_last4=last4,
                    paid_at=local,
                    opened_at=local - timedelta(minutes=2),
                    created_at=created,
                    last_event_at=local,
                )
            )
    PaymentRequest.objects.bulk_create(payments)
    for payment in payments:
        charge_recorded(payment=payment)

    # Most older payments are posted to the DBS already; two were refunded in full.
    for payment in payments:
        if payment.paid_at < timezone.now() - timedelta(days=3) and rng.random() < 0.85:
            payment.posted_at = payment.paid_at + timedelta(hours=18)
            payment.posted_by = author
            payment.posted_reference = payment.reference
    for payment in rng.sample(payments, 2):
        payment.status = PaymentRequest.Status.REFUNDED
        payment.refunded_cents = payment.amount_cents
        # A day after the payment, and never after this run: the history is of the past.
        payment.refunded_at = min(payment.paid_at + timedelta(days=1), timezone.now())
        refund = Refund.objects.create(
            organization=organization,
            payment=payment,
            stripe_refund_id=f"re_demohist_{secrets.token_hex(8)}",
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            status=Refund.Status.SUCCEEDED,
            created_at=payment.refunded_at,
            last_event_at=payment.refunded_at,
        )
        refund_recorded(refund=refund, at=payment.refunded_at)

    # Daily payouts, two days after the charges, of what the dealership kept.
    by_day: dict = {}
    for payment in payments:
        by_day.setdefault(timezone.localdate(payment.paid_at, timezone=zone), []).append(payment)
    for day, paid in sorted(by_day.items()):
        arrival = day + timedelta(days=2)
        if arrival >= today:
            continue  # still in Stripe's balance
        net = sum(p.amount_cents - p.fee_cents for p in paid)
        refunds = sum(
            p.refunded_cents
            for p in payments
            if p.refunded_at and timezone.localdate(p.refunded_at, timezone=zone) == day
        )
        created = datetime.combine(day + timedelta(days=1), time(2), zone)
        payout = Payout.objects.create(
            organization=organization,
            stripe_payout_id=f"po_demohist_{secrets.token_hex(8)}",
            amount_cents=max(net - refunds, 0),
            currency=organization.currency or "usd",
            arrival_date=arrival,
            status="paid",
            method="standard",
            stripe_created=created,
            synced_at=created,
        )
        payout_recorded(payout=payout, at=created)
        for payment in paid:
            payment.payout = payout
    PaymentRequest.objects.bulk_update(
        payments,
        [
            "posted_at",
            "posted_by",
            "posted_reference",
            "status",
            "refunded_cents",
            "refunded_at",
            "payout",
        ],
    )
    payments_changed(organization.pk)
    return len(payments)


def build_reports(*, organization: Organization, days: int = 21) -> None:
    """The daily reconciliation reports of the history's days (a day that changed since its
    last revision gets a new one)."""

    today = timezone.localdate(timezone=organization.time_zone)
    for back in range(days, 0, -1):
        daily_report_build(organization=organization, day=today - timedelta(days=back))
