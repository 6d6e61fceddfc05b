"""Repair orders: what a ticket's customer owes the dealership for one job, against which
payment requests are asked (a deposit, then the balance) and never more than is owed.

Money is integer minor units with a currency code; what was paid is the sum of the ledger's
movements of the order's payments (payments.requests.repair_orders)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from teams.models import Organization


class RepairOrder(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("repair order", "Open")
        PAID = "paid", pgettext_lazy("repair order", "Paid in full")
        CLOSED = "closed", pgettext_lazy("repair order", "Closed")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="repair_orders"
    )
    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="repair_orders"
    )
    # The dealer system's RO or invoice number; unique in the organization when given.
    number = models.CharField(_("RO or invoice number"), max_length=64, blank=True)
    total_cents = models.BigIntegerField(_("total"))
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"],
                condition=~Q(number=""),
                name="repair_order_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(total_cents__gt=0), name="repair_order_total_positive"
            ),
        ]
        indexes = [models.Index(fields=["ticket", "status"])]

    def __str__(self) -> str:
        return self.number or f"RO #{self.pk}"
