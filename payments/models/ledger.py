"""The ledger: every movement of the dealership's money, as Stripe's balance transactions
record it, written once and never changed."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models.payouts import Payout
from payments.models.refunds import Refund
from payments.models.requests import PaymentRequest
from teams.models import Organization


class LedgerEntry(models.Model):
    """One movement of money in or out of the dealership's Stripe balance: positive in,
    negative out, in integer cents of one currency. ``occurred_at`` is when the money moved
    by Stripe's clock (the charge's, refund's, dispute's or payout's own time), not when the
    row was written. ``source`` names what caused it (``payment-<id>``, ``refund-<id>``,
    ``dispute-<Stripe id>``, ``payout-<id>``): one entry per source and kind, whatever the
    number of webhook deliveries."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        PLATFORM_FEE = "platform_fee", _("Platform fee")
        REFUND = "refund", _("Refund")
        FEE_RETURNED = "fee_returned", _("Fee returned")
        DISPUTE = "dispute", _("Dispute")
        DISPUTE_FEE = "dispute_fee", _("Dispute fee")
        DISPUTE_WON = "dispute_won", _("Dispute won back")
        PAYOUT = "payout", _("Payout")
        PAYOUT_REVERSAL = "payout_reversal", _("Payout returned")
        ADJUSTMENT = "adjustment", _("Adjustment")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=80)
    currency = models.CharField(max_length=3)
    amount_cents = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    payment = models.ForeignKey(
        PaymentRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    payout = models.ForeignKey(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "occurred_at"]),
            models.Index(fields=["organization", "created_at"]),  # movements learnt of late
            models.Index(fields=["payment", "kind"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source"], name="ledger_entry_once"),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[a-z]{3}$"), name="ledger_entry_currency_code"
            ),
        ]
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_cents} {self.currency} ({self.source})"
