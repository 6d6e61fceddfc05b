"""The ledger's writers: each movement of the dealership's money, recorded once by the service
or handler that learns of it, inside the same transaction as the change it comes with.

From the dealership's Stripe balance, as Stripe's balance transactions have it: a payment is
its charge in and our platform fee out; a refund takes the whole amount back out (and gives
the fee back when ``Refund.fee_returned``); a dispute takes the amount out, with Stripe's
dispute fee; a payout takes its amount out when it is created and puts it back if it fails
or is canceled. The unique (kind, source) of every entry makes each write idempotent, so a
webhook delivered twice, or two workers at once, never count money twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from payments.models import LedgerEntry, PaymentRequest, Payout, Refund
from teams.models import Organization

Kind = LedgerEntry.Kind

Movements = list[tuple[LedgerEntry.Kind, int]]

STRIPE_DISPUTE_FEE_CENTS = 1500  # Stripe's dispute fee in the US and Canada: 15.00


# The amounts of each movement, in one place: the ledger writes them, the demo gateway's
# balance transactions (and seed_demo's payouts) are made of them, so they always agree.


def charge_movements(*, amount_cents: int, fee_cents: int) -> Movements:
    """A paid charge: the whole amount in, our platform fee out."""
    return [(Kind.CHARGE, amount_cents), (Kind.PLATFORM_FEE, -fee_cents)]


def refund_movements(*, amount_cents: int, fee_cents: int, fee_returned: bool) -> Movements:
    """A refund: the whole amount out; our fee back in when it is returned."""
    return [(Kind.REFUND, -amount_cents)] + (
        [(Kind.FEE_RETURNED, fee_cents)] if fee_returned and fee_cents else []
    )


def dispute_movements(*, amount_cents: int, fee_cents: int) -> Movements:
    """A dispute opened: the disputed amount out, and Stripe's dispute fee out."""
    return [(Kind.DISPUTE, -amount_cents)] + ([(Kind.DISPUTE_FEE, -fee_cents)] if fee_cents else [])


def ledger_record(
    *,
    kind: str,
    source: str,
    organization_id: int,
    currency: str,
    amount_cents: int,
    occurred_at: datetime,
    payment: PaymentRequest | None = None,
    refund: Refund | None = None,
    payout: Payout | None = None,
) -> bool:
    """Write one entry unless its (kind, source) is written already; answers whether it is
    new. A savepoint keeps a refused duplicate from spoiling the caller's transaction."""
    if LedgerEntry.objects.filter(kind=kind, source=source).exists():
        return False
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                kind=kind,
                source=source,
                organization_id=organization_id,
                currency=currency.lower(),
                amount_cents=amount_cents,
                occurred_at=occurred_at,
                payment=payment,
                refund=refund,
                payout=payout,
            )
    except IntegrityError:
        return False  # written by another transaction meanwhile
    return True


def _payment_entry(payment: PaymentRequest, kind: str, amount_cents: int, at: datetime) -> bool:
    return ledger_record(
        kind=kind,
        source=f"payment-{payment.pk}",
        organization_id=payment.organization_id,
        currency=payment.currency,
        amount_cents=amount_cents,
        occurred_at=at,
        payment=payment,
    )


def charge_recorded(*, payment: PaymentRequest) -> None:
    """The paid request's charge in, and our platform fee out, when it was paid; the
    organization's first charge locks its currency (Organization.currency_locked_at)."""
    assert payment.paid_at is not None, "a charge moves money once it is paid"
    movements = charge_movements(amount_cents=payment.amount_cents, fee_cents=payment.fee_cents)
    for kind, cents in movements:
        new = _payment_entry(payment, kind, cents, payment.paid_at)
        if new and kind == Kind.CHARGE:
            Organization.objects.filter(
                pk=payment.organization_id, currency_locked_at__isnull=True
            ).update(currency_locked_at=payment.paid_at)


def _refund_entry(refund: Refund, kind: str, amount_cents: int, at: datetime, suffix="") -> bool:
    return ledger_record(
        kind=kind,
        source=f"refund-{refund.pk}{suffix}",
        organization_id=refund.organization_id,
        currency=refund.currency,
        amount_cents=amount_cents,
        occurred_at=at,
        payment=refund.payment,
        refund=refund,
    )


def refund_recorded(*, refund: Refund, at: datetime) -> None:
    """A refund that went through: the whole amount out, our fee back in when returned."""
    movements = refund_movements(
        amount_cents=refund.amount_cents,
        fee_cents=refund.payment.fee_cents,
        fee_returned=refund.fee_returned,
    )
    for kind, cents in movements:
        _refund_entry(refund, kind, cents, at)


def refund_reversed(*, refund: Refund, at: datetime) -> None:
    """A refund that failed after it went through: the money is the dealership's again, and a
    fee returned with it is the platform's again."""
    if not LedgerEntry.objects.filter(kind=Kind.REFUND, source=f"refund-{refund.pk}").exists():
        return
    _refund_entry(refund, Kind.ADJUSTMENT, refund.amount_cents, at, suffix="-failed")
    if refund.fee_returned:
        fee = refund.payment.fee_cents
        _refund_entry(refund, Kind.PLATFORM_FEE, -fee, at, suffix="-failed")


def dispute_recorded(*, payment: PaymentRequest, dispute: dict[str, Any], at: datetime) -> None:
    """A dispute opened: its amount out, and Stripe's dispute fee when the dispute names it."""
    source = f"dispute-{dispute.get('id') or payment.pk}"
    amount = int(dispute.get("amount") or payment.amount_cents)
    currency = str(dispute.get("currency") or payment.currency)
    fee = sum(
        int(txn.get("fee") or 0)
        for txn in dispute.get("balance_transactions") or []
        if isinstance(txn, dict)
    )
    for kind, cents in dispute_movements(amount_cents=amount, fee_cents=fee):
        ledger_record(
            kind=kind,
            source=source,
            organization_id=payment.organization_id,
            currency=currency,
            amount_cents=cents,
            occurred_at=at,
            payment=payment,
        )


def dispute_won_recorded(*, payment: PaymentRequest, dispute: dict[str, Any], at: datetime) -> bool:
    """A dispute closed in the dealership's favour: Stripe puts the disputed amount back (its
    dispute fee stays taken). Answers whether this is news."""
    return ledger_record(
        kind=Kind.DISPUTE_WON,
        source=f"dispute-{dispute.get('id') or payment.pk}",
        organization_id=payment.organization_id,
        currency=str(dispute.get("currency") or payment.currency),
        amount_cents=int(dispute.get("amount") or payment.amount_cents),
        occurred_at=at,
        payment=payment,
    )


def payout_recorded(*, payout: Payout, at: datetime) -> None:
    """A payout leaves the balance when Stripe creates it; a failed or canceled one comes back."""
    ledger_record(
        kind=Kind.PAYOUT,
        source=f"payout-{payout.pk}",
        organization_id=payout.organization_id,
        currency=payout.currency,
        amount_cents=-payout.amount_cents,
        occurred_at=payout.stripe_created,
        payout=payout,
    )
    if payout.status in ("failed", "canceled"):
        ledger_record(
            kind=Kind.PAYOUT_REVERSAL,
            source=f"payout-{payout.pk}",
            organization_id=payout.organization_id,
            currency=payout.currency,
            amount_cents=payout.amount_cents,
            occurred_at=at,
            payout=payout,
        )
