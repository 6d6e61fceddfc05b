"""Celery tasks of the reports: thin wrappers around the services, retried with backoff."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from accounts.tasks import backoff
from payments.gateway import GatewayError
from payments.models.reports import STRIPE_TOOK_TOO_LONG


@shared_task(acks_late=True, name="payments.tasks.daily_reports_run")
def daily_reports_run(now: str | None = None) -> int:
    """Beat, every 15 minutes: each organization's previous local day, once past 06:00 local
    time, built and e-mailed once (payments/reports.py). ``now`` (ISO) is for tests."""

    from payments.reports.services import daily_reports_build_due

    return len(daily_reports_build_due(now=datetime.fromisoformat(now) if now else None))


@shared_task(
    bind=True, max_retries=6, acks_late=True, name="payments.tasks.daily_report_email_send"
)
def daily_report_email_send(self, report_id: int, recipients: list[str]) -> None:
    from payments.reports.services import daily_report_email_deliver

    try:
        daily_report_email_deliver(report_id=report_id, recipients=recipients)
    except OSError as exc:  # SMTP and connection errors
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(
    bind=True, max_retries=30, acks_late=True, name="payments.tasks.stripe_report_poll_task"
)
def stripe_report_poll_task(self, run_id: int) -> str:
    """Reports from Stripe: create the run, then look every 10 s (about 30 tries) until Stripe
    says succeeded (the file is stored) or failed; a run still pending after that fails."""
    from payments.reports.stripe_runs import (
        POLL_COUNTDOWN,
        ReportPending,
        stripe_report_fail,
        stripe_report_poll,
    )

    try:
        outcome = stripe_report_poll(run_id=run_id)
        if outcome == "pending":
            raise ReportPending(run_id)
    except (ReportPending, GatewayError) as exc:
        if self.request.retries >= self.max_retries:
            stripe_report_fail(
                run_id=run_id,
                error=str(exc) if isinstance(exc, GatewayError) else STRIPE_TOOK_TOO_LONG,
            )
            return "failed"
        countdown = POLL_COUNTDOWN if isinstance(exc, ReportPending) else backoff(0)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return outcome
