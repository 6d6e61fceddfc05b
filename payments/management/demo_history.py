"""A few weeks of generated payment history for the demo dealership (seed_demo).

Deterministic (a seeded random generator) and idempotent: it runs once per organization, marked
by its Stripe-like ids starting with ``pi_demohist_``. Amounts are integer cents; fees come from
the one fee function, so every total adds up."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import SmsMessage, User
from payments.ledger.selectors import payments_changed
from payments.models import (
    LedgerEntry,
    PaymentRequest,
    Payout,
    PayoutLine,
    Refund,
    RepairOrder,
)
from payments.money import platform_fee
from payments.movements import charge_recorded, payout_recorded, refund_recorded
from payments.reports.services import daily_report_build
from payments.requests import services as requests_services
from payments.requests.services import request_sms_body
from payments.timeline import request_event_data
from teams.models import Membership, Organization, Team
from tickets import services as ticket_services
from tickets.models import Ticket, TimelineEntry

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
            fee_returned=settings.REFUND_APPLICATION_FEE,
            created_at=payment.refunded_at,
            last_event_at=payment.refunded_at,
        )
        refund_recorded(refund=refund, at=payment.refunded_at)

    # Daily payouts, two days after the money moved, of what those days left in the balance
    # (a day that took more out than in waits for the next): each payout is the ledger's
    # movements of its days, listed as its lines, so it adds up to the cent.
    moved: dict[date, list[list[LedgerEntry]]] = {}
    for entries in _movements(organization, payments).values():
        moved.setdefault(timezone.localdate(entries[0].occurred_at, timezone=zone), []).append(
            entries
        )
    pending: list[list[LedgerEntry]] = []
    day = min(moved, default=today)
    while day + timedelta(days=2) < today:  # later ones are still in Stripe's balance
        pending += moved.get(day, [])
        amount = sum(entry.amount_cents for entries in pending for entry in entries)
        if pending and amount > 0:
            _payout(organization, day, pending, amount)
            pending = []
        day += timedelta(days=1)
    PaymentRequest.objects.bulk_update(
        payments,
        ["posted_at", "posted_by", "posted_reference", "status", "refunded_cents", "refunded_at"],
    )
    _conversations(payments)
    _repair_order(payments, author)
    payments_changed(organization.pk)
    return len(payments)


def _repair_order(payments: list[PaymentRequest], author: User | None) -> None:
    """A repair order whose deposit is the newest paid payment, and its balance asked by
    text: what the Payment requests panel and the customer's page show of one."""
    deposit = next((p for p in reversed(payments) if p.status == PaymentRequest.Status.PAID), None)
    if deposit is None or author is None:
        return
    order = RepairOrder.objects.create(
        organization=deposit.organization,
        team=deposit.team,
        ticket=deposit.ticket,
        number=deposit.reference,
        total_cents=deposit.amount_cents * 3,
        currency=deposit.currency,
        created_by=author,
        created_at=deposit.created_at,
    )
    PaymentRequest.objects.filter(pk=deposit.pk).update(repair_order=order)
    requests_services.payment_request_create(
        ticket=deposit.ticket,
        actor=author,
        amount_cents=order.total_cents - deposit.amount_cents,
        description=f"{deposit.description}: the balance",
        repair_order=order,
    )


def _conversations(payments: list[PaymentRequest]) -> None:
    """What each customer's ticket shows of their payments: the text with the link (delivered),
    then the link opened, paid, and for a refunded one the refund."""
    texts = SmsMessage.objects.bulk_create(
        SmsMessage(
            to=payment.ticket.customer.mobile_phone,
            body=request_sms_body(payment),
            status=SmsMessage.Status.DELIVERED,
            provider_id=f"SMdemohist{secrets.token_hex(12)}",
            attempts=1,
            created_at=payment.created_at,
            sent_at=payment.created_at,
        )
        for payment in payments
    )
    entries = []
    for payment, sms in zip(payments, texts, strict=True):
        payment.sms = sms
        data = request_event_data(payment)
        sent = {**data, "language": payment.reads_in}  # what payment_request_timeline keeps
        moments = [
            ("payment_request.sent", payment.created_at, sms, payment.created_by),
            ("payment_request.opened", payment.opened_at, None, None),
            ("payment_request.paid", payment.paid_at, None, None),
        ]
        if payment.refunded_at:
            moments.append(("payment_request.refunded", payment.refunded_at, None, None))
        entries += [
            TimelineEntry(
                ticket=payment.ticket,
                kind=TimelineEntry.Kind.EVENT,
                event=event,
                data=sent if text else data,
                sms=text,
                author=author,
                created_at=at,
            )
            for event, at, text, author in moments
        ]
    TimelineEntry.objects.bulk_create(entries)
    PaymentRequest.objects.bulk_update(payments, ["sms"])
    latest: dict[int, datetime] = {}
    for entry in entries:
        latest[entry.ticket_id] = max(
            latest.get(entry.ticket_id, entry.created_at), entry.created_at
        )
    for ticket_id, at in latest.items():
        Ticket.objects.filter(pk=ticket_id).update(last_activity_at=at)


def _movements(
    organization: Organization, payments: list[PaymentRequest]
) -> dict[str, list[LedgerEntry]]:
    """The ledger's entries of the history's payments and refunds, by what caused them."""
    found: dict[str, list[LedgerEntry]] = {}
    entries = LedgerEntry.objects.filter(
        organization=organization, payment__in=payments, payout__isnull=True
    ).order_by("occurred_at", "pk")
    for entry in entries:
        found.setdefault(entry.source, []).append(entry)
    return found


# A ledger entry as the balance transaction Stripe lists in a payout: (line kind, type).
LINE_OF = {
    LedgerEntry.Kind.CHARGE: (PayoutLine.Kind.PAYMENT, "payment"),
    LedgerEntry.Kind.REFUND: (PayoutLine.Kind.REFUND, "payment_refund"),
    LedgerEntry.Kind.FEE_RETURNED: (PayoutLine.Kind.FEE, "application_fee_refund"),
    LedgerEntry.Kind.DISPUTE: (PayoutLine.Kind.ADJUSTMENT, "adjustment"),
    LedgerEntry.Kind.DISPUTE_FEE: (PayoutLine.Kind.FEE, "stripe_fee"),
}


def _payout(
    organization: Organization, day: date, moved: list[list[LedgerEntry]], amount: int
) -> Payout:
    """A paid payout created at 2 AM the next day, its lines made of the ledger's entries:
    a payment is one line (its amount, our fee, the net), a refund and a fee returned each
    their own line."""
    created = datetime.combine(day + timedelta(days=1), time(2), organization.time_zone)
    payout = Payout.objects.create(
        organization=organization,
        stripe_payout_id=f"po_demohist_{secrets.token_hex(8)}",
        amount_cents=amount,
        currency=organization.currency or "usd",
        arrival_date=day + timedelta(days=2),
        status="paid",
        method="standard",
        stripe_created=created,
        synced_at=created,
    )
    payout_recorded(payout=payout, at=created)
    lines = []
    for entries in moved:
        fee = -sum(e.amount_cents for e in entries if e.kind == LedgerEntry.Kind.PLATFORM_FEE)
        charge = entries[0].source.startswith("payment-")
        source = f"{'py' if charge else 'pyr'}_demohist_{secrets.token_hex(8)}"
        for entry in entries:
            if entry.kind not in LINE_OF:
                continue
            kind, type_ = LINE_OF[LedgerEntry.Kind(entry.kind)]
            charged = entry.kind == LedgerEntry.Kind.CHARGE
            lines.append(
                PayoutLine(
                    payout=payout,
                    kind=kind,
                    amount_cents=entry.amount_cents,
                    fee_cents=fee if charged else 0,
                    net_cents=entry.amount_cents - (fee if charged else 0),
                    currency=entry.currency,
                    payment=entry.payment,
                    stripe_id=f"txn_demohist_{secrets.token_hex(8)}",
                    source_id=source,
                    stripe_type=type_,
                    description=entry.get_kind_display(),
                    created=entry.occurred_at,
                )
            )
    PayoutLine.objects.bulk_create(lines)
    paid = [line.payment_id for line in lines if line.kind == PayoutLine.Kind.PAYMENT]
    PaymentRequest.objects.filter(pk__in=paid).update(payout=payout)
    return payout


def build_reports(*, organization: Organization, days: int = 21) -> None:
    """The daily reconciliation reports of the history's days (a day that changed since its
    last revision gets a new one)."""

    today = timezone.localdate(timezone=organization.time_zone)
    for back in range(days, 0, -1):
        daily_report_build(organization=organization, day=today - timedelta(days=back))
