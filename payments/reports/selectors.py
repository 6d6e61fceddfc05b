"""Reads of the daily reports: revisions, their totals, and their lines as a member may read
them (lines of teams whose payments they do not see are summed into one line)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from payments.badges import STATUS_BADGES
from payments.figures import PAYOUT_KINDS, Figures
from payments.models import DailyReport, DailyReportLine, Refund
from payments.models.payouts import PAYOUT_STATUSES
from teams.access import payment_teams_seen
from teams.models import Membership, Organization

OTHER_TEAMS = "other_teams"


@dataclass(frozen=True)
class DayTotals:
    """A report's sums in one currency, from its lines: the figures, the fees of each
    figure's lines (``collected_fee``: the fees of the charges), counts and payouts."""

    currency: str
    figures: Figures
    lines: int = 0
    charges: int = 0
    posted: int = 0
    payouts: int = 0
    stored: dict[str, int] | None = None

    def fees_of(self, figure: str) -> int:
        return (self.stored or {}).get(f"{figure}_fee", 0)

    @classmethod
    def from_stored(cls, currency: str, t: dict[str, int]) -> DayTotals:
        return cls(
            currency=currency,
            figures=Figures(
                t.get("collected", 0), t.get("refunds", 0), t.get("disputes", 0), t.get("fees", 0)
            ),
            lines=t.get("lines", 0),
            charges=t.get("charges", 0),
            posted=t.get("posted", 0),
            payouts=t.get("payouts", 0),
            stored=t,
        )


def report_totals(report: DailyReport) -> list[DayTotals]:
    """The report's totals, one per currency, in currency order."""
    return [DayTotals.from_stored(c, t) for c, t in sorted((report.totals or {}).items())]


@dataclass(frozen=True)
class HiddenLines:
    """The lines of teams whose payments the reader does not see, summed per currency."""

    currency: str
    count: int
    gross_cents: int
    fee_cents: int
    net_cents: int
    kind: str = OTHER_TEAMS


def _unseen(membership: Membership | None) -> Q | None:
    """The lines a member may not read one by one (payments of teams they do not see), or None
    when they read every line (admins, and the e-mail, which goes to chosen recipients)."""
    seen = payment_teams_seen(membership) if membership is not None else None
    if seen is None:
        return None
    return Q(payment__isnull=False) & (Q(team__isnull=True) | ~Q(team_id__in=seen))


def report_lines(report: DailyReport, membership: Membership | None) -> QuerySet[DailyReportLine]:
    """The lines the member reads one by one, in the report's order."""
    lines = DailyReportLine.objects.filter(report=report).order_by("position")
    unseen = _unseen(membership)
    return lines if unseen is None else lines.exclude(unseen)


def line_status(line: DailyReportLine) -> str:
    """A line's status in words: a refund's on a refund or dispute line, a payout's on a
    payout line, else the payment's (as the Payments tab says it)."""
    labels: dict[str, Any]
    if line.kind in ("refund", "adjustment"):
        labels = dict(Refund.Status.choices)
    elif line.kind in PAYOUT_KINDS:
        labels = dict(PAYOUT_STATUSES)
    else:
        labels = {status: badge.label for status, badge in STATUS_BADGES.items()}
    return str(labels.get(line.status, line.status))


def report_hidden(report: DailyReport, membership: Membership | None) -> list[HiddenLines]:
    """One "other teams" line per currency, so the day still adds up to its totals."""
    unseen = _unseen(membership)
    if unseen is None:
        return []
    rows = (
        DailyReportLine.objects.filter(unseen, report=report)
        .order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            gross=Sum("gross_cents"),
            fee=Sum("fee_cents"),
            net=Sum("net_cents"),
        )
        .order_by("currency")
    )
    return [
        HiddenLines(r["currency"], r["count"], int(r["gross"]), int(r["fee"]), int(r["net"]))
        for r in rows
    ]


def report_get(organization: Organization, day: date, revision: int | None) -> DailyReport | None:
    """A revision of the day's report (the latest without ``revision``)."""
    reports = DailyReport.objects.filter(organization=organization, day=day).select_related(
        "organization"
    )
    if revision is not None:
        return reports.filter(revision=revision).first()
    return reports.order_by("-revision").first()


def report_revisions(report: DailyReport) -> QuerySet[DailyReport]:
    return (
        DailyReport.objects.filter(organization_id=report.organization_id, day=report.day)
        .only("pk", "day", "revision", "generated_at", "time_zone", "changes", "recipients")
        .order_by("-revision")
    )


def reports_latest(organization: Organization, limit: int = 400) -> list[DailyReport]:
    """The latest revision of each day, newest day first."""
    return list(
        DailyReport.objects.filter(organization=organization)
        .order_by("-day", "-revision")
        .distinct("day")[:limit]
    )


def iter_lines(lines: QuerySet[DailyReportLine]) -> Iterator[DailyReportLine]:
    """The lines in pages of 2,000 from a server-side cursor: constant memory."""
    return lines.iterator(chunk_size=2000)
