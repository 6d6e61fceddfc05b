"""Daily reconciliation: one report per organization and local day.

Every payment paid that local day, every refund created that day and every payout arriving
that day, with the amounts, Stripe ids, the DBS reference and posted status, and totals
computed in the database. Days are the organization's own (zoneinfo: a day around a DST
change has 23 or 25 hours); each time is given in the organization's zone and in UTC, and
every column names its zone.

Re-building a day replaces its report (one row per organization and day). The beat job
(``daily_reports_build_due``) builds the previous local day once local time is past 06:00 and
e-mails it, once, to the payout e-mail recipients: the report row's existence decides, under
a lock on the organization's connected account.

Functions that depend on the current time take ``now`` so tests pass the instant they mean."""

from __future__ import annotations

import copy
import functools
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import BigIntegerField, Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from payments.dates import local_day_bounds, organization_zone
from payments.models import ConnectedAccount, DailyReport, PaymentRequest, Payout, Refund
from payments.money import format_money
from payments.reports.export import export_filename, report_csv
from payments.reports.tasks import daily_report_email_send
from teams.access import payment_teams_seen
from teams.models import Membership, Organization

logger = logging.getLogger(__name__)


BUILD_AFTER = time(6, 0)  # local time from which the previous day's report is built


ZERO = Value(0, output_field=BigIntegerField())


def _times(value: datetime | None, tz: ZoneInfo) -> tuple[str, str]:
    if value is None:
        return "", ""
    return (
        value.astimezone(tz).isoformat(timespec="seconds"),
        value.astimezone(UTC).isoformat(timespec="seconds"),
    )


def _row(kind: str, at: datetime | None, tz: ZoneInfo, **values: Any) -> dict[str, Any]:
    local, utc = _times(at, tz)
    row: dict[str, Any] = {
        "kind": kind,
        "time_local": local,
        "time_utc": utc,
        "number": "",
        "customer": "",
        "team": "",
        "description": "",
        "status": "",
        "currency": "",
        "gross_cents": 0,
        "fee_cents": 0,
        "net_cents": 0,
        "refunded_cents": 0,
        "payout_cents": 0,
        "payment_intent_id": "",
        "charge_id": "",
        "refund_id": "",
        "payout_id": "",
        "reference": "",
        "posted": False,
        "posted_at_local": "",
        "posted_reference": "",
    }
    row.update(values)
    return row


OTHER_TEAMS = "other teams"


def report_seen_by(report: DailyReport, membership: Membership) -> DailyReport:
    """The report as ``membership`` may read it (page and exports): payments and refunds of
    teams whose payments they do not see (teams.roles.payment_teams_seen; a row of a report
    built before rows named their team counts as unseen) become one "other teams" row with
    their count and sums, so the day still adds up to its totals. Admins: the report as is."""
    seen = payment_teams_seen(membership)
    if seen is None:
        return report
    shown: list[dict[str, Any]] = []
    hidden: list[dict[str, Any]] = []
    for row in report.rows:
        unseen = row["kind"] in ("payment", "refund") and row.get("team_id") not in seen
        (hidden if unseen else shown).append(row)
    if not hidden:
        return report
    paid = [row for row in hidden if row["kind"] == "payment"]
    other = _row(
        OTHER_TEAMS,
        None,
        ZoneInfo(report.time_zone),
        description=ngettext(
            "%(count)d line of teams you are not on",
            "%(count)d lines of teams you are not on",
            len(hidden),
        )
        % {"count": len(hidden)},
        currency=hidden[0]["currency"],
        gross_cents=sum(row["gross_cents"] for row in paid),
        fee_cents=sum(row["fee_cents"] for row in paid),
        net_cents=sum(row["net_cents"] for row in paid),
        refunded_cents=sum(row["refunded_cents"] for row in hidden if row["kind"] == "refund"),
    )
    scoped = copy.copy(report)
    scoped.rows = [*shown, other]
    return scoped


def _payment_columns(payment: PaymentRequest, tz: ZoneInfo) -> dict[str, Any]:
    """What a payment's line and its refunds' lines both say of the payment."""
    return {
        "number": payment.display_number,
        "customer": payment.ticket.customer.name,
        "team": payment.team.name,
        "team_id": payment.team_id,
        "description": payment.description,
        "payment_intent_id": payment.payment_intent_id,
        "charge_id": payment.charge_id,
        "reference": payment.reference,
        "posted": payment.posted_at is not None,
        "posted_at_local": _times(payment.posted_at, tz)[0],
        "posted_reference": payment.posted_reference,
    }


def daily_report_data(
    *, organization: Organization, day: date
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows and totals of one local day, read from the database (totals aggregated)."""
    tz = organization_zone(organization)
    start, end = local_day_bounds(day, tz)

    payments = PaymentRequest.objects.filter(
        organization=organization, paid_at__gte=start, paid_at__lt=end
    ).annotate(net_value=Coalesce(F("net_cents"), F("amount_cents") - F("fee_cents")))
    refunds = Refund.objects.filter(
        organization=organization, created_at__gte=start, created_at__lt=end
    )
    payouts = Payout.objects.filter(organization=organization, arrival_date=day)

    rows: list[dict[str, Any]] = []
    for p in payments.select_related("ticket__customer", "team").order_by("paid_at", "pk"):
        rows.append(
            _row(
                "payment",
                p.paid_at,
                tz,
                **_payment_columns(p, tz),
                status=p.status,
                currency=p.currency,
                gross_cents=int(p.amount_cents),
                fee_cents=int(p.fee_cents),
                net_cents=int(p.net_value),
                refunded_cents=int(p.refunded_cents),
            )
        )
    for r in refunds.select_related("payment__ticket__customer", "payment__team").order_by(
        "created_at", "pk"
    ):
        rows.append(
            _row(
                "refund",
                r.created_at,
                tz,
                **_payment_columns(r.payment, tz),
                status=r.status,
                currency=r.currency,
                refunded_cents=int(r.amount_cents),
                refund_id=r.stripe_refund_id or "",
            )
        )
    for o in payouts.order_by("stripe_created", "pk"):
        rows.append(
            _row(
                "payout",
                None,  # arrival_date is a calendar date, not an instant
                tz,
                status=o.status,
                currency=o.currency,
                payout_cents=int(o.amount_cents),
                payout_id=o.stripe_payout_id,
                description=_("Payout arriving %(date)s") % {"date": o.arrival_date.isoformat()},
            )
        )

    paid = payments.aggregate(
        count=Count("pk"),
        gross=Coalesce(Sum("amount_cents"), ZERO),
        fee=Coalesce(Sum("fee_cents"), ZERO),
        net_sum=Coalesce(Sum("net_value"), ZERO),
        posted=Count("pk", filter=Q(posted_at__isnull=False)),
    )
    refunded = refunds.aggregate(
        count=Count("pk"),
        succeeded=Coalesce(Sum("amount_cents", filter=Q(status=Refund.Status.SUCCEEDED)), ZERO),
        pending=Coalesce(
            Sum(
                "amount_cents",
                filter=Q(status__in=[Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION]),
            ),
            ZERO,
        ),
    )
    paid_out = payouts.aggregate(count=Count("pk"), amount=Coalesce(Sum("amount_cents"), ZERO))
    totals = {
        "currency": organization.currency or "",
        "count": int(paid["count"]),
        "gross_cents": int(paid["gross"]),
        "fee_cents": int(paid["fee"]),
        "net_cents": int(paid["net_sum"]),
        "posted_count": int(paid["posted"]),
        "refund_count": int(refunded["count"]),
        "refunded_cents": int(refunded["succeeded"]),
        "refunds_pending_cents": int(refunded["pending"]),
        "payout_count": int(paid_out["count"]),
        "payouts_cents": int(paid_out["amount"]),
        "start_utc": start.isoformat(),
        "end_utc": end.isoformat(),
        "hours": int((end - start).total_seconds() // 3600),
    }
    return rows, totals


def daily_report_build(
    *, organization: Organization, day: date, now: datetime | None = None
) -> DailyReport:
    """Build (or re-build, replacing it) the report of ``day`` for ``organization``."""
    rows, totals = daily_report_data(organization=organization, day=day)
    report, _created = DailyReport.objects.update_or_create(
        organization=organization,
        day=day,
        defaults={
            "time_zone": str(organization_zone(organization)),
            "rows": rows,
            "totals": totals,
            "generated_at": now or timezone.now(),
        },
    )
    return report


def daily_report_due(organization: Organization, now: datetime) -> date | None:
    """The day to build for ``organization`` at ``now``: yesterday once it is past 06:00
    local time and that day has no report yet; else None."""
    local = now.astimezone(organization_zone(organization))
    if local.time() < BUILD_AFTER:
        return None
    day = local.date() - timedelta(days=1)
    if DailyReport.objects.filter(organization=organization, day=day).exists():
        return None
    return day


def daily_reports_build_due(*, now: datetime | None = None) -> list[int]:
    """Build each organization's due report once and e-mail it (after commit); the ids."""

    now = now or timezone.now()
    built: list[int] = []
    accounts = ConnectedAccount.objects.filter(
        stripe_account_id__isnull=False, deauthorized_at__isnull=True
    ).select_related("organization")
    for account in accounts:
        organization = account.organization
        if daily_report_due(organization, now) is None:
            continue
        with transaction.atomic():
            # The claim: one builder per organization at a time; the row decides "once".
            locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
            day = daily_report_due(organization, now)
            if day is None:
                continue
            report = daily_report_build(organization=organization, day=day, now=now)
            recipients = sorted(
                locked.payout_recipients.values_list("user__email", flat=True).distinct()
            )
            if recipients:
                transaction.on_commit(
                    functools.partial(daily_report_email_send.delay, report.pk, recipients)
                )
            built.append(report.pk)
            logger.info("Daily report %s of %s built", day, organization.slug)
    return built


def daily_report_email_deliver(*, report_id: int, recipients: list[str]) -> None:
    report = DailyReport.objects.select_related("organization").get(pk=report_id)
    organization = report.organization
    tz = ZoneInfo(report.time_zone)
    t = report.totals
    currency = t.get("currency") or "usd"
    context = {
        "organization": organization,
        "report": report,
        "time_zone": report.time_zone,
        "generated_at": report.generated_at.astimezone(tz),
        "count": t.get("count", 0),
        "gross": format_money(t.get("gross_cents", 0), currency),
        "fee": format_money(t.get("fee_cents", 0), currency),
        "net": format_money(t.get("net_cents", 0), currency),
        "refunded": format_money(t.get("refunded_cents", 0), currency),
        "payouts": format_money(t.get("payouts_cents", 0), currency),
        "site_name": settings.SITE_NAME,
        "url": settings.SITE_URL,
    }
    subject = _("%(org)s: daily reconciliation report for %(date)s") % {
        "org": organization,
        "date": report.day.strftime("%b %-d, %Y"),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("payments/email/daily_report.txt", context),
        to=list(recipients),
    )
    message.attach_alternative(
        render_to_string("payments/email/daily_report.html", context), "text/html"
    )
    message.attach(export_filename(report, "csv"), report_csv(report), "text/csv")
    message.send()
