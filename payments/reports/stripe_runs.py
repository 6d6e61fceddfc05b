"""Reports from Stripe: a Reporting API run for the connected account over local days,
prepared in the background (stripe_report_poll) and kept for download.

Stripe's Connect report types take ``parameters.connected_account`` and a ``timezone``; the
demo gateway answers the same CSV shape at once, built from our own payments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from payments.dates import local_day_bounds, organization_zone
from payments.gateway import BALANCE_CHANGE, PAYOUT_RECONCILIATION, NewReportRun, get_gateway
from payments.models import ConnectedAccount, StripeReportRun
from payments.reports.tasks import stripe_report_poll_task
from teams.models import Organization

REPORT_TYPES = {
    BALANCE_CHANGE: _("Balance change from activity"),
    PAYOUT_RECONCILIATION: _("Payout reconciliation"),
}


MAX_DAYS = 366


POLL_COUNTDOWN = 10  # seconds between two looks at a pending run


POLL_MAX_TRIES = 30


class ReportPending(Exception):
    """Stripe is still preparing the file: look again later."""


class ReportRequestError(Exception):
    """The report cannot be requested; the message is for the user."""


def stripe_report_request(
    *, organization: Organization, actor: User | None, report_type: str, start: date, end: date
) -> StripeReportRun:
    if report_type not in REPORT_TYPES:
        raise ReportRequestError(str(_("Choose a report.")))
    if end < start:
        raise ReportRequestError(str(_("The end date is before the start date.")))
    if (end - start).days >= MAX_DAYS:
        raise ReportRequestError(str(_("Choose at most a year.")))
    account = ConnectedAccount.objects.filter(organization=organization).first()
    if (
        account is None
        or account.status != ConnectedAccount.Status.CONNECTED
        or not account.stripe_account_id
    ):
        raise ReportRequestError(str(_("Connect Stripe before requesting its reports.")))
    interval_start, interval_end = local_day_bounds(
        start, organization_zone(organization), through=end
    )
    now = datetime.now(UTC)
    if interval_start >= now:
        raise ReportRequestError(str(_("The dates are in the future.")))
    # Stripe refuses an interval ending after its data is available: end at most now.
    interval_end = min(interval_end, now.replace(second=0, microsecond=0))
    run = StripeReportRun.objects.create(
        organization=organization,
        report_type=report_type,
        interval_start=interval_start,
        interval_end=interval_end,
        requested_by=actor,
    )

    transaction.on_commit(lambda: stripe_report_poll_task.delay(run.pk))
    return run


def _file_name(run: StripeReportRun) -> str:
    tz = organization_zone(run.organization)
    first = run.interval_start.astimezone(tz).date()
    last = (run.interval_end.astimezone(tz) - timedelta(microseconds=1)).date()
    kind = "balance-change" if run.report_type == BALANCE_CHANGE else "payout-reconciliation"
    return f"stripe-{kind}-{run.organization.slug}-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}.csv"


def stripe_report_poll(*, run_id: int) -> str:
    """One step: create Stripe's run if not yet created, then look at it once.

    Answers "pending" (look again later), "succeeded" or "failed". Idempotent: a finished row
    is left alone; the creation uses an idempotency key of the row."""
    run = StripeReportRun.objects.select_related("organization").get(pk=run_id)
    if run.status != StripeReportRun.Status.PENDING:
        return str(run.status)
    gateway = get_gateway()
    if not run.stripe_id:
        account = ConnectedAccount.objects.get(organization=run.organization)
        answer = gateway.create_report_run(
            NewReportRun(
                account_id=str(account.stripe_account_id),
                report_type=run.report_type,
                interval_start=int(run.interval_start.timestamp()),
                interval_end=int(run.interval_end.timestamp()),
                timezone=str(organization_zone(run.organization)),
            ),
            idempotency_key=f"report-run-{run.pk}",
        )
        StripeReportRun.objects.filter(pk=run.pk, stripe_id="").update(stripe_id=answer["id"])
        run.stripe_id = answer["id"]
    else:
        answer = gateway.retrieve_report_run(run.stripe_id)
    return _apply(run, answer, gateway)


def _apply(run: StripeReportRun, answer: dict, gateway) -> str:
    status = answer.get("status")
    if status == "succeeded":
        result = answer.get("result") or {}
        content = gateway.download_report_file(result["url"])
        with transaction.atomic():
            locked = StripeReportRun.objects.select_for_update().get(pk=run.pk)
            if locked.status == StripeReportRun.Status.PENDING:
                locked.content = content
                locked.file_name = _file_name(run)
                locked.status = StripeReportRun.Status.SUCCEEDED
                locked.save(update_fields=["content", "file_name", "status"])
        return "succeeded"
    if status == "failed":
        # Stripe's own words when it gives some; else the page says it failed, in the reader's.
        stripe_report_fail(run_id=run.pk, error=answer.get("error") or "")
        return "failed"
    return "pending"


def stripe_report_fail(*, run_id: int, error: str) -> None:
    StripeReportRun.objects.filter(pk=run_id, status=StripeReportRun.Status.PENDING).update(
        status=StripeReportRun.Status.FAILED, error=error[:2000]
    )
