"""Rows for the Payments tab's tests, written straight to the table (no Stripe round trip)."""

from __future__ import annotations

import secrets
from datetime import datetime

from payments.models import LedgerEntry, PaymentRequest
from payments.money import platform_fee
from payments.movements import charge_recorded, ledger_record


def payment_row(ticket, *, amount=10_000, at: datetime, status="paid", save=True, **fields):
    fee = platform_fee(amount)
    paid = status in ("paid", "refunded", "disputed")
    payment = PaymentRequest(
        organization_id=ticket.organization_id,
        ticket=ticket,
        team_id=ticket.team_id,
        created_by=fields.pop("created_by", None),
        amount_cents=amount,
        currency="usd",
        description=fields.pop("description", "Service"),
        reference=fields.pop("reference", ""),
        token=secrets.token_urlsafe(24),
        status=status,
        fee_cents=fee,
        net_cents=amount - fee if paid else None,
        paid_at=at if paid else None,
        checkout_session_id=fields.pop("checkout_session_id", f"cs_test_{secrets.token_hex(6)}"),
        created_at=at,
        **fields,
    )
    if save:
        payment.save()
        if paid:
            charge_recorded(payment=payment)
        if payment.refunded_cents:
            money_out(payment, LedgerEntry.Kind.REFUND, payment.refunded_cents, at)
        if status == "disputed":
            money_out(payment, LedgerEntry.Kind.DISPUTE, amount, at)
    return payment


def money_out(payment, kind, cents, at: datetime, source=""):
    """A refund or dispute of ``payment`` in the ledger, as its handler writes it."""
    ledger_record(
        kind=kind,
        source=source or f"{kind}-test-{payment.pk}",
        organization_id=payment.organization_id,
        currency=payment.currency,
        amount_cents=-cents,
        occurred_at=at,
        payment=payment,
    )
