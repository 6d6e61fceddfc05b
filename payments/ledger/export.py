"""The Payments tab's exports (F6): the filtered set as CSV or XLSX, in constant memory.

Every time column names its zone (the organization's, then UTC): Stripe's receipts and
dashboard use UTC, the dealership's day is local. Amounts are the payment's ledger figures
within the chosen days, as the list shows them (collected, refunds, disputes, gross = fee +
net), decimal strings made from integer cents, never floats; a totals row per currency closes
the file, equal to the list's cards."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import CharField, F, Func, Value
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook

from payments.badges import status_badge
from payments.exports import csv_pieces, xlsx_cell
from payments.figures import Figures
from payments.ledger.selectors import PAGE_COLUMNS, Selection, ordered
from payments.models import display_number
from payments.money import decimal_string
from payments.scope import COLLECTED_STATUSES
from teams.models import Organization

CHUNK = 500


def header(zone: str) -> list[str]:
    """The columns' names, in the reader's language (files are read by people too)."""
    local = {"zone": zone}
    return [
        _("Number"),
        _("Requested at (%(zone)s)") % local,
        _("Requested at (UTC)"),
        _("Paid at (%(zone)s)") % local,
        _("Paid at (UTC)"),
        _("Customer"),
        _("Customer phone"),
        _("Team"),
        _("Advisor"),
        _("Description"),
        _("DBS reference"),
        _("Status"),
        _("Currency"),
        _("Collected"),
        _("Refunds"),
        _("Disputes"),
        _("Gross"),
        _("Fee"),
        _("Net"),
        _("Posted to DBS at (%(zone)s)") % local,
        _("Posted by"),
        _("DBS posting reference"),
        _("Payment intent"),
        _("Charge"),
        _("Card"),
    ]


COLUMN_COUNT = 25


# What a line reads, as values (no model instances: an export can be a million lines).
FIELDS: tuple[str, ...] = (
    "number",
    "description",
    "reference",
    "status",
    "currency",
    "amount_cents",
    "figures",
    "posted_reference",
    "payment_intent_id",
    "charge_id",
    "card_brand",
    "card_last4",
)


COLUMNS = {
    **PAGE_COLUMNS,  # the customer (phone as stored, E.164) and advisor, as the list
    "team_name": F("team__name"),
    "poster_name": F("posted_by__full_name"),
    "poster_email": F("posted_by__email"),
}


TIME_COLUMNS = (
    ("created_local", "created_at", "local"),
    ("created_utc", "created_at", "UTC"),
    ("paid_local", "paid_at", "local"),
    ("paid_utc", "paid_at", "UTC"),
    ("posted_local", "posted_at", "local"),
)


def _local_text(field: str, zone: str) -> Func:
    """``field`` as wall-clock text of ``zone``, written by PostgreSQL (to_char in C is far
    cheaper than a datetime object and strftime a cell, a million times)."""
    return Func(
        Func(Value(zone), F(field), function="timezone"),
        Value("YYYY-MM-DD HH24:MI:SS"),
        function="to_char",
        output_field=CharField(),
    )


def _rows(
    selection: Selection, zone: str, *, as_text: bool
) -> Iterator[tuple[dict[str, Any], Figures | None, dict[str, Any]]]:
    """Each line's values, its figures (None for a request that moved no money) and its five
    times: as text made by the database (``as_text``, for CSV) or as aware datetimes
    converted here (for XLSX)."""
    tz = ZoneInfo(zone)
    columns = dict(COLUMNS)
    fields = FIELDS
    if as_text:
        for name, field, which in TIME_COLUMNS:
            columns[f"{name}_text"] = _local_text(field, zone if which == "local" else "UTC")
    else:
        fields += ("created_at", "paid_at", "posted_at")
    rows = (
        ordered(selection)
        .values(*fields, **columns)
        .iterator(chunk_size=CHUNK)  # a server-side cursor: CHUNK rows in memory at a time
    )
    for row in rows:
        if as_text:
            times = {name: row[f"{name}_text"] for name, _field, _which in TIME_COLUMNS}
        else:
            times = {
                name: row[field].astimezone(tz if which == "local" else UTC) if row[field] else None
                for name, field, which in TIME_COLUMNS
            }
        moved = row["status"] in COLLECTED_STATUSES
        yield row, Figures.from_signed(row["figures"]) if moved else None, times


def _amount_cells(figures: Figures | None) -> list[int | None]:
    if figures is None:
        return [None] * len(AMOUNT_COLUMNS)
    f = figures
    return [f.collected, f.refunds, f.disputes, f.gross, f.fees, f.net]


def _cells(row: dict[str, Any], figures: Figures | None, times: dict, fmt) -> list[Any]:
    return [
        display_number(row["number"]),
        fmt(times["created_local"]),
        fmt(times["created_utc"]),
        fmt(times["paid_local"]),
        fmt(times["paid_utc"]),
        row["customer_name"],
        row["customer_phone"],
        row["team_name"],
        row["advisor_name"] or row["advisor_email"] or "",
        row["description"],
        row["reference"],
        str(status_badge(row["status"]).label),
        row["currency"].upper(),
        *_amount_cells(figures),
        fmt(times["posted_local"]),
        row["poster_name"] or row["poster_email"] or "",
        row["posted_reference"],
        row["payment_intent_id"],
        row["charge_id"],
        f"{row['card_brand']} {row['card_last4']}".strip(),
    ]


AMOUNT_COLUMNS = (13, 14, 15, 16, 17, 18)  # collected, refunds, disputes, gross, fee, net


TIME_INDEXES = (1, 2, 3, 4, 19)


def _filename(organization: Organization, ext: str) -> str:
    stamp = timezone.now().astimezone(ZoneInfo(str(organization.time_zone))).strftime("%Y%m%d-%H%M")
    return f"payments-{organization.slug}-{stamp}.{ext}"


def _lines(
    selection: Selection, zone: str, *, as_text: bool, fmt: Callable[[Any], Any]
) -> Iterator[list[Any]]:
    """Each payment's cells (amounts in cents), then a totals line per currency (one when
    nothing was collected): what both files hold."""
    totals: dict[str, Figures] = {}
    count = 0
    for row, figures, times in _rows(selection, zone, as_text=as_text):
        count += 1
        if figures is not None:
            currency = row["currency"].upper()
            totals[currency] = totals.get(currency, Figures()) + figures
        yield _cells(row, figures, times, fmt)
    for currency, figures in sorted(totals.items()) or [("", Figures())]:
        total_row: list[Any] = [None] * COLUMN_COUNT
        total_row[0] = ngettext(
            "Total (%(count)s payment)", "Total (%(count)s payments)", count
        ) % {"count": count}
        total_row[12] = currency or None
        for index, cents in zip(AMOUNT_COLUMNS, _amount_cells(figures), strict=True):
            total_row[index] = cents
        yield total_row


def csv_lines(selection: Selection, *, zone: str) -> Iterator[str]:
    """The CSV text in pieces of CHUNK lines, in the reader's language."""
    language = translation.get_language()  # the lines are written while the response streams

    def fmt(value: str | None) -> str:
        return value or ""

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            for cells in _lines(selection, zone, as_text=True, fmt=fmt):
                for index in AMOUNT_COLUMNS:
                    cells[index] = "" if cells[index] is None else decimal_string(cells[index])
                yield cells

    return csv_pieces(header(zone), rows(), chunk=CHUNK)


def csv_response(
    selection: Selection, *, zone: str, organization: Organization
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(selection, zone=zone), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(organization, "csv")}"'
    return response


def xlsx_response(selection: Selection, *, zone: str, organization: Organization) -> FileResponse:
    """A write-only workbook (rows go straight to disk) in a temporary file, streamed."""

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Payments"))

    def fmt(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=None) if value else None  # Excel has no time zones

    def money(cents: int | None) -> Any:
        if cents is None:
            return None
        return xlsx_cell(sheet, Decimal(cents).scaleb(-2), "#,##0.00")

    sheet.append(header(zone))
    for cells in _lines(selection, zone, as_text=False, fmt=fmt):
        for index, value in enumerate(cells):
            if index in AMOUNT_COLUMNS:
                cells[index] = money(value)
            elif index in TIME_INDEXES:
                cells[index] = xlsx_cell(sheet, value, "yyyy-mm-dd hh:mm:ss")
            elif value is not None:
                cells[index] = xlsx_cell(sheet, value)
        sheet.append(cells)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=_filename(organization, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
