"""Payment events on the ticket's timeline, written by the payments services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from payments.models import PaymentRequest
from payments.money import format_money


def _request_event_data(request: PaymentRequest, **extra: Any) -> dict[str, Any]:
    return {
        "payment_request_id": request.pk,
        "number": request.display_number,
        "amount": format_money(request.amount_cents, request.currency),
        "amount_cents": request.amount_cents,
        "currency": request.currency,
        "description": request.description,
        "reference": request.reference,
        **extra,
    }


def payment_request_timeline(
    request: PaymentRequest, event: str, author: User | None = None, **extra
):
    from tickets.models import TimelineEntry
    from tickets.services import timeline_add

    return timeline_add(
        ticket=request.ticket,
        kind=TimelineEntry.Kind.EVENT,
        event=event,
        data=_request_event_data(request, **extra),
        author=author,
    )


TIMELINE_LABELS = {
    "payment_request.posted": _lazy("Posted to the DBS"),
    "payment_request.unposted": _lazy("Posting to the DBS undone"),
}
