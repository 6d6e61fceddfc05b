"""Each payment request's card in the ticket's conversation, attached to the text that carried
its link (tickets.selectors.conversation calls it; tickets never imports payments)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse

from payments.badges import LINK_BADGES, request_badge, request_status_badge
from payments.models import PaymentRequest
from payments.scope import payment_allows, payments_scoped
from teams.models import Membership
from teams.roles import Capability
from tickets.models import TEXT_EVENTS, TimelineEntry
from tickets.selectors import conversation_attacher

CARD_TEMPLATE = "payments/requests/_conversation_card.html"


@conversation_attacher
def payment_cards(membership: Membership, entries: Sequence[TimelineEntry]) -> None:
    """The latest text of each request carries its card as it is now (amount, status, how far
    the link has gone); an earlier text of the same request names it only. One query."""
    texts = [e for e in entries if e.event in TEXT_EVENTS and e.data.get("payment_request_id")]
    if not texts:
        return
    ids = {e.data["payment_request_id"] for e in texts}
    payments = {
        p.pk: p
        for p in payments_scoped(
            PaymentRequest.objects.filter(pk__in=ids), membership=membership
        ).select_related("sms", "team")
    }
    latest = {e.data["payment_request_id"]: e for e in texts}
    for entry in texts:
        payment = payments.get(entry.data["payment_request_id"])
        if payment is not None:
            entry.attachment = _card(payment, membership, full=latest[payment.pk] is entry)


def _card(payment: PaymentRequest, membership: Membership, *, full: bool) -> dict[str, Any]:
    status_label, status_tone = request_status_badge(payment.status)
    link_label, link_tone = request_badge(payment)
    is_open = payment.status == PaymentRequest.Status.OPEN
    return {
        "template": CARD_TEMPLATE,
        "full": full,
        "payment": payment,
        "status_label": status_label,
        "status_tone": status_tone,
        # How far the link has gone, while it can still be paid.
        "link_label": link_label if is_open else "",
        "link_tone": link_tone,
        "link_failed": is_open and link_label == LINK_BADGES["failed"].label,
        "url": reverse(
            "payment_detail", kwargs={"org": membership.organization.slug, "pk": payment.pk}
        )
        if payment_allows(membership, payment, Capability.VIEW_PAYMENTS)
        else "",
    }
