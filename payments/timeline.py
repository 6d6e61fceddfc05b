"""Payment events on the ticket's timeline, written by the payments services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _lazy

from accounts.formats import format_money
from accounts.models import User
from payments.models import PaymentRequest
from tickets.models import TEXT_EVENTS, TimelineEntry
from tickets.services import timeline_add


def request_event_data(payment_request: PaymentRequest, **extra: Any) -> dict[str, Any]:
    return {
        "payment_request_id": payment_request.pk,
        "number": payment_request.display_number,
        "amount": format_money(payment_request.amount_cents, payment_request.currency),
        "amount_cents": payment_request.amount_cents,
        "currency": payment_request.currency,
        "description": payment_request.description,
        "reference": payment_request.reference,
        **extra,
    }


def payment_request_timeline(
    payment_request: PaymentRequest, event: str, author: User | None = None, **extra
):
    """A text that carried the link (sent, resent, reminded) keeps its SMS and its language:
    the conversation shows it as it went, with its delivery status."""
    if event in TEXT_EVENTS:
        extra.setdefault("language", payment_request.reads_in)
    return timeline_add(
        ticket=payment_request.ticket,
        kind=TimelineEntry.Kind.EVENT,
        event=event,
        data=request_event_data(payment_request, **extra),
        sms=payment_request.sms if event in TEXT_EVENTS else None,
        author=author,
    )


TIMELINE_LABELS = {
    "payment_request.posted": _lazy("Posted to the DBS"),
    "payment_request.unposted": _lazy("Posting to the DBS undone"),
}
