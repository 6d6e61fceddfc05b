"""How a payment's status reads on every page: one table of status → badge (label and
tone, printed by accounts.ui.badge_html), and the open request's link state on the advisor's
panel."""

from __future__ import annotations

from typing import NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy

from accounts.models import SmsMessage
from payments.models import PaymentRequest


class Badge(NamedTuple):
    label: str | Promise
    tone: str  # accounts.ui.BADGE_TONES: the label says it, the tone only colours it


# A payment's, on the Payments tab and its pages: the label agrees with "payment" (French
# "payé", Spanish "pagado"), hence its context; a payout's "Paid" is ("payout", "Paid").
STATUS_BADGES: dict[str, Badge] = {
    PaymentRequest.Status.PAID: Badge(pgettext_lazy("payment", "Paid"), "success"),
    PaymentRequest.Status.REFUNDED: Badge(pgettext_lazy("payment", "Refunded"), "secondary"),
    PaymentRequest.Status.DISPUTED: Badge(pgettext_lazy("payment", "Disputed"), "danger"),
    PaymentRequest.Status.OPEN: Badge(pgettext_lazy("payment", "Unpaid"), "neutral"),
    PaymentRequest.Status.CANCELLED: Badge(pgettext_lazy("payment", "Cancelled"), "neutral"),
}

# The same, settled, on the ticket's list of payment requests: it agrees with "request"
# (French "payée", Spanish "pagada"), as the request's own status labels do.
REQUEST_BADGES: dict[str, Badge] = {
    status: Badge(PaymentRequest.Status(status).label, badge.tone)
    for status, badge in STATUS_BADGES.items()
    if status != PaymentRequest.Status.OPEN
}

# An unpaid request, as far as its link has gone.
LINK_BADGES = {
    "expired": Badge(_lazy("Link expired"), "warning"),
    "failed": Badge(_lazy("Failed"), "danger"),
    "opened": Badge(_lazy("Opened"), "info"),
    "link_only": Badge(_lazy("Link only"), "warning"),
    "delivered": Badge(_lazy("Delivered"), "primary"),
    "undelivered": Badge(_lazy("Not delivered"), "warning"),
    "sent": Badge(_lazy("Sent"), "neutral"),
}


def request_status_badge(status: str) -> Badge:
    """A request's status in words that agree with "request" ("Unpaid" while it is open)."""
    return REQUEST_BADGES.get(status) or status_badge(status)


def status_badge(status: str) -> Badge:
    return STATUS_BADGES.get(status, Badge(status, "neutral"))


def request_badge(payment: PaymentRequest) -> Badge:
    """The request as the advisor reads it: its status once it is settled, else how far its
    link has gone (failed, opened, texted and delivered, or shared as a link only)."""
    if payment.status != PaymentRequest.Status.OPEN:
        return REQUEST_BADGES.get(payment.status) or status_badge(payment.status)
    if payment.is_expired:
        return LINK_BADGES["expired"]
    if payment.failure_message:
        return LINK_BADGES["failed"]
    if payment.opened_at:
        return LINK_BADGES["opened"]
    sms = payment.sms
    if sms is None:
        return LINK_BADGES["link_only"]
    if sms.status == SmsMessage.Status.DELIVERED:
        return LINK_BADGES["delivered"]
    if sms.status in (SmsMessage.Status.UNDELIVERED, SmsMessage.Status.FAILED):
        return LINK_BADGES["undelivered"]
    return LINK_BADGES["sent"]
