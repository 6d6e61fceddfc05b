"""Stripe Connect on our side: the dealership's connected account, webhook events, payouts.

Money is integer minor units with a currency code. Times are aware and stored in UTC.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import SmsMessage
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


class WebhookEvent(models.Model):
    """A Stripe event as delivered, stored raw before anything else, processed once."""

    class Endpoint(models.TextChoices):
        PLATFORM = "platform", _("Platform")
        CONNECT = "connect", _("Connect")

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


class DemoStripeAccount(models.Model):
    """The demo gateway's stand-in for Stripe's own record of a connected account.

    Used only with PAYMENT_GATEWAY=demo (make demo, tests of the demo)."""

    stripe_id = models.CharField(max_length=64, unique=True)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.stripe_id


def display_number(number: int) -> str:
    """How people name a payment request: ``R-000123``, counted per organization."""
    return f"R-{number:06d}"


class PaymentCounters(models.Model):
    """Two counters of each organization's payment requests, one row per organization.

    ``last_number``: the last request number given. Numbers are per organization, so a
    customer's receipt says nothing of the platform's volume. The database gives them: a
    trigger (migration 0008) takes the next one from this row as each request is inserted, by
    any path (a service, ``bulk_create``, the demo's history), and the row lock it takes makes
    concurrent inserts wait their turn; a rolled back insert gives its number back, so the
    sequence has no gaps.

    ``version``: raised in the transaction of every change of one of its payments
    (``payments.selectors.payments_changed``): the cached Payments totals are keyed on it, so a
    lost, stale or restored cache can never show figures the database no longer has."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_number = models.PositiveIntegerField(db_default=0)
    version = models.PositiveBigIntegerField(db_default=0)

    def __str__(self) -> str:
        return f"{self.organization_id}: {display_number(self.last_number)} v{self.version}"


class PaymentRequest(models.Model):
    """One amount asked of a ticket's customer, paid through a hosted Stripe Checkout Session.

    The token is the capability in the customer's link (like Stripe's own checkout URLs): it
    is stored as is so Resend sends the same link. Checkout Sessions are created lazily when
    the customer presses Pay, because a session lives 24 hours and the link must outlive it.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        DISPUTED = "disputed", _("Disputed")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="payment_requests"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="payment_requests"
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.PROTECT, related_name="payment_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="payment_requests",
    )
    # Given by the database on insert (PaymentCounters.last_number); 0 is never stored.
    number = models.PositiveIntegerField(db_default=0, editable=False)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(_("description"), max_length=200)
    reference = models.CharField(_("DBS invoice or RO number"), max_length=64, blank=True)
    token = models.CharField(max_length=64, unique=True)
    # The key of the form submission that made it: a repeated submission finds this one.
    submission_key = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    fee_cents = models.BigIntegerField(help_text=_("Our application fee, fixed at creation."))
    # The current Checkout Session (created when the customer presses Pay).
    checkout_session_id = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    checkout_attempt = models.PositiveIntegerField(default=0)
    # The payment, once Stripe has one.
    payment_intent_id = models.CharField(max_length=255, blank=True)
    charge_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    stripe_fee_cents = models.BigIntegerField(null=True, blank=True)
    net_cents = models.BigIntegerField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    receipt_number = models.CharField(max_length=64, blank=True)
    receipt_url = models.URLField(max_length=2000, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    # Stripe's time of the newest event applied.
    last_event_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    sms = models.ForeignKey(
        SmsMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Refunds (F7): the amount given back, as Stripe confirmed it.
    refunded_cents = models.BigIntegerField(default=0)
    # Reconciliation with the dealership's business system (F6).
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_reference = models.CharField(_("DBS posting reference"), max_length=64, blank=True)
    # The payout that took this payment to the bank, once known from Stripe.
    payout = models.ForeignKey(
        "payments.Payout", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )

    class Meta:
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"]),
            models.Index(fields=["ticket"]),
            # The Payments tab: keyset pages by time, and its filters.
            models.Index(fields=["organization", "-created_at", "-id"]),
            models.Index(fields=["organization", "team", "-created_at"]),
            models.Index(fields=["organization", "created_by", "-created_at"]),
            models.Index(fields=["organization", "posted_at"]),
            models.Index(fields=["payment_intent_id"]),
            models.Index(fields=["charge_id"]),
            # The Payments tab's search (selectors._search): every arm of it is indexed.
            models.Index(fields=["checkout_session_id"]),
            models.Index(fields=["organization", "amount_cents"]),
            GinIndex(
                OpClass(Upper("reference"), name="gin_trgm_ops"),
                name="payment_reference_trgm",
            ),
            GinIndex(
                OpClass(Upper("posted_reference"), name="gin_trgm_ops"),
                name="payment_posted_reference_trgm",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(status="open", reminder_sent_at__isnull=True),
                name="payment_request_reminder_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gte=50) & Q(amount_cents__lte=5_000_000),
                name="payment_request_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(fee_cents__gte=0), name="payment_request_fee_positive"
            ),
            models.UniqueConstraint(
                fields=["organization", "number"], name="payment_request_number_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "submission_key"],
                condition=~Q(submission_key=""),
                name="payment_request_submission_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.status}"

    @property
    def display_number(self) -> str:
        return display_number(self.number) if self.pk else "R-new"

    @property
    def dealership_net_cents(self) -> int:
        """What the dealership keeps: the amount less our application fee."""
        return self.amount_cents - self.fee_cents

    @property
    def is_payable(self) -> bool:
        return self.status == self.Status.OPEN


class DemoStripeCheckout(models.Model):
    """The demo gateway's stand-in for Stripe's record of a Checkout Session."""

    stripe_id = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.stripe_id


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


class DuplicateCharge(models.Model):
    """A second payment of a request that was paid already: a Checkout Session paid after
    another one (an old tab, a link opened twice). It is never the request's payment: it is
    refunded in full, our fee included, as soon as its webhook arrives, and shown on the
    payment's page. One row per PaymentIntent, so a replayed event refunds nothing twice."""

    class Status(models.TextChoices):
        REFUND_PENDING = "refund_pending", _("Refund pending")
        REFUNDED = "refunded", _("Refunded")
        REFUND_FAILED = "refund_failed", _("Refund failed")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    payment = models.ForeignKey(
        "payments.PaymentRequest", on_delete=models.PROTECT, related_name="duplicate_charges"
    )
    payment_intent_id = models.CharField(max_length=255, unique=True)
    checkout_session_id = models.CharField(max_length=255, blank=True)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REFUND_PENDING)
    stripe_refund_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)
    refunded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Duplicate {self.payment_intent_id} of {self.payment_id} ({self.status})"


class DailyReport(models.Model):
    """The reconciliation report of one local day of one organization (built at 06:00 local)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="daily_reports"
    )
    day = models.DateField()
    time_zone = models.CharField(max_length=64)
    totals = models.JSONField(default=dict)
    rows = models.JSONField(default=list)
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="daily_report_once")
        ]
        indexes = [models.Index(fields=["organization", "-day"])]

    def __str__(self) -> str:
        return f"{self.organization} {self.day}"


class StripeReportRun(models.Model):
    """A report Stripe prepares in the background for the connected account (Reporting API)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Preparing")
        SUCCEEDED = "succeeded", _("Ready")
        FAILED = "failed", _("Failed")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="stripe_reports"
    )
    report_type = models.CharField(max_length=100)
    interval_start = models.DateTimeField()
    interval_end = models.DateTimeField()
    stripe_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    content = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.report_type} {self.interval_start:%Y-%m-%d}"


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
