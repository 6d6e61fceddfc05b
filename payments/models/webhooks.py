"""Stripe webhook events, stored once before anything is done with them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class WebhookEvent(models.Model):
    """A Stripe event as delivered, stored raw before anything else, processed once."""

    class Endpoint(models.TextChoices):
        PLATFORM = "platform", _("Platform")
        CONNECT = "connect", pgettext_lazy("Stripe Connect", "Connect")  # a product name

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    stripe_id = models.CharField(max_length=255, unique=True)
    endpoint = models.CharField(max_length=16, choices=Endpoint.choices)
    type = models.CharField(max_length=100)
    account = models.CharField(max_length=64, blank=True)
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(help_text=_("When Stripe created the event."))
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    # When a dispatch handed the event to a processing task (webhook_events_dispatch).
    queued_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["type", "-created"]),
            models.Index(
                fields=["id"],
                condition=Q(status="pending", queued_at__isnull=True),
                name="webhook_event_to_dispatch",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"
