"""Exports of the Payments tab: CSV streamed, XLSX written-only; zones named; exact totals."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation

from payments.badges import status_badge
from payments.models import LedgerEntry, PaymentRequest
from payments.money import decimal_string
from tests.payments.payments_tab import payment_row

URL = "/o/lakeside/payments/"
CHICAGO = ZoneInfo("America/Chicago")


def read_csv(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def payments(ticket, advisor_membership):
    rows = [
        payment_row(
            ticket,
            amount=123_456,
            at=datetime(2026, 7, 14, 23, 30, tzinfo=CHICAGO),
            created_by=advisor_membership.user,
            reference="RO-1",
        ),
        payment_row(ticket, amount=99, at=datetime(2026, 7, 14, 8, 0, tzinfo=CHICAGO)),
        payment_row(
            ticket,
            amount=50_000,
            at=datetime(2026, 7, 14, 12, 0, tzinfo=CHICAGO),
            status="refunded",
            refunded_cents=50_000,
        ),
        payment_row(
            ticket, amount=7_777, at=datetime(2026, 7, 14, 13, 0, tzinfo=CHICAGO), status="open"
        ),
        payment_row(ticket, amount=4_000, at=datetime(2026, 7, 15, 0, 30, tzinfo=CHICAGO)),
    ]
    return rows


def test_decimal_strings_from_integer_cents():
    assert decimal_string(123_456) == "1234.56"
    assert decimal_string(5) == "0.05"
    assert decimal_string(-1_001) == "-10.01"
    assert decimal_string(None) == ""


def test_csv_names_the_zone_of_each_time_column(admin_client, payments):
    header = read_csv(admin_client.get(URL + "export.csv"))[0]
    assert "Paid at (America/Chicago)" in header
    assert "Paid at (UTC)" in header
    assert "Requested at (America/Chicago)" in header
    assert "Requested at (UTC)" in header
    assert "Posted to DBS at (America/Chicago)" in header


def test_csv_totals_equal_the_list_totals_for_a_local_day(admin_client, payments):
    day = {"date_from": "2026-07-14", "date_to": "2026-07-14"}
    list_totals = admin_client.get(URL, day).context["totals"]

    rows = read_csv(admin_client.get(URL + "export.csv", day))

    header, body, total = rows[0], rows[1:-1], rows[-1]
    # the open request (not paid) and the 00:30 next-day payment are out
    assert len(body) == list_totals.count == 3
    names = ("Collected", "Refunds", "Disputes", "Gross", "Fee", "Net", "Number")
    col = {name: header.index(name) for name in names}
    late = next(r for r in body if r[col["Number"]] == payments[0].display_number)
    assert late[header.index("Paid at (America/Chicago)")] == "2026-07-14 23:30:00"
    assert late[header.index("Paid at (UTC)")] == "2026-07-15 04:30:00"
    assert late[col["Collected"]] == "1234.56"
    figures = list_totals.figures("usd")
    for name, value in (
        ("Collected", figures.collected),
        ("Refunds", figures.refunds),
        ("Disputes", figures.disputes),
        ("Gross", figures.gross),
        ("Fee", figures.fees),
        ("Net", figures.net),
    ):
        assert total[col[name]] == decimal_string(value)
    # And the list's totals against the stored rows, to the cent: gross = fee + net.
    stored = PaymentRequest.objects.filter(pk__in=[p.pk for p in payments[:3]])
    assert Decimal(total[col["Collected"]]) * 100 == sum(p.amount_cents for p in stored)
    assert figures.refunds == -50_000
    assert figures.gross == figures.fees + figures.net
    assert (total[0], total[header.index("Currency")]) == ("Total (3 payments)", "USD")


def test_csv_export_follows_the_managers_scope_and_filters(client, manager_membership, payments):
    client.force_login(manager_membership.user)
    rows = read_csv(client.get(URL + "export.csv", {"status": "refunded"}))
    assert len(rows) == 3  # header, one payment, totals
    assert rows[1][rows[0].index("Refunds")] == "-500.00"


def test_csv_streams_from_an_iterator(admin_client, ticket):
    now = timezone.now()
    created = PaymentRequest.objects.bulk_create(
        [
            payment_row(ticket, amount=1_001, at=now - timedelta(seconds=i), save=False)
            for i in range(1_200)
        ]
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            organization_id=p.organization_id,
            kind=LedgerEntry.Kind.CHARGE,
            source=f"payment-{p.pk}",
            currency="usd",
            amount_cents=p.amount_cents,
            occurred_at=p.paid_at,
            payment=p,
        )
        for p in created
    )
    response = admin_client.get(URL + "export.csv")
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="payments-lakeside-')
    rows = read_csv(response)
    assert len(rows) == 1_202
    assert rows[-1][rows[0].index("Gross")] == "12012.00"


def test_advisor_cannot_export(advisor_client, payments):
    assert advisor_client.get(URL + "export.csv").status_code == 403
    assert advisor_client.get(URL + "export.xlsx").status_code == 403


def test_xlsx_has_zoned_headers_exact_amounts_and_totals(admin_client, payments):
    from openpyxl import load_workbook

    day = {"date_from": "2026-07-14", "date_to": "2026-07-14"}
    list_totals = admin_client.get(URL, day).context["totals"]

    response = admin_client.get(URL + "export.xlsx", day)

    assert isinstance(response, FileResponse)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header, total = rows[0], rows[-1]
    assert "Paid at (America/Chicago)" in header and "Paid at (UTC)" in header
    assert len(rows) == 5
    figures = list_totals.figures("usd")
    gross = header.index("Gross")
    assert round(Decimal(str(total[gross])) * 100) == figures.gross
    assert round(Decimal(str(total[header.index("Net")])) * 100) == figures.net
    late = next(r for r in rows if r[0] == payments[0].display_number)
    assert late[header.index("Paid at (America/Chicago)")] == datetime(2026, 7, 14, 23, 30)


def in_french(text: str) -> str:
    with translation.override("fr-ca"):
        translated = translation.gettext(text)
    assert translated != text, "compile the catalogs (make messages)"
    return translated


def test_a_french_reader_s_csv_is_in_french_even_as_it_streams(
    admin_client, admin_membership, payments
):
    admin_membership.user.language = "fr-ca"
    admin_membership.user.save(update_fields=["language"])
    response = admin_client.get(URL + "export.csv")
    translation.activate("en")  # the lines are written after the view returned

    rows = read_csv(response)

    header, total = rows[0], rows[-1]
    assert header[0] == in_french("Number")
    assert in_french("Paid at (%(zone)s)") % {"zone": "America/Chicago"} in header
    statuses = {row[header.index(in_french("Status"))] for row in rows[1:-1]}
    with translation.override("fr-ca"):
        paid = str(status_badge("paid").label)
    assert paid in statuses and paid != "Paid"
    assert not statuses & {"paid", "refunded", "open", "Paid", "Refunded", "Open"}
    with translation.override("fr-ca"):
        expected = translation.ngettext(
            "Total (%(count)s payment)", "Total (%(count)s payments)", len(rows) - 2
        ) % {"count": len(rows) - 2}
    assert total[0] == expected and "paiements" in expected
