"""The Payments tab's exports (F6): the filtered set as CSV or XLSX, in constant memory.

Every time column names its zone (the organization's, then UTC): Stripe's receipts and
dashboard use UTC, the dealership's day is local (rule 12). Amounts are decimal strings made
from integer cents, never floats; a totals row closes the file.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from payments.models import PaymentRequest
from payments.selectors import COLLECTED_STATUSES
from teams.models import Organization

CHUNK = 500
AMOUNT_KEYS = ("gross", "fees", "net", "refunded")


def decimal_string(cents: int | None) -> str:
    """``123456`` → ``"1234.56"``, ``-5`` → ``"-0.05"``: integer arithmetic, no floats."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units}.{rest:02d}"


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


def _amounts(payment: PaymentRequest) -> dict[str, int]:
    """The row's contribution to the totals: the list's rule (selectors.payments_totals)."""
    collected = payment.status in COLLECTED_STATUSES
    net = payment.net_cents if payment.net_cents is not None else payment.dealership_net_cents
    return {
        "gross": payment.amount_cents if collected else 0,
        "fees": payment.fee_cents if collected else 0,
        "net": net if collected else 0,
        "refunded": payment.refunded_cents,
    }


def _rows(
    queryset: QuerySet[PaymentRequest], zone: str
) -> Iterator[tuple[PaymentRequest, dict[str, int], dict[str, datetime | None]]]:
    tz = ZoneInfo(zone)
    payments = (
        queryset.select_related("ticket__customer", "team", "created_by", "posted_by")
        .order_by("-created_at", "-pk")
        .iterator(chunk_size=CHUNK)
    )
    for payment in payments:
        times = {
            "created_local": payment.created_at.astimezone(tz),
            "created_utc": payment.created_at.astimezone(ZoneInfo("UTC")),
            "paid_local": payment.paid_at.astimezone(tz) if payment.paid_at else None,
            "paid_utc": payment.paid_at.astimezone(ZoneInfo("UTC")) if payment.paid_at else None,
            "posted_local": payment.posted_at.astimezone(tz) if payment.posted_at else None,
        }
        yield payment, _amounts(payment), times


def _cells(payment: PaymentRequest, amounts: dict[str, int], times: dict, fmt) -> list[Any]:
    customer = payment.ticket.customer
    net = amounts["net"] if payment.status in COLLECTED_STATUSES else None
    return [
        payment.display_number,
        fmt(times["created_local"]),
        fmt(times["created_utc"]),
        fmt(times["paid_local"]),
        fmt(times["paid_utc"]),
        customer.name,
        str(customer.mobile_phone),
        payment.team.name,
        payment.created_by.get_full_name() if payment.created_by else "",
        payment.description,
        payment.reference,
        payment.status,
        payment.currency.upper(),
        payment.amount_cents,
        payment.fee_cents,
        net,
        payment.refunded_cents,
        fmt(times["posted_local"]),
        payment.posted_by.get_full_name() if payment.posted_by else "",
        payment.posted_reference,
        payment.payment_intent_id,
        payment.charge_id,
        f"{payment.card_brand} {payment.card_last4}".strip(),
    ]


AMOUNT_COLUMNS = (13, 14, 15, 16)  # gross, fee, net, refunded


def _filename(organization: Organization, ext: str) -> str:
    stamp = timezone.now().astimezone(ZoneInfo(str(organization.time_zone))).strftime("%Y%m%d-%H%M")
    return f"payments-{organization.slug}-{stamp}.{ext}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(queryset: QuerySet[PaymentRequest], *, zone: str) -> Iterator[str]:
    writer = csv.writer(_Echo())

    def fmt(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""

    yield writer.writerow(header(zone))
    totals = dict.fromkeys(AMOUNT_KEYS, 0)
    count = 0
    for payment, amounts, times in _rows(queryset, zone):
        count += 1
        for key in AMOUNT_KEYS:
            totals[key] += amounts[key]
        cells = _cells(payment, amounts, times, fmt)
        for index in AMOUNT_COLUMNS:
            cells[index] = decimal_string(cells[index])
        yield writer.writerow(cells)
    total_row: list[Any] = [""] * len(header(zone))
    total_row[0] = f"Total ({count} payments)"
    for index, key in zip(AMOUNT_COLUMNS, AMOUNT_KEYS, strict=True):
        total_row[index] = decimal_string(totals[key])
    yield writer.writerow(total_row)


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
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Payments")

    def fmt(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=None) if value else None  # Excel has no time zones

    def money(cents: int | None) -> Any:
        if cents is None:
            return None
        cell = WriteOnlyCell(sheet, value=Decimal(cents).scaleb(-2))
        cell.number_format = "#,##0.00"
        return cell

    sheet.append(header(zone))
    totals = dict.fromkeys(AMOUNT_KEYS, 0)
    count = 0
    for payment, amounts, times in _rows(queryset, zone):
        count += 1
        for key in AMOUNT_KEYS:
            totals[key] += amounts[key]
        cells = _cells(payment, amounts, times, fmt)
        for index in AMOUNT_COLUMNS:
            cells[index] = money(cells[index])
        for index in (1, 2, 3, 4, 17):
            if cells[index] is not None:
                cell = WriteOnlyCell(sheet, value=cells[index])
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
                cells[index] = cell
        sheet.append(cells)
    total_row: list[Any] = [None] * len(header(zone))
    total_row[0] = f"Total ({count} payments)"
    for index, key in zip(AMOUNT_COLUMNS, AMOUNT_KEYS, strict=True):
        total_row[index] = money(totals[key])
    sheet.append(total_row)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=_filename(organization, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
