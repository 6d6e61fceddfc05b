"""The dealership's Stripe Express account, as Stripe last told us."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import Membership, Organization


class ConnectedAccount(models.Model):
    """The organization's Stripe Express account, as last read from Stripe."""

    class Status(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding not finished")
        ACTION_REQUIRED = "action_required", _("Action required")
        PENDING_VERIFICATION = "pending_verification", _("Pending verification")
        RESTRICTED = "restricted", _("Restricted")
        CONNECTED = "connected", _("Connected")
        DISCONNECTED = "disconnected", _("Disconnected")

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="connected_account"
    )
    stripe_account_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    livemode = models.BooleanField(default=False)
    country = models.CharField(max_length=2)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    card_payments = models.CharField(max_length=16, blank=True)  # active, inactive, pending
    transfers = models.CharField(max_length=16, blank=True)
    currently_due = models.JSONField(default=list, blank=True)
    past_due = models.JSONField(default=list, blank=True)
    eventually_due = models.JSONField(default=list, blank=True)
    pending_verification = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=64, blank=True)
    current_deadline = models.DateTimeField(null=True, blank=True)
    payout_interval = models.CharField(max_length=16, blank=True)
    payout_weekly_anchor = models.CharField(max_length=16, blank=True)
    payout_monthly_anchor = models.PositiveSmallIntegerField(null=True, blank=True)
    payout_delay_days = models.PositiveSmallIntegerField(null=True, blank=True)
    statement_descriptor = models.CharField(max_length=22, blank=True)
    default_currency = models.CharField(max_length=3, blank=True)
    # Stripe's time of the newest account data applied: older events never roll it back.
    synced_at = models.DateTimeField(null=True, blank=True)
    # Hours after which an unpaid request gets one reminder text; None turns reminders off.
    reminder_after_hours = models.PositiveSmallIntegerField(null=True, blank=True, default=24)
    # Counts account creations and settings updates: each gets its own idempotency key.
    connect_attempt = models.PositiveSmallIntegerField(default=0)
    settings_version = models.PositiveIntegerField(default=0)
    connected_at = models.DateTimeField(null=True, blank=True)
    deauthorized_at = models.DateTimeField(null=True, blank=True)
    payout_recipients = models.ManyToManyField(
        Membership, related_name="payout_email_accounts", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.stripe_account_id or 'pending'} ({self.organization})"

    @property
    def is_complete(self) -> bool:
        """Stripe's full onboarding: details submitted, charges and payouts on, card payments
        active, and nothing due now."""
        return (
            self.details_submitted
            and self.charges_enabled
            and self.payouts_enabled
            and self.card_payments == "active"
            and not self.currently_due
            and not self.past_due
            and not self.disabled_reason
        )

    @property
    def status(self) -> str:
        if self.deauthorized_at:
            return self.Status.DISCONNECTED
        if self.is_complete:
            return self.Status.CONNECTED
        if not self.details_submitted:
            return self.Status.ONBOARDING
        if self.currently_due or self.past_due:
            return self.Status.ACTION_REQUIRED
        if self.pending_verification or self.disabled_reason.endswith("pending_verification"):
            return self.Status.PENDING_VERIFICATION
        if self.disabled_reason:
            return self.Status.RESTRICTED
        return self.Status.PENDING_VERIFICATION

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)
