"""Daily reconciliation reports from the ledger: local-day boundaries, DST, totals to the
cent, revisions instead of changes in place, the beat job per time zone and its e-mails, the
Reports page and its files."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.formats import format_number
from payments import dates, movements
from payments.models import (
    ConnectedAccount,
    DailyReport,
    DailyReportLine,
    PaymentRequest,
    Payout,
    Refund,
)
from payments.reports import export as reports_export
from payments.reports import services as reports_services
from payments.reports.tasks import daily_reports_run
from tests.factories import OrganizationFactory

CHICAGO = ZoneInfo("America/Chicago")
_tokens = itertools.count(1)


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


@pytest.fixture
def pay(connected_account, ticket):
    """A paid request at ``paid_at`` (created with the ORM: fast and explicit)."""

    def _pay(paid_at: datetime, amount_cents: int = 10_000, **fields) -> PaymentRequest:
        n = next(_tokens)
        values = {
            "organization": ticket.organization,
            "ticket": ticket,
            "team": ticket.team,
            "amount_cents": amount_cents,
            "currency": "usd",
            "description": f"Service {n}",
            "reference": f"RO-{1000 + n}",
            "token": f"tok-report-{n}",
            "fee_cents": 30 + amount_cents * 325 // 10_000,
            "status": PaymentRequest.Status.PAID,
            "paid_at": paid_at,
            "payment_intent_id": f"pi_report_{n}",
            "charge_id": f"ch_report_{n}",
        }
        values.update(fields)
        request = PaymentRequest.objects.create(**values)
        if "net_cents" not in fields:
            request.net_cents = request.amount_cents - request.fee_cents
            request.save(update_fields=["net_cents"])
        movements.charge_recorded(payment=request)
        return request

    return _pay


def refund(
    payment: PaymentRequest,
    created_at: datetime,
    status=Refund.Status.SUCCEEDED,
    amount=None,
    fee_returned=False,
) -> Refund:
    """A refund; a succeeded one moves its money in the ledger at ``created_at``."""
    made = Refund.objects.create(
        organization=payment.organization,
        payment=payment,
        stripe_refund_id=f"re_{payment.pk}_{status}",
        amount_cents=amount or payment.amount_cents,
        currency=payment.currency,
        status=status,
        created_at=created_at,
        fee_returned=fee_returned,
    )
    if status == Refund.Status.SUCCEEDED:
        movements.refund_recorded(refund=made, at=created_at)
    return made


def payout(organization, created: datetime, amount_cents: int, n: int = 1) -> Payout:
    """A payout, which leaves the balance when Stripe creates it."""
    made = Payout.objects.create(
        organization=organization,
        stripe_payout_id=f"po_report_{organization.pk}_{n}",
        amount_cents=amount_cents,
        currency="usd",
        arrival_date=created.date() + timedelta(days=2),
        status="paid",
        stripe_created=created,
        synced_at=created,
    )
    movements.payout_recorded(payout=made, at=created)
    return made


def build(organization, day: date, **options) -> DailyReport:
    report, _built = reports_services.daily_report_build(
        organization=organization, day=day, **options
    )
    return report


def kinds(report: DailyReport, kind: str) -> list[DailyReportLine]:
    return list(report.lines.filter(kind=kind).order_by("position"))


def csv_rows(report: DailyReport, membership=None) -> list[list[str]]:
    text = "".join(reports_export.report_csv_lines(report, membership))
    return list(csv.reader(io.StringIO(text)))


def totals(report: DailyReport, currency: str = "usd") -> reports_services.DayTotals:
    (found,) = [t for t in reports_services.report_totals(report) if t.currency == currency]
    return found


# Days -------------------------------------------------------------------------------------


def test_a_payment_at_2330_local_belongs_to_that_local_day(organization, pay):
    assert str(organization.time_zone) == "America/Chicago"
    late = pay(local(CHICAGO, 2026, 11, 26, 23, 30))  # 05:30 UTC on the 27th
    first = pay(local(CHICAGO, 2026, 11, 26, 0, 0))
    next_day = pay(local(CHICAGO, 2026, 11, 27, 0, 0))
    pay(local(CHICAGO, 2026, 11, 25, 23, 59, 59))

    report = build(organization, date(2026, 11, 26))

    assert [line.number for line in kinds(report, "charge")] == [
        first.display_number,
        late.display_number,
    ]
    header, second = csv_rows(report)[0], csv_rows(report)[2]
    assert second[header.index("Time (America/Chicago)")] == "2026-11-26T23:30:00-06:00"
    assert second[header.index("Time (UTC)")] == "2026-11-27T05:30:00+00:00"
    assert report.hours == 24
    following = build(organization, date(2026, 11, 27))
    assert [line.number for line in kinds(following, "charge")] == [next_day.display_number]


def test_the_day_daylight_saving_time_ends_has_25_hours(organization, pay):
    start, end = dates.local_day_bounds(date(2026, 11, 1), CHICAGO)
    assert end - start == timedelta(hours=25)
    spring_start, spring_end = dates.local_day_bounds(date(2026, 3, 8), CHICAGO)
    assert spring_end - spring_start == timedelta(hours=23)

    pay(local(CHICAGO, 2026, 10, 31, 23, 30))  # the day before
    early = pay(datetime(2026, 11, 1, 5, 30, tzinfo=UTC))  # 00:30 CDT
    repeated = pay(datetime(2026, 11, 1, 7, 30, tzinfo=UTC))  # the second 01:30, CST
    late = pay(local(CHICAGO, 2026, 11, 1, 23, 30))  # 05:30 UTC on Nov 2
    pay(local(CHICAGO, 2026, 11, 2, 0, 0))

    report = build(organization, date(2026, 11, 1))

    lines = kinds(report, "charge")
    assert [line.number for line in lines] == [
        early.display_number,
        repeated.display_number,
        late.display_number,
    ]
    rows = csv_rows(report)
    local_time = rows[0].index("Time (America/Chicago)")
    assert [r[local_time] for r in rows[1:4]] == [
        "2026-11-01T00:30:00-05:00",
        "2026-11-01T01:30:00-06:00",
        "2026-11-01T23:30:00-06:00",
    ]
    assert report.hours == 25
    assert totals(report).charges == 3


# Contents and totals ----------------------------------------------------------------------


def test_totals_add_up_to_the_cent_refunds_are_money_out_on_the_day_they_happen(organization, pay):
    day = date(2026, 11, 26)
    amounts = [123_456, 5_001, 99_999, 50]
    payments = [pay(local(CHICAGO, 2026, 11, 26, 8 + i, 15), a) for i, a in enumerate(amounts)]
    payments[0].posted_at = local(CHICAGO, 2026, 11, 26, 17, 0)
    payments[0].posted_reference = "DBS-77"
    payments[0].save()
    earlier = pay(local(CHICAGO, 2026, 11, 20, 9, 0), 70_000)
    refund(earlier, local(CHICAGO, 2026, 11, 26, 23, 45))  # refunded today, paid before
    refund(payments[1], local(CHICAGO, 2026, 11, 26, 12, 0), Refund.Status.PENDING)
    refund(payments[2], local(CHICAGO, 2026, 11, 26, 13, 0), Refund.Status.FAILED)
    refund(payments[3], local(CHICAGO, 2026, 11, 27, 0, 1))  # tomorrow
    payout(organization, local(CHICAGO, 2026, 11, 26, 7, 0), 250_000, 1)
    payout(organization, local(CHICAGO, 2026, 11, 26, 19, 0), 1_234, 2)
    payout(organization, local(CHICAGO, 2026, 11, 27, 7, 0), 9_999, 3)

    report = build(organization, day)
    report.refresh_from_db()  # what the stored totals hold
    t = totals(report)
    fees = sum(p.fee_cents for p in payments)

    assert t.charges == 4
    assert t.figures.collected == sum(amounts) == 228_506
    assert t.figures.refunds == -70_000  # the refund that moved money today, once
    assert t.figures.disputes == 0
    assert t.figures.fees == fees
    assert t.figures.net == 228_506 - 70_000 - fees
    assert t.posted == 1
    assert t.payouts == 251_234
    lines = list(report.lines.all())
    assert all(line.gross_cents == line.fee_cents + line.net_cents for line in lines)
    assert sum(line.gross_cents for line in lines) == t.figures.gross
    assert sum(line.fee_cents for line in lines) == t.figures.fees
    assert sum(line.net_cents for line in lines) == t.figures.net
    assert sum(line.payout_cents for line in lines) == t.payouts
    (refunded,) = kinds(report, "refund")
    assert (refunded.gross_cents, refunded.number) == (-70_000, earlier.display_number)
    assert refunded.refund_id == f"re_{earlier.pk}_succeeded"

    first = kinds(report, "charge")[0]
    assert first.payment_intent_id == payments[0].payment_intent_id
    assert first.charge_id == payments[0].charge_id
    assert first.reference == payments[0].reference
    assert first.customer == "Dana Driver"
    assert first.posted is True and first.posted_reference == "DBS-77"
    assert kinds(report, "charge")[1].posted is False
    assert {line.payout_id for line in kinds(report, "payout")} == {
        f"po_report_{organization.pk}_1",
        f"po_report_{organization.pk}_2",
    }

    # The CSV says the same, to the cent: its lines' columns add up to its totals rows.
    rows = csv_rows(report)
    header, body = rows[0], rows[1 : 1 + len(lines)]
    assert "Time (America/Chicago)" in header and "Time (UTC)" in header
    assert "Posted at (America/Chicago)" in header
    by_kind = {r[0]: r for r in rows[1 + len(lines) :]}
    gross, fee, net, paid_out = (header.index(c) for c in ("Gross", "Fee", "Net", "Payout"))

    def cents(value: str) -> int:
        return int(value.replace(".", ""))

    assert by_kind["Total charges"][gross] == "2285.06"  # 123456 + 5001 + 99999 + 50 cents
    assert by_kind["Total refunds"][gross] == "-700.00"
    assert by_kind["Total payouts"][paid_out] == "2512.34"
    total = by_kind["Total"]
    for column, expected in ((gross, t.figures.gross), (fee, fees), (net, t.figures.net)):
        assert sum(cents(r[column]) for r in body) == cents(total[column]) == expected


def test_a_returned_fee_and_a_dispute_are_lines_that_add_up(organization, pay):
    paid = pay(local(CHICAGO, 2026, 11, 26, 9, 0), 10_000)
    disputed = pay(local(CHICAGO, 2026, 11, 26, 10, 0), 20_000)
    refund(paid, local(CHICAGO, 2026, 11, 26, 11, 0), fee_returned=True)
    movements.dispute_recorded(
        payment=disputed,
        dispute={
            "id": "dp_report_1",
            "amount": 20_000,
            "currency": "usd",
            "balance_transactions": [{"fee": 1_500}],
        },
        at=local(CHICAGO, 2026, 11, 26, 15, 0),
    )

    report = build(organization, date(2026, 11, 26))

    t = totals(report)
    (refunded,) = kinds(report, "refund")
    assert (refunded.gross_cents, refunded.fee_cents) == (-10_000, -paid.fee_cents)
    assert refunded.net_cents == -10_000 + paid.fee_cents
    assert t.figures.collected == 30_000 and t.figures.refunds == -10_000
    assert t.figures.disputes == -20_000
    assert t.figures.fees == disputed.fee_cents + sum(
        line.fee_cents for line in kinds(report, "dispute")
    )
    assert t.figures.net == sum(line.net_cents for line in report.lines.all())


# Revisions: a built report never changes ---------------------------------------------------


def test_building_a_day_again_with_nothing_new_writes_nothing(organization, pay):
    pay(local(CHICAGO, 2026, 11, 26, 10, 0), 10_000)
    first, built = reports_services.daily_report_build(
        organization=organization, day=date(2026, 11, 26)
    )
    again, built_again = reports_services.daily_report_build(
        organization=organization, day=date(2026, 11, 26)
    )
    assert built and not built_again
    assert again.pk == first.pk and again.revision == 1
    assert DailyReport.objects.count() == 1


def test_the_command_builds_any_day_idempotently(organization, pay, connected_account):
    pay(local(CHICAGO, 2026, 11, 26, 10, 0), 10_000)
    out = io.StringIO()
    call_command("build_daily_report", "--org", "lakeside", "--day", "2026-11-26", stdout=out)
    call_command("build_daily_report", "--org", "lakeside", "--day", "2026-11-26", stdout=out)
    call_command("build_daily_report", "--all-orgs", "--day", "2026-11-26", stdout=out)
    report = DailyReport.objects.get(organization=organization)
    assert report.day == date(2026, 11, 26)
    assert totals(report).figures.collected == 10_000
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("lakeside 2026-11-26 (America/Chicago) revision 1 built: usd: 1")
    assert "revision 1 unchanged" in lines[1] and "revision 1 unchanged" in lines[2]


def test_a_late_movement_makes_a_new_revision_saying_what_changed(organization, pay):
    day = date(2026, 11, 26)
    paid = pay(local(CHICAGO, 2026, 11, 26, 10, 0), 10_000)
    first = build(organization, day, now=datetime(2026, 11, 27, 12, tzinfo=UTC))
    first_csv = csv_rows(first)
    pay(local(CHICAGO, 2026, 11, 26, 11, 0), 2_500)  # a late webhook
    refund(paid, local(CHICAGO, 2026, 11, 26, 18, 0), amount=4_000)

    second = build(organization, day, now=datetime(2026, 11, 27, 13, tzinfo=UTC))

    assert second.revision == 2 and second.pk != first.pk
    assert "Replaces revision 1" in second.changes
    assert "2 lines added" in second.changes
    assert "collected $100.00 → $125.00" in second.changes
    assert "refunds $0.00 → -$40.00" in second.changes
    assert totals(second).figures.collected == 12_500
    first.refresh_from_db()
    assert totals(first).figures.collected == 10_000  # revision 1 is as it was sent
    assert csv_rows(first) == first_csv
    assert first.lines.count() == 1 and second.lines.count() == 3


def test_a_refund_next_week_is_on_the_report_of_its_own_day(organization, pay):
    paid = pay(local(CHICAGO, 2026, 11, 26, 10, 0), 10_000)
    monday = build(organization, date(2026, 11, 26))
    refund(paid, local(CHICAGO, 2026, 12, 2, 9, 0))

    again, built = reports_services.daily_report_build(
        organization=organization, day=date(2026, 11, 26)
    )
    later = build(organization, date(2026, 12, 2))

    assert not built and again.pk == monday.pk
    assert totals(later).figures.refunds == -10_000
    assert totals(later).figures.collected == 0


def test_the_beat_job_builds_again_a_day_changed_since_it_was_sent(
    organization,
    connected_account,
    admin_membership,
    manager_membership,
    pay,
    django_capture_on_commit_callbacks,
):
    connected_account.payout_recipients.set([admin_membership, manager_membership])
    paid = pay(local(CHICAGO, 2026, 11, 26, 10, 0), 10_000)
    morning = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)  # 06:30 in Chicago
    with django_capture_on_commit_callbacks(execute=True):
        daily_reports_run.delay(morning.isoformat())
    assert len(mail.outbox) == 1
    connected_account.payout_recipients.set([admin_membership])  # changed since: not used

    # A refund of that day learnt of later (its webhook came in the afternoon).
    late = refund(paid, local(CHICAGO, 2026, 11, 26, 23, 0), amount=2_500)
    movements.LedgerEntry.objects.filter(refund=late).update(
        created_at=datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            daily_reports_run.delay(datetime(2026, 11, 27, 20, 15, tzinfo=UTC).isoformat()).get()
            == 1
        )
        assert (
            daily_reports_run.delay(datetime(2026, 11, 27, 20, 30, tzinfo=UTC).isoformat()).get()
            == 0
        )

    assert len(mail.outbox) == 2
    revised = mail.outbox[1]
    assert sorted(revised.to) == ["admin@lakeside.test", "manager@lakeside.test"]
    assert "revision 2" in revised.subject
    assert "Replaces revision 1" in revised.body and "-$25.00" in revised.body
    ((name, content, _mimetype),) = revised.attachments
    assert name == "lakeside-daily-report-2026-11-26-r2.csv"
    assert "-25.00" in content
    assert list(
        DailyReport.objects.filter(organization=organization).values_list("revision", flat=True)
    ) == [1, 2]


# The beat job ------------------------------------------------------------------------------


@pytest.fixture
def halifax(db):
    org = OrganizationFactory(name="Harbour Motors", slug="harbour", time_zone="America/Halifax")
    ConnectedAccount.objects.create(
        organization=org, stripe_account_id="acct_halifax", country="CA"
    )
    return org


@pytest.fixture
def vancouver(db):
    org = OrganizationFactory(
        name="Coast Motors", slug="coast", time_zone="America/Vancouver", country="CA"
    )
    ConnectedAccount.objects.create(organization=org, stripe_account_id="acct_van", country="CA")
    return org


def test_two_zones_at_one_instant_have_their_own_previous_day(halifax, vancouver):
    instant = datetime(
        2026, 11, 27, 7, 30, tzinfo=UTC
    )  # Halifax 03:30 on 27, Vancouver 23:30 on 26
    assert dates.previous_local_day(halifax, instant) == date(2026, 11, 26)
    assert dates.previous_local_day(vancouver, instant) == date(2026, 11, 25)


def test_the_beat_job_builds_each_zones_previous_day_after_six_local(
    organization, connected_account, halifax, vancouver, django_capture_on_commit_callbacks
):
    def run(*when: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            daily_reports_run.delay(datetime(*when, tzinfo=UTC).isoformat())

    def days() -> set[tuple[str, date]]:
        return {
            (r.organization.slug, r.day) for r in DailyReport.objects.select_related("organization")
        }

    run(2026, 11, 27, 9, 59)  # Halifax 05:59, Chicago 03:59, Vancouver 01:59
    assert days() == set()
    run(2026, 11, 27, 10, 0)  # Halifax 06:00
    assert days() == {("harbour", date(2026, 11, 26))}
    run(2026, 11, 27, 12, 15)  # Chicago 06:15
    assert days() == {("harbour", date(2026, 11, 26)), ("lakeside", date(2026, 11, 26))}
    run(2026, 11, 27, 14, 0)  # Vancouver 06:00
    run(2026, 11, 27, 14, 15)
    assert days() == {
        ("harbour", date(2026, 11, 26)),
        ("lakeside", date(2026, 11, 26)),
        ("coast", date(2026, 11, 26)),
    }
    assert DailyReport.objects.count() == 3
    assert DailyReport.objects.get(organization=halifax).time_zone == "America/Halifax"


def test_the_beat_job_emails_each_report_once_to_the_payout_recipients(
    organization,
    connected_account,
    admin_membership,
    manager_membership,
    pay,
    django_capture_on_commit_callbacks,
):
    connected_account.payout_recipients.set([admin_membership, manager_membership])
    pay(local(CHICAGO, 2026, 11, 26, 23, 30), 123_456)
    when = datetime(2026, 11, 27, 12, 30, tzinfo=UTC).isoformat()  # 06:30 in Chicago

    with django_capture_on_commit_callbacks(execute=True):
        assert daily_reports_run.delay(when).get() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["admin@lakeside.test", "manager@lakeside.test"]
    assert "2026" in message.subject and "Nov 26" in message.subject
    assert "Collected: $1,234.56" in message.body
    assert "America/Chicago" in message.body
    ((name, content, mimetype),) = message.attachments
    assert name == "lakeside-daily-report-2026-11-26.csv" and mimetype == "text/csv"
    assert "Time (America/Chicago)" in content and "1234.56" in content
    stored = DailyReport.objects.get(organization=organization)
    assert stored.recipients == ["admin@lakeside.test", "manager@lakeside.test"]

    with django_capture_on_commit_callbacks(execute=True):
        assert daily_reports_run.delay(when).get() == 0
        later = datetime(2026, 11, 27, 20, 0, tzinfo=UTC).isoformat()
        assert daily_reports_run.delay(later).get() == 0
    assert len(mail.outbox) == 1
    assert DailyReport.objects.filter(organization=organization).count() == 1


def test_the_beat_job_claims_a_day_under_the_account_lock(organization, connected_account):
    """A report built meanwhile (another worker) makes the job skip the day."""
    now = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)
    assert reports_services.daily_report_due(organization, now) == date(2026, 11, 26)
    build(organization, date(2026, 11, 26))
    assert reports_services.daily_report_due(organization, now) is None
    assert reports_services.daily_reports_build_due(now=now) == []


# The Reports page --------------------------------------------------------------------------


@pytest.fixture
def stored_report(organization, pay):
    pay(local(CHICAGO, 2026, 11, 26, 23, 30), 123_456)
    return build(organization, date(2026, 11, 26), now=datetime(2026, 11, 27, 12, 0, tzinfo=UTC))


URLS = ["report_list", "report_detail", "report_csv"]


def _url(name: str) -> str:
    kwargs = {"org": "lakeside"}
    if name != "report_list":
        kwargs["day"] = "2026-11-26"
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("manager", 200), ("advisor", 403), ("outsider", 404), (None, 302)],
)
def test_reports_role_and_tenancy_table(
    client,
    stored_report,
    admin_membership,
    manager_membership,
    advisor_membership,
    outsider_membership,
    name,
    who,
    status,
):
    members = {
        "admin": admin_membership,
        "manager": manager_membership,
        "advisor": advisor_membership,
        "outsider": outsider_membership,
    }
    if who:
        client.force_login(members[who].user)
    assert client.get(_url(name)).status_code == status


def test_the_reports_page_lists_days_with_local_times(manager_client, stored_report):
    response = manager_client.get(_url("report_list"))
    html = response.content.decode()
    assert ">1,234.56<" in html
    assert "Nov 27, 2026, 6:00\u202fAM CST" in html
    assert _url("report_csv") in html

    detail = manager_client.get(_url("report_detail")).content.decode()
    assert "Time (America/Chicago)" in detail and "Time (UTC)" in detail
    assert "Nov 26, 11:30\u202fPM CST" in detail and "Nov 27, 5:30\u202fAM UTC" in detail


def _daily_reports(html: str) -> str:
    return html.split('id="daily-reports"', 1)[1].split("</table>", 1)[0]


def _cells(html: str, css_class: str) -> list[str]:
    """The texts of the Reports table's cells having ``css_class``, one per cell."""
    cells = re.findall(rf'<td class="[^"]*\b{css_class}\b[^"]*">(.*?)</td>', _daily_reports(html))
    # Spaces of the markup only: a number's own (no-break) group separator stays.
    return [re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]


def test_the_reports_table_names_the_currency_once_and_keeps_amounts_on_one_line(
    manager_client, manager_membership, stored_report
):
    """Issue 14: "1 234,56 $ US" in each of seven columns squeezed the table at 1280 px,
    wrapping days and amounts. The headings name the currency, the cells hold the number, on
    one line (text-nowrap), in tabular figures (app-num), and the day never wraps."""
    manager_membership.user.language = "fr-ca"
    manager_membership.user.save(update_fields=["language"])
    html = manager_client.get(_url("report_list")).content.decode()

    table = _daily_reports(html)
    head = table.split("</thead>", 1)[0]
    assert head.count('<div class="fw-normal small">USD</div>') == 6
    assert re.search(r'<table class="[^"]*\btext-nowrap\b', table)
    amounts = _cells(html, "app-num")
    with translation.override("fr-ca"):
        collected = format_number(123_456)  # "1 234,56", the reader's digits
    assert amounts[:2] == ["1", collected], amounts  # the count, then the collected
    assert len(amounts) == 7 and not any("$" in cell for cell in amounts), amounts
    day = re.search(r'<tr id="report-2026-11-26">\s*<td class="([^"]*)"', table)
    assert day and "text-nowrap" in day.group(1).split()


def test_a_reports_table_of_several_currencies_names_each_line_s(manager_client, stored_report):
    """Days holding two currencies cannot share one heading (and "$" is both in English): a
    column names each line's currency, the amounts stay numbers."""
    totals = stored_report.totals
    stored_report.totals = {**totals, "cad": {**totals["usd"], "collected": 500}}
    stored_report.save(update_fields=["totals"])
    html = manager_client.get(_url("report_list")).content.decode()
    head = _daily_reports(html).split("</thead>", 1)[0]
    assert "USD" not in head and ">Currency</th>" in head
    assert _cells(html, "text-nowrap")[1] == "CAD USD"
    assert _cells(html, "app-num")[1] == "5.00 1,234.56"


def test_the_reports_page_costs_the_same_queries_however_many_days_were_revised(
    manager_client, organization, pay, django_assert_max_num_queries
):
    def revised_day(day: date) -> None:
        pay(local(CHICAGO, day.year, day.month, day.day, 10, 0), 10_000)
        build(organization, day, now=datetime(2026, 11, 27, 12, tzinfo=UTC))
        pay(local(CHICAGO, day.year, day.month, day.day, 11, 0), 2_500)  # learned later
        assert build(organization, day, now=datetime(2026, 11, 27, 13, tzinfo=UTC)).revision == 2

    revised_day(date(2026, 11, 20))
    with CaptureQueriesContext(connection) as one:
        assert manager_client.get(_url("report_list")).status_code == 200
    for day in range(21, 26):
        revised_day(date(2026, 11, day))

    with django_assert_max_num_queries(len(one.captured_queries)):
        html = manager_client.get(_url("report_list")).content.decode()
    assert html.count("Revision 2") == 6


def test_unknown_days_are_404(manager_client, stored_report):
    assert manager_client.get("/o/lakeside/reports/2026-11-25/").status_code == 404
    assert manager_client.get("/o/lakeside/reports/2026-13-45/report.csv").status_code == 404
    assert manager_client.get(_url("report_detail") + "?revision=2").status_code == 404
    assert manager_client.get(_url("report_csv") + "?revision=x").status_code == 404


def test_csv_download(manager_client, stored_report):
    response = manager_client.get(_url("report_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "lakeside-daily-report-2026-11-26.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][1:3] == ["Time (America/Chicago)", "Time (UTC)"]
    assert rows[1][1:3] == ["2026-11-26T23:30:00-06:00", "2026-11-27T05:30:00+00:00"]


def test_a_spanish_reader_s_report_file_is_in_spanish(
    manager_client, manager_membership, stored_report
):
    manager_membership.user.language = "es"
    manager_membership.user.save(update_fields=["language"])
    response = manager_client.get(_url("report_csv"))
    translation.activate("en")  # the rows are written after the view returned

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    with translation.override("es"):
        expected = [
            translation.gettext("Time (%(zone)s)") % {"zone": "America/Chicago"},
            translation.gettext("Time (UTC)"),
        ]
        totals = {translation.gettext(label) for label in ("Total charges", "Total")}
    assert rows[0][1:3] == expected and expected[1] != "Time (UTC)"
    assert totals <= {row[0] for row in rows} and "Total charges" not in totals


def test_xlsx_download(manager_client, stored_report):
    openpyxl = pytest.importorskip("openpyxl")
    response = manager_client.get(
        reverse("report_xlsx", kwargs={"org": "lakeside", "day": "2026-11-26"})
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in sheet[1]]
    assert "Time (America/Chicago)" in header and "Time (UTC)" in header
    gross = header.index("Gross")
    assert float(sheet.cell(row=sheet.max_row, column=gross + 1).value) == 1234.56


def test_exports_never_carry_a_formula(organization, pay):
    pay(local(CHICAGO, 2026, 11, 26, 10, 0), description='=HYPERLINK("http://evil")')
    rows = csv_rows(build(organization, date(2026, 11, 26)))
    description = rows[0].index("Description")
    assert rows[1][description].startswith("'=")


# Team scope: a manager reads the payments of their own teams ------------------------------


@pytest.fixture
def two_teams_report(organization, pay, ticket):
    from tests.factories import TeamFactory
    from tickets.services import customer_get_or_create, ticket_open

    body = TeamFactory(organization=organization, name="Body shop", payments_enabled=True)
    customer = customer_get_or_create(
        organization=organization, name="Hidden Customer", mobile_phone="+13125550177"
    )
    theirs = ticket_open(organization=organization, team=body, customer=customer)
    pay(local(CHICAGO, 2026, 11, 26, 9, 0), 10_000)  # Service: the manager's team
    hidden = [
        pay(
            local(CHICAGO, 2026, 11, 26, 10 + n, 0),
            amount,
            ticket=theirs,
            team=body,
            reference=f"RO-BODY-{n}",
        )
        for n, amount in enumerate((20_000, 30_000))
    ]
    refund(hidden[0], local(CHICAGO, 2026, 11, 26, 14, 0))
    return build(organization, date(2026, 11, 26)), hidden


def test_a_manager_reads_other_teams_lines_of_a_daily_report_as_one_row(
    client, manager_membership, admin_membership, two_teams_report
):
    report, hidden = two_teams_report
    client.force_login(manager_membership.user)
    page = client.get(_url("report_detail"))
    text = page.content.decode()
    assert "Hidden Customer" not in text and "RO-BODY" not in text
    (other,) = page.context["hidden"]
    theirs = report.lines.filter(team__name="Body shop")
    assert other.count == 3 == theirs.count()  # two charges and a refund
    assert other.gross_cents == sum(p.amount_cents for p in hidden) - hidden[0].amount_cents
    assert other.gross_cents == sum(line.gross_cents for line in theirs)
    assert other.fee_cents == sum(line.fee_cents for line in theirs)
    assert other.net_cents == other.gross_cents - other.fee_cents
    assert "3 lines of teams whose payments you do not see" in text
    assert page.context["totals"] == reports_services.report_totals(report)  # still adds up

    exported = b"".join(client.get(_url("report_csv")).streaming_content).decode()
    assert "Hidden Customer" not in exported and "RO-BODY" not in exported
    assert "3 lines of teams whose payments you do not see" in exported
    rows = list(csv.reader(io.StringIO(exported)))
    gross = rows[0].index("Gross")
    body = [r for r in rows[1:] if not r[0].startswith("Total")]
    (total,) = [r for r in rows if r[0] == "Total"]
    assert sum(int(r[gross].replace(".", "")) for r in body) == int(total[gross].replace(".", ""))

    client.force_login(admin_membership.user)
    everything = client.get(_url("report_detail")).content.decode()
    assert "Hidden Customer" in everything and "RO-BODY-1" in everything


def test_a_line_of_a_payment_without_a_team_is_hidden_from_a_manager(
    manager_client, two_teams_report
):
    report, _hidden = two_teams_report
    report.lines.update(team=None)
    text = manager_client.get(_url("report_detail")).content.decode()
    assert "Hidden Customer" not in text and "Dana Driver" not in text
    assert "4 lines of teams whose payments you do not see" in text


def test_the_report_page_reads_its_lines_in_pages(manager_client, organization, pay, monkeypatch):
    from payments.reports import views as reports_views

    monkeypatch.setattr(reports_views, "LINES_PAGE", 2)
    for hour in range(5):
        pay(local(CHICAGO, 2026, 11, 26, 8 + hour, 0), 1_000 + hour)
    build(organization, date(2026, 11, 26))
    first = manager_client.get(_url("report_detail"))
    assert [line.position for line in first.context["lines"]] == [1, 2]
    assert first.context["next_after"] == 2
    last = manager_client.get(_url("report_detail") + "?after=4")
    assert [line.position for line in last.context["lines"]] == [5]
    assert last.context["next_after"] is None


@pytest.mark.django_db(transaction=True)
def test_two_builders_of_a_changed_day_at_once_write_one_revision_and_send_it_once(
    organization, ticket
):
    import threading

    from django.db import connection

    from tests.payments.payments_tab import payment_row

    paid = payment_row(ticket, amount=10_000, at=local(CHICAGO, 2026, 11, 26, 10, 0))
    reports_services.daily_report_build(
        organization=organization, day=date(2026, 11, 26), recipients=["admin@lakeside.test"]
    )
    refund(paid, local(CHICAGO, 2026, 11, 26, 18, 0), amount=4_000)
    barrier = threading.Barrier(2)
    built: list[bool] = []

    def rebuild():
        try:
            barrier.wait()
            _report, was_built = reports_services.daily_report_build(
                organization=organization, day=date(2026, 11, 26)
            )
            built.append(was_built)
        finally:
            connection.close()

    threads = [threading.Thread(target=rebuild) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(built) == [False, True]
    revisions = DailyReport.objects.filter(organization=organization).order_by("revision")
    assert [r.revision for r in revisions] == [1, 2]
    assert [len(m.to) for m in mail.outbox] == [1, 1]  # revision 1, then revision 2 once
    assert "revision 2" in mail.outbox[1].subject
