"""The demo gateway's own tables: its accounts and Checkout Sessions."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class DemoStripeAccount(models.Model):
    """The demo gateway's stand-in for Stripe's own record of a connected account.

    Used only with PAYMENT_GATEWAY=demo (make demo, tests of the demo)."""

    stripe_id = models.CharField(max_length=64, unique=True)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.stripe_id


class DemoStripeCheckout(models.Model):
    """The demo gateway's stand-in for Stripe's record of a Checkout Session."""

    stripe_id = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.stripe_id
