"""Refunds of paid requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models.requests import PaymentRequest
from teams.models import Organization


class Refund(models.Model):
    """A full refund of a paid request: a Stripe refund of the destination charge with the
    transfer reversed. At most one refund that has not failed per payment (the constraint)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        REQUIRES_ACTION = "requires_action", _("Requires action")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="refunds")
    payment = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="refunds")
    stripe_refund_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    fee_returned = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=~Q(status__in=["failed", "canceled"]),
                name="refund_one_live_per_payment",
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.payment} ({self.status})"
