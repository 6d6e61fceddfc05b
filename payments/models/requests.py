"""Payment requests: what a customer is asked to pay, its Checkout, and what Stripe told us.

Money is integer minor units with a currency code. Times are aware and stored in UTC."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.languages import customer_language
from accounts.models import SmsMessage
from teams.models import Organization


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

    ``version``: raised (by a random step) in the transaction of every change of one of its
    payments (``payments.ledger.selectors.payments_changed``): the cached Payments totals are
    keyed on it, so a lost, stale or restored cache can never show figures the database no
    longer has."""

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

    # A request's status agrees with "request" (French "payée", Spanish "pagada"); the
    # Payments tab's badges say the payment's (payments/badges.py).
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("payment request", "Open")
        PAID = "paid", pgettext_lazy("payment request", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("payment request", "Cancelled")
        REFUNDED = "refunded", pgettext_lazy("payment request", "Refunded")
        DISPUTED = "disputed", pgettext_lazy("payment request", "Disputed")

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
    # When the link stops being payable (the organization's payment_link_days after it was
    # made, or after it was sent again once expired); None for requests made before it.
    expires_at = models.DateTimeField(null=True, blank=True)
    sms = models.ForeignKey(
        SmsMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The repair order it is a deposit or a part of (never more than the order still owes).
    repair_order = models.ForeignKey(
        "payments.RepairOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_requests",
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
            # ...and by paid time: its collected payments, newest paid first.
            models.Index(fields=["organization", "-paid_at", "-id"]),
            models.Index(fields=["organization", "team", "-paid_at"]),
            models.Index(fields=["organization", "created_by", "-paid_at"]),
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
            # Looked up whole (iexact): a btree answers an equality, a trigram index scans.
            models.Index(Upper("posted_reference"), name="payment_posted_reference_upper"),
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
    def is_expired(self) -> bool:
        """Unpaid and past its link's expiry: the customer's page offers no Pay."""
        return (
            self.status == self.Status.OPEN
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )

    @property
    def reads_in(self) -> str:
        """The language its customer reads (theirs, else their dealership's: French in
        Québec)."""
        return customer_language(self.ticket.customer.language, self.organization.customer_language)

    @property
    def display_number(self) -> str:
        return display_number(self.number) if self.pk else "R-new"

    @property
    def dealership_net_cents(self) -> int:
        """What the dealership keeps: the amount less our application fee."""
        return self.amount_cents - self.fee_cents


class DuplicateCharge(models.Model):
    """A second payment of a request that was paid already: a Checkout Session paid after
    another one (an old tab, a link opened twice). It is never the request's payment: it is
    refunded in full, our fee included, as soon as its webhook arrives, and shown on the
    payment's page. One row per PaymentIntent, so a replayed event refunds nothing twice."""

    class Status(models.TextChoices):
        REFUND_PENDING = "refund_pending", _("Refund pending")
        REFUNDED = "refunded", pgettext_lazy("duplicate charge", "Refunded")
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
