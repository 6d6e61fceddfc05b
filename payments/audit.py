"""What the audit entries of payments hold for their sentences (``teams.audit.SENTENCES``):
amounts formatted here, by the one formatter, next to their cents and currency."""

from __future__ import annotations

from typing import Any

from accounts.formats import format_money
from payments.models import PaymentRequest


def money_data(amount_cents: int, currency: str) -> dict[str, Any]:
    return {
        "amount_cents": amount_cents,
        "currency": currency,
        "amount": format_money(amount_cents, currency),
    }


def payment_request_data(payment_request: PaymentRequest, **extra: Any) -> dict[str, Any]:
    """The request's number, customer and amount; ``extra`` adds to them or replaces them."""
    return {
        "number": payment_request.display_number,
        "customer": payment_request.ticket.customer.name,
        **money_data(payment_request.amount_cents, payment_request.currency),
        **extra,
    }
