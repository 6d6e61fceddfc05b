"""Daily reconciliation reports and Stripe report runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import Organization


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
