"""The Payments tab's exports (F6): the filtered set as CSV or XLSX, in constant memory.

Every time column names its zone (the organization's, then UTC): Stripe's receipts and
dashboard use UTC, the dealership's day is local. Amounts are decimal strings made from
integer cents, never floats; a totals row closes the file."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import CharField, F, Func, QuerySet, Value
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

from payments.exports import CsvWriter, xlsx_cell
from payments.ledger.selectors import PAGE_COLUMNS
from payments.models import PaymentRequest, display_number
from payments.money import decimal_string
from payments.scope import COLLECTED_STATUSES
from teams.models import Organization

CHUNK = 500


AMOUNT_KEYS = ("gross", "fees", "net", "refunded")


def header(zone: str) -> list[str]:
    return [
        "Number",
        f"Requested at ({zone})",
        "Requested at (UTC)",
        f"Paid at ({zone})",
        "Paid at (UTC)",
        "Customer",
        "Customer phone",
        "Team",
        "Advisor",
        "Description",
        "DBS reference",
        "Status",
        "Currency",
        "Gross",
        "Fee",
        "Net",
        "Refunded",
        f"Posted to DBS at ({zone})",
        "Posted by",
        "DBS posting reference",
        "Payment intent",
        "Charge",
        "Card",
    ]


# What a line reads, as values (no model instances: an export can be a million lines).
FIELDS: tuple[str, ...] = (
    "number",
    "description",
    "reference",
    "status",
    "currency",
    "amount_cents",
    "fee_cents",
    "net_cents",
    "refunded_cents",
    "posted_reference",
    "payment_intent_id",
    "charge_id",
    "card_brand",
    "card_last4",
)


COLUMNS = {
    **PAGE_COLUMNS,  # the customer (phone as stored, E.164), team and advisor, as the list
    "poster_name": F("posted_by__full_name"),
    "poster_email": F("posted_by__email"),
}


def _amounts(row: dict[str, Any]) -> dict[str, int]:
    """The line's contribution to the totals: the list's rule (selectors.payments_totals)."""
    collected = row["status"] in COLLECTED_STATUSES
    net = row["net_cents"]
    if net is None:
        net = row["amount_cents"] - row["fee_cents"]
    return {
        "gross": row["amount_cents"] if collected else 0,
        "fees": row["fee_cents"] if collected else 0,
        "net": net if collected else 0,
        "refunded": row["refunded_cents"],
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
    queryset: QuerySet[PaymentRequest], zone: str, *, as_text: bool
) -> Iterator[tuple[dict[str, Any], dict[str, int], dict[str, Any]]]:
    """Each line's values, its amounts and its five times: as text made by the database
    (``as_text``, for CSV) or as aware datetimes converted here (for XLSX)."""
    tz = ZoneInfo(zone)
    columns = dict(COLUMNS)
    fields = FIELDS
    if as_text:
        for name, field, which in TIME_COLUMNS:
            columns[f"{name}_text"] = _local_text(field, zone if which == "local" else "UTC")
    else:
        fields += ("created_at", "paid_at", "posted_at")
    rows = (
        queryset.order_by("-created_at", "-pk")
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
        yield row, _amounts(row), times


def _cells(row: dict[str, Any], amounts: dict[str, int], times: dict, fmt) -> list[Any]:
    net = amounts["net"] if row["status"] in COLLECTED_STATUSES else None
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
        row["status"],
        row["currency"].upper(),
        row["amount_cents"],
        row["fee_cents"],
        net,
        row["refunded_cents"],
        fmt(times["posted_local"]),
        row["poster_name"] or row["poster_email"] or "",
        row["posted_reference"],
        row["payment_intent_id"],
        row["charge_id"],
        f"{row['card_brand']} {row['card_last4']}".strip(),
    ]


AMOUNT_COLUMNS = (13, 14, 15, 16)  # gross, fee, net, refunded


TIME_INDEXES = (1, 2, 3, 4, 17)


def _filename(organization: Organization, ext: str) -> str:
    stamp = timezone.now().astimezone(ZoneInfo(str(organization.time_zone))).strftime("%Y%m%d-%H%M")
    return f"payments-{organization.slug}-{stamp}.{ext}"


def _lines(
    queryset: QuerySet[PaymentRequest], zone: str, *, as_text: bool, fmt: Callable[[Any], Any]
) -> Iterator[list[Any]]:
    """Each payment's cells (amounts in cents), then the totals line: what both files hold."""
    totals = dict.fromkeys(AMOUNT_KEYS, 0)
    count = 0
    for row, amounts, times in _rows(queryset, zone, as_text=as_text):
        count += 1
        for key in AMOUNT_KEYS:
            totals[key] += amounts[key]
        yield _cells(row, amounts, times, fmt)
    total_row: list[Any] = [None] * len(header(zone))
    total_row[0] = f"Total ({count} payments)"
    for index, key in zip(AMOUNT_COLUMNS, AMOUNT_KEYS, strict=True):
        total_row[index] = totals[key]
    yield total_row


def csv_lines(queryset: QuerySet[PaymentRequest], *, zone: str) -> Iterator[str]:
    """The CSV text in pieces of CHUNK lines (one write to the socket each, not one a line)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)

    def fmt(value: str | None) -> str:
        return value or ""

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header(zone))
    yield flush()  # the first bytes at once, before the query's first rows arrive
    for count, cells in enumerate(_lines(queryset, zone, as_text=True, fmt=fmt), start=1):
        for index in AMOUNT_COLUMNS:
            cells[index] = decimal_string(cells[index])
        writer.writerow(cells)
        if count % CHUNK == 0:
            yield flush()
    yield flush()


def csv_response(
    queryset: QuerySet[PaymentRequest], *, zone: str, organization: Organization
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(queryset, zone=zone), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(organization, "csv")}"'
    return response


def xlsx_response(
    queryset: QuerySet[PaymentRequest], *, zone: str, organization: Organization
) -> FileResponse:
    """A write-only workbook (rows go straight to disk) in a temporary file, streamed."""

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Payments")

    def fmt(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=None) if value else None  # Excel has no time zones

    def money(cents: int | None) -> Any:
        if cents is None:
            return None
        return xlsx_cell(sheet, Decimal(cents).scaleb(-2), "#,##0.00")

    sheet.append(header(zone))
    for cells in _lines(queryset, zone, as_text=False, fmt=fmt):
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
