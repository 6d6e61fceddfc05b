"""The daily report as CSV and XLSX: a line per movement, read from the stored lines in pages
(constant memory whatever the day's size), then per currency the totals of charges, refunds,
disputes and payouts and the day's total. gross = fee + net on every row."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from openpyxl import Workbook

from payments.exports import csv_pieces, xlsx_cell
from payments.models import DailyReport, DailyReportLine, LedgerEntry
from payments.money import decimal_string
from payments.reports.selectors import (
    iter_lines,
    line_status,
    report_hidden,
    report_lines,
    report_totals,
)
from teams.models import Membership

MONEY_INDEXES = (10, 11, 12, 13)
TIME_INDEXES = (1, 2, 19)
KIND_LABELS = {**dict(LedgerEntry.Kind.choices), "other_teams": _lazy("Other teams")}
CHUNK = 1000


def export_header(report: DailyReport) -> list[str]:
    """The columns' names, in the reader's language (files are read by people too)."""
    zone = {"zone": report.time_zone}
    return [
        _("Type"),
        _("Time (%(zone)s)") % zone,
        _("Time (UTC)"),
        _("Request"),
        _("Customer"),
        _("Team"),
        _("Description"),
        _("DBS reference"),
        _("Status"),
        _("Currency"),
        _("Gross"),
        _("Fee"),
        _("Net"),
        _("Payout"),
        _("Stripe PaymentIntent"),
        _("Stripe charge"),
        _("Stripe refund"),
        _("Stripe payout"),
        _("Posted to DBS"),
        _("Posted at (%(zone)s)") % zone,
        _("DBS posting reference"),
    ]


COLUMN_COUNT = 21


def export_filename(report: DailyReport, extension: str) -> str:
    revision = f"-r{report.revision}" if report.revision > 1 else ""
    return f"{report.organization.slug}-daily-report-{report.day.isoformat()}{revision}.{extension}"


def _line_cells(line: DailyReportLine) -> list[Any]:
    return [
        str(KIND_LABELS.get(line.kind, line.kind)),
        line.occurred_at,
        line.occurred_at,
        line.number,
        line.customer,
        line.team_name,
        line.description,
        line.reference,
        line_status(line),
        line.currency.upper(),
        line.gross_cents,
        line.fee_cents,
        line.net_cents,
        line.payout_cents,
        line.payment_intent_id,
        line.charge_id,
        line.refund_id,
        line.payout_id,
        (_("yes") if line.posted else _("no")) if line.payment_id else "",
        line.posted_at,
        line.posted_reference,
    ]


def _row(kind: str, currency: str, description: str, money: tuple[int, ...]) -> list[Any]:
    cells: list[Any] = [None] * COLUMN_COUNT
    cells[0], cells[6], cells[9] = kind, description, currency.upper()
    for index, cents in zip(MONEY_INDEXES, money, strict=True):
        cells[index] = cents
    return cells


def export_rows(report: DailyReport, membership: Membership | None) -> Iterator[list[Any]]:
    """Every row of both files, amounts in cents and times as instants: the lines the member
    reads, one "other teams" line per currency for the rest, then the totals."""
    for line in iter_lines(report_lines(report, membership)):
        yield _line_cells(line)
    for hidden in report_hidden(report, membership):
        yield _row(
            _("Other teams"),
            hidden.currency,
            ngettext(
                "%(count)s line of teams whose payments you do not see",
                "%(count)s lines of teams whose payments you do not see",
                hidden.count,
            )
            % {"count": hidden.count},
            (hidden.gross_cents, hidden.fee_cents, hidden.net_cents, 0),
        )
    for t in report_totals(report):
        f = t.figures
        for name, label in (
            ("collected", _("Total charges")),
            ("refunds", _("Total refunds")),
            ("disputes", _("Total disputes")),
        ):
            gross, fee = getattr(f, name), t.fees_of(name)
            yield _row(label, t.currency, "", (gross, fee, gross - fee, 0))
        yield _row(_("Total payouts"), t.currency, "", (0, 0, 0, t.payouts))
        yield _row(
            _("Total"),
            t.currency,
            _("Lines: %(lines)s, charges: %(charges)s") % {"lines": t.lines, "charges": t.charges},
            (f.gross, f.fees, f.net, t.payouts),
        )


def report_csv_lines(report: DailyReport, membership: Membership | None) -> Iterator[str]:
    """The CSV text in pieces of CHUNK rows, in the reader's language. Times: ISO 8601 with
    their UTC offset, which tells the repeated hour of the day daylight saving ends apart."""
    zone = ZoneInfo(report.time_zone)
    language = translation.get_language()  # the rows are written while the response streams

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            for cells in export_rows(report, membership):
                for index in MONEY_INDEXES:
                    cells[index] = decimal_string(cells[index] or 0)
                for index in TIME_INDEXES:
                    at: datetime | None = cells[index]
                    target = UTC if index == 2 else zone
                    cells[index] = at.astimezone(target).isoformat(timespec="seconds") if at else ""
                yield ["" if value is None else value for value in cells]

    return csv_pieces(export_header(report), rows(), chunk=CHUNK)


def report_xlsx(report: DailyReport, membership: Membership | None) -> IO[bytes]:
    """A write-only workbook (rows go straight to a temporary file), rewound for reading.
    Excel has no time zones: local times are the zone's wall clock, named in the header."""
    zone = ZoneInfo(report.time_zone)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(report.day.isoformat())
    sheet.append(export_header(report))
    for cells in export_rows(report, membership):
        for index, value in enumerate(cells):
            if index in MONEY_INDEXES:
                cells[index] = xlsx_cell(sheet, Decimal(value or 0).scaleb(-2), "#,##0.00")
            elif index in TIME_INDEXES:
                target = UTC if index == 2 else zone
                local = value.astimezone(target).replace(tzinfo=None) if value else None
                cells[index] = xlsx_cell(sheet, local, "yyyy-mm-dd hh:mm:ss")
            elif value is not None:
                cells[index] = xlsx_cell(sheet, value)
        sheet.append(cells)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the caller closes it
    workbook.save(handle)
    handle.seek(0)
    return handle
