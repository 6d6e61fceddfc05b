"""Daily reconciliation: one report per organization and local day, from the ledger.

A report's lines are the day's ledger movements (LedgerEntry, whose ``occurred_at`` falls in
the organization's local day, payments.dates.local_day_bounds), one line per source: a
charge with its fee, a refund with the fee returned, a dispute with its fee, a dispute won
back, a payout. They are written by one INSERT … SELECT and read in pages, so a day of
100,000 payments takes no more memory than a day of ten. Money in is positive, money out
negative; gross = fee + net on every line and every total.

A revision is never changed once built (models.DailyReport). Building a day again compares
the fingerprint of its movements with the latest revision's: the same, nothing happens;
different, a new revision is written with a sentence saying what changed, and e-mailed again
to the recipients of the one before.

The beat job (``daily_reports_build_due``, every 15 minutes) builds the previous local day
once local time is past 06:00 and e-mails it to the payout e-mail recipients, and builds again
each reported day that a movement learnt of since (a late webhook, a refund dated that day)
has changed. Functions that depend on the current time take ``now``."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    Max,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.formats import format_money
from accounts.times import local_date, local_time
from payments.dates import local_day_bounds, organization_zone
from payments.figures import FIGURE_KINDS, LINE_FIGURE, MONEY_KINDS, PAYOUT_KINDS, Figures
from payments.models import (
    ConnectedAccount,
    DailyReport,
    DailyReportLine,
    LedgerEntry,
    PaymentRequest,
    Payout,
    Refund,
)
from payments.models.reports import PAYOUT_ARRIVING
from payments.reports.export import export_filename, report_csv_lines
from payments.reports.selectors import DayTotals, report_get, report_totals
from payments.reports.tasks import daily_report_email_send
from teams.models import Organization, Team
from tickets.models import Customer, Ticket

logger = logging.getLogger(__name__)

BUILD_AFTER = time(6, 0)  # local time from which the previous day's report is built
LATE_LOOKBACK = timedelta(days=7)  # how far back the beat looks for movements learnt late
# A movement committed while a report was being built may carry a time just before the
# report's: days with movements written this close before their latest revision are
# fingerprinted again (the same fingerprint writes nothing).
LATE_MARGIN = timedelta(minutes=5)
ZERO = Value(0, output_field=BigIntegerField())


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


# One row per source and day: the day's entries of a source, grouped (a dispute and the same
# dispute won back on the same day are two lines, as are a payout and its return).
_GROUPED = f"""
    SELECT e.source,
           COALESCE(MAX(e.kind) FILTER (WHERE e.kind IN {_in(MONEY_KINDS + PAYOUT_KINDS)}),
                    MAX(e.kind)) AS kind,
           MIN(e.occurred_at) AS occurred_at,
           e.currency,
           COALESCE(SUM(e.amount_cents) FILTER (WHERE e.kind IN {_in(MONEY_KINDS)}), 0) AS gross,
           -COALESCE(SUM(e.amount_cents)
                     FILTER (WHERE e.kind IN {_in(FIGURE_KINDS["fees"])}), 0) AS fee,
           -COALESCE(SUM(e.amount_cents) FILTER (WHERE e.kind IN {_in(PAYOUT_KINDS)}), 0)
               AS payout,
           MAX(e.payment_id) AS payment_id,
           MAX(e.refund_id) AS refund_id,
           MAX(e.payout_id) AS payout_id
      FROM {_table(LedgerEntry)} e
     WHERE e.organization_id = %(organization)s
       AND e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
     GROUP BY e.source, e.currency, e.kind IN ('dispute_won', 'payout_reversal')
"""  # noqa: S608 (constants only: our table names and kind codes)

_DIGEST = f"""
    SELECT COALESCE(md5(string_agg(
               concat_ws(',', g.source, g.kind, g.currency, g.gross, g.fee, g.payout), ';'
               ORDER BY g.source, g.kind)), '')
      FROM ({_GROUPED}) g
"""  # noqa: S608 (constants only: our table names and kind codes)

_INSERT = f"""
    INSERT INTO {_table(DailyReportLine)} (
        report_id, position, kind, source, occurred_at, currency, gross_cents, fee_cents,
        net_cents, payout_cents, payment_id, team_id, number, customer, team_name,
        description, reference, status, payment_intent_id, charge_id, refund_id, payout_id,
        posted, posted_at, posted_reference)
    SELECT %(report)s,
           row_number() OVER (ORDER BY g.occurred_at, g.source, g.kind),
           g.kind, g.source, g.occurred_at, g.currency, g.gross, g.fee, g.gross - g.fee,
           g.payout, g.payment_id, p.team_id,
           COALESCE(CASE WHEN p.number >= 1000000 THEN 'R-' || p.number
                         ELSE 'R-' || lpad(p.number::text, 6, '0') END, ''),
           COALESCE(c.name, ''), COALESCE(tm.name, ''),
           COALESCE(p.description,
                    CASE WHEN o.id IS NOT NULL
                         THEN '{PAYOUT_ARRIVING}' || to_char(o.arrival_date, 'YYYY-MM-DD') END,
                    ''),
           COALESCE(p.reference, ''),
           COALESCE(CASE WHEN g.kind IN ('refund', 'adjustment') THEN r.status END,
                    CASE WHEN g.kind IN {_in(PAYOUT_KINDS)} THEN o.status END, p.status, ''),
           COALESCE(p.payment_intent_id, ''), COALESCE(p.charge_id, ''),
           COALESCE(r.stripe_refund_id, ''), COALESCE(o.stripe_payout_id, ''),
           p.posted_at IS NOT NULL, p.posted_at, COALESCE(p.posted_reference, '')
      FROM ({_GROUPED}) g
      LEFT JOIN {_table(PaymentRequest)} p ON p.id = g.payment_id
      LEFT JOIN {_table(Ticket)} t ON t.id = p.ticket_id
      LEFT JOIN {_table(Customer)} c ON c.id = t.customer_id
      LEFT JOIN {_table(Team)} tm ON tm.id = p.team_id
      LEFT JOIN {_table(Refund)} r ON r.id = g.refund_id
      LEFT JOIN {_table(Payout)} o ON o.id = g.payout_id
"""  # noqa: S608 (constants only: our table names and kind codes)

# What changed between two revisions, line by line (a line is its source and kind).
_COMPARE = f"""
    SELECT COUNT(*) FILTER (WHERE a.id IS NULL),
           COUNT(*) FILTER (WHERE b.id IS NULL),
           COUNT(*) FILTER (WHERE a.id IS NOT NULL AND b.id IS NOT NULL
                            AND (a.gross_cents, a.fee_cents, a.payout_cents, a.currency)
                                IS DISTINCT FROM
                                (b.gross_cents, b.fee_cents, b.payout_cents, b.currency))
      FROM (SELECT * FROM {_table(DailyReportLine)} WHERE report_id = %(old)s) a
      FULL OUTER JOIN (SELECT * FROM {_table(DailyReportLine)} WHERE report_id = %(new)s) b
        ON a.source = b.source AND a.kind = b.kind
"""  # noqa: S608 (constants only: our table names and kind codes)


def _lines_totals(report_id: int) -> dict[str, dict[str, int]]:
    """Sum the stored lines of a revision, per currency, in the database."""
    sums: dict[str, Any] = {
        "lines": Count("pk"),
        "charges": Count("pk", filter=Q(kind=LedgerEntry.Kind.CHARGE)),
        "posted": Count("pk", filter=Q(kind=LedgerEntry.Kind.CHARGE, posted=True)),
        "fees": Coalesce(Sum("fee_cents"), ZERO),
        "payouts": Coalesce(Sum("payout_cents"), ZERO),
    }
    for name in ("collected", "refunds", "disputes"):
        kinds = [kind for kind, figure in LINE_FIGURE.items() if figure == name]
        sums[name] = Coalesce(Sum("gross_cents", filter=Q(kind__in=kinds)), ZERO)
        sums[f"{name}_fee"] = Coalesce(Sum("fee_cents", filter=Q(kind__in=kinds)), ZERO)
    rows: Any = (
        DailyReportLine.objects.filter(report_id=report_id)
        .order_by()
        .values("currency")
        .annotate(**sums)
    )
    return {str(row["currency"]): {key: int(row[key]) for key in sums} for row in rows}


def _figures_compared(old: DailyReport, new: DailyReport) -> list[str]:
    words = {
        "collected": _("collected"),
        "refunds": _("refunds"),
        "disputes": _("disputes"),
        "fees": _("fees"),
        "net": _("net"),
        "payouts": _("paid out"),
    }
    before = {t.currency: t for t in report_totals(old)}
    after = {t.currency: t for t in report_totals(new)}
    said: list[str] = []
    for currency in sorted(set(before) | set(after)):
        a = before.get(currency, DayTotals(currency, Figures()))
        b = after.get(currency, DayTotals(currency, Figures()))
        for key, word in words.items():
            was = a.payouts if key == "payouts" else getattr(a.figures, key)
            now = b.payouts if key == "payouts" else getattr(b.figures, key)
            if was != now:
                said.append(
                    _("%(figure)s %(was)s → %(now)s")
                    % {
                        "figure": word,
                        "was": format_money(was, currency),
                        "now": format_money(now, currency),
                    }
                )
    return said


def _changes(old: DailyReport, new: DailyReport) -> str:
    """A sentence an accountant reads: what the new revision changes in the old one."""
    with connection.cursor() as cursor:
        cursor.execute(_COMPARE, {"old": old.pk, "new": new.pk})
        added, removed, changed = cursor.fetchone()
    parts = []
    if added:
        parts.append(ngettext("%(n)d line added", "%(n)d lines added", added) % {"n": added})
    if changed:
        parts.append(
            ngettext("%(n)d line changed", "%(n)d lines changed", changed) % {"n": changed}
        )
    if removed:
        parts.append(
            ngettext("%(n)d line removed", "%(n)d lines removed", removed) % {"n": removed}
        )
    sentence = _("Replaces revision %(old)d built %(when)s: %(what)s.") % {
        "old": old.revision,
        "when": local_time(old.generated_at, new.time_zone),
        "what": ", ".join(parts) or _("the lines were rebuilt"),
    }
    figures = _figures_compared(old, new)
    if figures:
        sentence += " " + _("Totals: %(figures)s.") % {"figures": "; ".join(figures)}
    return sentence


def daily_report_changes(report: DailyReport) -> str:
    """What ``report`` changes in the revision before it, in the active language. The text
    stored with it (``changes``) is in the language its builder spoke, the beat job's; a
    revision never changes, so telling it again gives the same facts in the reader's words."""
    if report.revision < 2:
        return ""
    previous = DailyReport.objects.filter(
        organization_id=report.organization_id, day=report.day, revision=report.revision - 1
    ).first()
    return _changes(previous, report) if previous is not None else report.changes


def daily_reports_told(reports: Iterable[DailyReport]) -> None:
    """Each revised report's ``changes`` in the active language, to show (never saved)."""
    for report in reports:
        if report.revision > 1:
            report.changes = daily_report_changes(report)


def _digest(organization: Organization, start: datetime, end: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute(_DIGEST, {"organization": organization.pk, "start": start, "end": end})
        return cursor.fetchone()[0]


def daily_report_build(
    *,
    organization: Organization,
    day: date,
    now: datetime | None = None,
    recipients: list[str] | None = None,
) -> tuple[DailyReport, bool]:
    """The report of ``day``: its first revision, or a new one if the day's movements differ
    from the latest revision; else the latest, unchanged. Returns (report, whether built).

    A first revision is e-mailed to ``recipients``; a later one to the recipients of the
    revision it replaces (after commit, through the task queue)."""
    tz = organization_zone(organization)
    start, end = local_day_bounds(day, tz)
    with transaction.atomic():
        # One builder of an organization's reports at a time: revisions count up by one.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        previous = report_get(organization, day, None)
        digest = _digest(organization, start, end)
        if previous is not None and previous.digest == digest:
            return previous, False
        report = DailyReport.objects.create(
            organization=organization,
            day=day,
            revision=previous.revision + 1 if previous else 1,
            time_zone=str(tz),
            starts_at=start,
            ends_at=end,
            digest=digest,
            generated_at=now or timezone.now(),
            recipients=sorted(set(previous.recipients if previous else recipients or [])),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                _INSERT,
                {"report": report.pk, "organization": organization.pk, "start": start, "end": end},
            )
        report.totals = _lines_totals(report.pk)
        if previous is not None:
            report.changes = _changes(previous, report)
        report.save(update_fields=["totals", "changes"])
        if report.recipients:
            transaction.on_commit(
                functools.partial(daily_report_email_send.delay, report.pk, report.recipients)
            )
    logger.info("Daily report %s r%d of %s built", day, report.revision, organization.slug)
    return report, True


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


def days_changed_since_reported(organization: Organization, now: datetime) -> list[date]:
    """Reported days that a movement written after their latest revision belongs to, among
    the movements written in the last LATE_LOOKBACK: two queries (the movements by the
    ledger's (organization, created_at) index, grouped by local day; the days' reports)."""
    tz = organization_zone(organization)
    last_written = dict(
        LedgerEntry.objects.filter(organization=organization, created_at__gte=now - LATE_LOOKBACK)
        .annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .order_by()
        .values_list("day")
        .annotate(last=Max("created_at"))
    )
    reported = (
        DailyReport.objects.filter(organization=organization, day__in=list(last_written))
        .order_by("day", "-revision")
        .distinct("day")
        .values_list("day", "generated_at")
    )
    return sorted(day for day, at in reported if last_written[day] > at - LATE_MARGIN)


def daily_reports_build_due(*, now: datetime | None = None) -> list[int]:
    """Build each organization's due report once and e-mail it, and build again the days
    changed since they were reported; the ids of the revisions built."""

    now = now or timezone.now()
    built: list[int] = []
    accounts = ConnectedAccount.objects.filter(
        stripe_account_id__isnull=False, deauthorized_at__isnull=True
    ).select_related("organization")
    for account in accounts:
        organization = account.organization
        day = daily_report_due(organization, now)
        if day is not None:
            with transaction.atomic():
                # The claim: one builder per organization at a time; the row decides "once".
                locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
                if daily_report_due(organization, now) == day:
                    recipients = list(
                        locked.payout_recipients.values_list("user__email", flat=True)
                    )
                    report, _built = daily_report_build(
                        organization=organization, day=day, now=now, recipients=recipients
                    )
                    built.append(report.pk)
        for late_day in days_changed_since_reported(organization, now):
            report, was_built = daily_report_build(organization=organization, day=late_day, now=now)
            if was_built:
                built.append(report.pk)
    return built


def daily_report_email_deliver(*, report_id: int, recipients: list[str]) -> None:
    report = DailyReport.objects.select_related("organization").get(pk=report_id)
    organization = report.organization
    with translation.override(organization.email_language):
        daily_reports_told([report])
        context = {
            "organization": organization,
            "report": report,
            "totals": report_totals(report),
            "site_name": settings.SITE_NAME,
            "url": settings.SITE_URL,
        }
        when = local_date(report.day)
        if report.revision > 1:
            subject = _("%(org)s: daily reconciliation report for %(date)s, revision %(n)d") % {
                "org": organization,
                "date": when,
                "n": report.revision,
            }
        else:
            subject = _("%(org)s: daily reconciliation report for %(date)s") % {
                "org": organization,
                "date": when,
            }
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("payments/email/daily_report.txt", context),
            to=list(recipients),
        )
        message.attach_alternative(
            render_to_string("payments/email/daily_report.html", context), "text/html"
        )
        message.attach(
            export_filename(report, "csv"), "".join(report_csv_lines(report, None)), "text/csv"
        )
        message.send()
