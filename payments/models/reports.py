"""Daily reconciliation reports and Stripe report runs."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.times import local_date
from teams.models import Organization


class DailyReport(models.Model):
    """One revision of the reconciliation report of one local day of one organization: the
    day's ledger movements as lines (DailyReportLine), built at 06:00 local the next morning.

    A revision is never changed once built: a movement learnt of later (a refund next week of
    today's payment) is on the report of the day it happened; a day whose movements differ
    from its latest revision gets a new revision, saying what changed and sent again to the
    same recipients, while the earlier ones stay readable. ``totals`` are the sums of the
    revision's lines per currency (cents): lines, charges, posted, collected, refunds,
    disputes, fees, net and payouts. ``digest`` fingerprints the money columns of the lines."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="daily_reports"
    )
    day = models.DateField()
    revision = models.PositiveIntegerField(default=1)
    time_zone = models.CharField(max_length=64)
    starts_at = models.DateTimeField(null=True)
    ends_at = models.DateTimeField(null=True)
    totals = models.JSONField(default=dict)
    digest = models.CharField(max_length=32, blank=True)
    changes = models.TextField(blank=True)
    recipients = models.JSONField(default=list)
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "revision"], name="daily_report_revision_once"
            )
        ]
        indexes = [models.Index(fields=["organization", "-day", "-revision"])]

    def __str__(self) -> str:
        return f"{self.organization} {self.day} r{self.revision}"

    @property
    def hours(self) -> int:
        if self.starts_at is None or self.ends_at is None:
            return 24
        return int((self.ends_at - self.starts_at).total_seconds() // 3600)


# How a payout line of a daily report is described when it is built (payments.reports.services):
# the date follows, as YYYY-MM-DD. The page says it in the reader's words (description_label).
PAYOUT_ARRIVING = "Payout arriving "


class DailyReportLine(models.Model):
    """One line of a daily report: one source's movements on the day (a charge with its fee,
    a refund with the fee returned, a dispute with its fee, a payout), with what the day's
    report said of its payment when it was built. gross = fee + net on every line; a payout's
    amount is in ``payout_cents`` (positive: money sent to the bank)."""

    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16)
    source = models.CharField(max_length=80, blank=True)
    occurred_at = models.DateTimeField(null=True)
    currency = models.CharField(max_length=3)
    gross_cents = models.BigIntegerField(default=0)
    fee_cents = models.BigIntegerField(default=0)
    net_cents = models.BigIntegerField(default=0)
    payout_cents = models.BigIntegerField(default=0)
    payment = models.ForeignKey(
        "payments.PaymentRequest", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey("teams.Team", null=True, on_delete=models.SET_NULL, related_name="+")
    number = models.CharField(max_length=20, blank=True)
    customer = models.CharField(max_length=150, blank=True)
    team_name = models.CharField(max_length=150, blank=True)
    description = models.TextField(blank=True)
    reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=32, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    charge_id = models.CharField(max_length=255, blank=True)
    refund_id = models.CharField(max_length=255, blank=True)
    payout_id = models.CharField(max_length=255, blank=True)
    posted = models.BooleanField(default=False)
    posted_at = models.DateTimeField(null=True)
    posted_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "position"], name="daily_report_line_once"),
            models.CheckConstraint(
                condition=models.Q(gross_cents=models.F("fee_cents") + models.F("net_cents")),
                name="daily_report_line_adds_up",
            ),
        ]
        ordering = ["report", "position"]

    def __str__(self) -> str:
        return f"{self.report} #{self.position} {self.kind}"

    @property
    def kind_label(self) -> str:
        from payments.models.ledger import LedgerEntry

        return str(dict(LedgerEntry.Kind.choices).get(self.kind, self.kind))

    @property
    def description_label(self) -> str:
        """The description in the reader's language: a payout line's is the report's own
        ("Payout arriving 2026-11-27", PAYOUT_ARRIVING), any other the payment's."""
        arriving = self.description.removeprefix(PAYOUT_ARRIVING)
        if arriving == self.description:
            return self.description
        try:
            day = date.fromisoformat(arriving)
        except ValueError:
            return self.description
        return gettext("Payout arriving %(date)s") % {"date": local_date(day)}


# The error recorded when Stripe still has not prepared a run after the last poll
# (payments.reports.tasks); the page says it in the reader's words (error_text).
STRIPE_TOOK_TOO_LONG = "Stripe took too long."


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

    @property
    def error_text(self) -> str:
        """Why the run failed, for the page: Stripe's own words when it gave some (as Stripe
        wrote them), else ours, in the reader's language."""
        if not self.error:
            return gettext("Stripe could not prepare this report.")
        if self.error == STRIPE_TOOK_TOO_LONG:
            return gettext("Stripe took too long to prepare this report.")
        return self.error
