"""Customers, their SMS conversations (tickets) and each ticket's timeline.

The timeline holds messages both ways and events written by other apps (payment requests
and their fate): tickets never imports payments.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from accounts.models import SmsMessage
from teams.models import Membership, Organization, Team


class Customer(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="customers"
    )
    name = models.CharField(_("name"), max_length=150)
    mobile_phone = PhoneNumberField(_("mobile phone"))
    # One of accounts.languages.CUSTOMER_LANGUAGES; "" reads in the organization's language.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    opted_out_at = models.DateTimeField(null=True, blank=True)
    # The customer's text that opted them out (None when the carrier reported the opt-out).
    opt_out_message = models.ForeignKey(
        "TimelineEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mobile_phone"], name="customer_phone_unique"
            )
        ]
        indexes = [
            # The Payments tab's search: any part of a name or a number (pg_trgm).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="customer_name_trgm"),
            GinIndex(
                fields=["mobile_phone"], opclasses=["gin_trgm_ops"], name="customer_phone_trgm"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None


class TeamNumber(models.Model):
    """The Twilio number a team texts from and receives on."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="sms_number")
    number = PhoneNumberField(unique=True)

    def __str__(self) -> str:
        return f"{self.number} ({self.team})"


class Ticket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tickets")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tickets")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    advisor = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    subject = models.CharField(_("subject"), max_length=150, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "status", "-last_activity_at"]),
            models.Index(fields=["team", "status", "-last_activity_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "team"],
                condition=Q(status="open"),
                name="ticket_one_open_per_customer_and_team",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer}"


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        INBOUND = "inbound", _("Message from the customer")
        OUTBOUND = "outbound", _("Message to the customer")
        EVENT = "event", _("Event")
        NOTE = "note", _("Note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.TextField(blank=True)
    # For events: a short code ("payment_request.paid") and its details; for messages, the SMS.
    event = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    sms = models.ForeignKey(
        SmsMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider_id = models.CharField(max_length=64, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at"])]
        constraints = [
            # Twilio retries a webhook it thinks failed: one row per inbound message.
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=Q(kind="inbound") & ~Q(provider_id=""),
                name="timeline_inbound_once",
            )
        ]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def event_label(self) -> str:
        return str(EVENT_LABELS.get(self.event, self.event.replace(".", " ").replace("_", " ")))

    @property
    def shows_as(self) -> str:
        """Where the conversation shows it: "in" and "out" as bubbles (a text the customer
        sent, or one they got, the payment link's included), "note" as a small centered line
        (what the customer did, or what happened to the ticket)."""
        if self.kind == self.Kind.INBOUND:
            return "in"
        if self.kind == self.Kind.OUTBOUND or self.event in TEXT_EVENTS:
            return "out"
        return "note"

    @property
    def event_tone(self) -> str:
        """A Bootstrap colour for the event's badge."""
        suffix = self.event.rsplit(".", 1)[-1]
        return {
            "paid": "success",
            "refunded": "secondary",
            "failed": "danger",
            "disputed": "danger",
            "dispute_won": "success",
            "expired": "warning",
            "cancelled": "secondary",
            "opted_out": "warning",
            "duplicate_charged": "warning",
            "duplicate_refund_failed": "danger",
        }.get(suffix, "info")


# Events that are a text the customer got: the conversation shows the text as it went, with
# what it is about (the payment request's card) attached.
TEXT_EVENTS = frozenset(
    {"payment_request.sent", "payment_request.resent", "payment_request.reminded"}
)
# The dealership's own bookkeeping: on the payment's page and in the audit log, never in the
# conversation with the customer.
BOOKKEEPING_EVENTS = frozenset(
    {
        "payment_request.posted",
        "payment_request.unposted",
        "payment_request.refund_requested",
        "payment_request.refund_failed",
        "payment_request.dispute_won",
        "payment_request.duplicate_refund_failed",
    }
)

EVENT_LABELS = {
    "ticket.closed": _("Ticket closed"),
    "customer.opted_out": _("Customer replied STOP: no more texts until they reply START"),
    "customer.opted_in": _("Customer replied START: texts allowed again"),
    "payment_request.sent": _("Payment requested"),
    "payment_request.resent": _("Payment request sent again"),
    "payment_request.reminded": _("Reminder sent"),
    "payment_request.delivered": _("Payment request delivered"),
    "payment_request.opened": _("Payment link opened"),
    "payment_request.paid": pgettext_lazy("payment", "Paid"),
    "payment_request.failed": _("Payment failed"),
    "payment_request.expired": _("Checkout expired"),
    "payment_request.cancelled": _("Payment request cancelled"),
    "payment_request.refunded": pgettext_lazy("payment", "Refunded"),
    "payment_request.refund_requested": _("Refund requested"),
    "payment_request.refund_failed": _("Refund failed"),
    "payment_request.posted": _("Posted to the DBS"),
    "payment_request.unposted": _("Posting to the DBS undone"),
    "payment_request.disputed": _("Payment disputed"),
    "payment_request.dispute_won": _("Dispute won: the money is back"),
    "payment_request.duplicate_charged": _("Paid a second time: refunding the second payment"),
    "payment_request.duplicate_refunded": _("Second payment refunded automatically"),
    "payment_request.duplicate_refund_failed": _("Second payment could not be refunded"),
    "repair_order.paid": _("Repair order paid in full"),
}
