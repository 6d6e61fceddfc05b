"""The daily report as CSV and XLSX: its columns, rows and totals."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl

from payments.exports import CsvWriter, xlsx_cell
from payments.models import DailyReport
from payments.money import decimal_string

MONEY_COLUMNS = {"gross_cents", "fee_cents", "net_cents", "refunded_cents", "payout_cents"}


EXPORT_COLUMNS: list[tuple[str, str]] = [
    ("kind", "Type"),
    ("time_local", "Time ({tz})"),
    ("time_utc", "Time (UTC)"),
    ("number", "Request"),
    ("customer", "Customer"),
    ("team", "Team"),
    ("description", "Description"),
    ("reference", "DBS reference"),
    ("status", "Status"),
    ("currency", "Currency"),
    ("gross_cents", "Gross"),
    ("fee_cents", "Fee"),
    ("net_cents", "Net"),
    ("refunded_cents", "Refunded"),
    ("payout_cents", "Payout"),
    ("payment_intent_id", "Stripe PaymentIntent"),
    ("charge_id", "Stripe charge"),
    ("refund_id", "Stripe refund"),
    ("payout_id", "Stripe payout"),
    ("posted", "Posted to DBS"),
    ("posted_at_local", "Posted at ({tz})"),
    ("posted_reference", "DBS posting reference"),
]


def export_header(report: DailyReport) -> list[str]:
    return [label.format(tz=report.time_zone) for _key, label in EXPORT_COLUMNS]


def export_rows(report: DailyReport) -> list[list[Any]]:
    """Rows as exported: amounts in currency units (exact, from cents), then a totals row."""
    out: list[list[Any]] = []
    for row in report.rows:
        values: list[Any] = []
        for key, _label in EXPORT_COLUMNS:
            value = row.get(key, "")
            if key in MONEY_COLUMNS:
                value = decimal_string(value or 0)
            elif key == "posted":
                value = "yes" if value else "no"
            values.append(value)
        out.append(values)
    t = report.totals
    totals = {
        "kind": "total",
        "description": f"{t.get('count', 0)} payments, {t.get('refund_count', 0)} refunds, "
        f"{t.get('payout_count', 0)} payouts",
        "currency": t.get("currency", ""),
        "gross_cents": decimal_string(t.get("gross_cents", 0)),
        "fee_cents": decimal_string(t.get("fee_cents", 0)),
        "net_cents": decimal_string(t.get("net_cents", 0)),
        "refunded_cents": decimal_string(t.get("refunded_cents", 0)),
        "payout_cents": decimal_string(t.get("payouts_cents", 0)),
    }
    out.append([totals.get(key, "") for key, _label in EXPORT_COLUMNS])
    return out


def export_filename(report: DailyReport, extension: str) -> str:
    return f"{report.organization.slug}-daily-report-{report.day.isoformat()}.{extension}"


def report_csv(report: DailyReport) -> str:
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(export_header(report))
    writer.writerows(export_rows(report))
    return buffer.getvalue()


def report_xlsx(report: DailyReport) -> bytes:
    """The report as an XLSX workbook (needs openpyxl; ImportError without it)."""

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(report.day.isoformat())
    sheet.append(export_header(report))
    money_indexes = {i for i, (key, _l) in enumerate(EXPORT_COLUMNS) if key in MONEY_COLUMNS}
    for values in export_rows(report):
        sheet.append(
            [
                xlsx_cell(sheet, Decimal(v), "#,##0.00")
                if i in money_indexes and v != ""
                else xlsx_cell(sheet, v)
                for i, v in enumerate(values)
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
