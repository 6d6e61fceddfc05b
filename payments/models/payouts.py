"""Payouts to the dealership's bank, their contents and their e-mails."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from payments.models.requests import PaymentRequest
from teams.models import Organization

# A payout's status, as Stripe names it, in words (agreeing with "payout": French "virement
# payé", Spanish "depósito pagado").
PAYOUT_STATUSES = {
    "pending": pgettext_lazy("payout", "Pending"),
    "in_transit": pgettext_lazy("payout", "In transit"),
    "paid": pgettext_lazy("payout", "Paid"),
    "failed": pgettext_lazy("payout", "Failed"),
    "canceled": pgettext_lazy("payout", "Canceled"),
}


class Payout(models.Model):
    """A payout from the connected account's Stripe balance to the dealership's bank."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="payouts")
    stripe_payout_id = models.CharField(max_length=64, unique=True)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    arrival_date = models.DateField(help_text=_("A calendar date, as Stripe gives it."))
    status = models.CharField(max_length=16)  # pending, in_transit, paid, failed, canceled
    method = models.CharField(max_length=16, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.TextField(blank=True)
    stripe_created = models.DateTimeField()
    # Stripe's time of the newest event applied to this row.
    synced_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-arrival_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gte=0), name="payout_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.stripe_payout_id} {self.status}"

    @property
    def status_label(self) -> str:
        return str(PAYOUT_STATUSES.get(self.status, self.status))


class PayoutNotification(models.Model):
    """One e-mail round per payout and status: the unique key makes sending idempotent."""

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="notifications")
    status = models.CharField(max_length=16)
    recipients = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payout", "status"], name="payout_notified_once")
        ]

    def __str__(self) -> str:
        return f"{self.payout} {self.status} e-mail"


# How a line Stripe gives no description of is described when its payout is read
# (payments.payouts.services), an id following: kept so, and told in the reader's words on the
# page (PayoutLine.description_label).
PAYMENT_OF_CHARGE = "Payment, charge "
REFUND_OF = "Refund of "


class PayoutLine(models.Model):
    """One balance transaction a payout contains, as Stripe lists it for the connected account.

    Replaced as a whole on each sync; the net column adds up to the payout amount."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment")
        FEE = "fee", _("Fee")
        OTHER = "other", _("Other")

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_cents = models.BigIntegerField()
    fee_cents = models.BigIntegerField(default=0)
    net_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payment = models.ForeignKey(
        PaymentRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The balance transaction (txn_...) and its source on the connected account (py_, pyr_...).
    stripe_id = models.CharField(max_length=64)
    source_id = models.CharField(max_length=64, blank=True)
    stripe_type = models.CharField(max_length=32, blank=True)
    description = models.TextField(blank=True)
    created = models.DateTimeField()

    class Meta:
        ordering = ["created", "pk"]
        indexes = [models.Index(fields=["source_id"])]
        constraints = [
            models.UniqueConstraint(fields=["payout", "stripe_id"], name="payout_line_once")
        ]

    def __str__(self) -> str:
        return f"{self.payout} {self.kind} {self.net_cents}"

    @property
    def description_label(self) -> str:
        """The description in the reader's language: Stripe's own as Stripe wrote it, ours
        (a line Stripe did not describe) in the reader's words."""
        text = self.description
        charge, refunded = text.removeprefix(PAYMENT_OF_CHARGE), text.removeprefix(REFUND_OF)
        if charge != text and charge.isidentifier():
            return gettext("Payment, charge %(charge)s") % {"charge": charge}
        if refunded != text and refunded.isidentifier():
            return gettext("Refund of %(payment)s") % {"payment": refunded}
        if text in ("Payment", "Refund"):  # ours, without an id: the kind says it
            return str(self.get_kind_display())
        return text
