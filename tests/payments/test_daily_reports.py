"""Daily reconciliation reports: local-day boundaries, DST, totals to the cent,
idempotent re-builds, the beat job per time zone and its e-mail, the Reports page."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from payments import dates
from payments.models import ConnectedAccount, DailyReport, PaymentRequest, Payout, Refund
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
        return request

    return _pay


def refund(payment: PaymentRequest, created_at: datetime, status=Refund.Status.SUCCEEDED):
    return Refund.objects.create(
        organization=payment.organization,
        payment=payment,
        stripe_refund_id=f"re_{payment.pk}_{status}",
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        status=status,
        created_at=created_at,
    )


def payout(organization, arrival: date, amount_cents: int, n: int = 1) -> Payout:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    return Payout.objects.create(
        organization=organization,
        stripe_payout_id=f"po_report_{organization.pk}_{n}",
        amount_cents=amount_cents,
        currency="usd",
        arrival_date=arrival,
        status="paid",
        stripe_created=now,
        synced_at=now,
    )


def kinds(report: DailyReport, kind: str) -> list[dict]:
    return [row for row in report.rows if row["kind"] == kind]


# Days -------------------------------------------------------------------------------------


def test_a_payment_at_2330_local_belongs_to_that_local_day(organization, pay):
    assert str(organization.time_zone) == "America/Chicago"
    late = pay(local(CHICAGO, 2026, 11, 26, 23, 30))  # 05:30 UTC on the 27th
    first = pay(local(CHICAGO, 2026, 11, 26, 0, 0))
    next_day = pay(local(CHICAGO, 2026, 11, 27, 0, 0))
    pay(local(CHICAGO, 2026, 11, 25, 23, 59, 59))

    report = reports_services.daily_report_build(organization=organization, day=date(2026, 11, 26))

    numbers = [row["number"] for row in kinds(report, "payment")]
    assert numbers == [first.display_number, late.display_number]
    row = kinds(report, "payment")[1]
    assert row["time_local"] == "2026-11-26T23:30:00-06:00"
    assert row["time_utc"] == "2026-11-27T05:30:00+00:00"
    assert report.totals["hours"] == 24
    following = reports_services.daily_report_build(
        organization=organization, day=date(2026, 11, 27)
    )
    assert [row["number"] for row in kinds(following, "payment")] == [next_day.display_number]


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

    report = reports_services.daily_report_build(organization=organization, day=date(2026, 11, 1))

    rows = kinds(report, "payment")
    assert [r["number"] for r in rows] == [
        early.display_number,
        repeated.display_number,
        late.display_number,
    ]
    assert [r["time_local"] for r in rows] == [
        "2026-11-01T00:30:00-05:00",
        "2026-11-01T01:30:00-06:00",
        "2026-11-01T23:30:00-06:00",
    ]
    assert report.totals["hours"] == 25
    assert report.totals["count"] == 3


# Contents and totals ----------------------------------------------------------------------


def test_totals_add_up_to_the_cent_against_the_stored_rows(organization, pay):
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
    payout(organization, day, 250_000, 1)
    payout(organization, day, 1_234, 2)
    payout(organization, day + timedelta(days=1), 9_999, 3)

    report = reports_services.daily_report_build(organization=organization, day=day)
    report.refresh_from_db()  # what the JSON columns hold
    totals = report.totals
    stored = PaymentRequest.objects.filter(pk__in=[p.pk for p in payments])

    assert totals["count"] == 4
    assert totals["gross_cents"] == sum(amounts) == sum(p.amount_cents for p in stored)
    assert totals["fee_cents"] == sum(p.fee_cents for p in stored)
    assert totals["net_cents"] == sum(p.net_cents for p in stored)
    assert totals["gross_cents"] == totals["fee_cents"] + totals["net_cents"]
    assert totals["posted_count"] == 1
    rows = kinds(report, "payment")
    for key in ("gross_cents", "fee_cents", "net_cents"):
        assert sum(r[key] for r in rows) == totals[key]
        assert all(type(r[key]) is int for r in rows)
    assert totals["refund_count"] == 3
    assert totals["refunded_cents"] == 70_000  # succeeded only
    assert totals["refunds_pending_cents"] == 5_001
    succeeded = [r for r in kinds(report, "refund") if r["status"] == "succeeded"]
    assert sum(r["refunded_cents"] for r in succeeded) == totals["refunded_cents"]
    assert (
        totals["payouts_cents"]
        == 251_234
        == sum(r["payout_cents"] for r in kinds(report, "payout"))
    )
    assert totals["payout_count"] == 2

    first = rows[0]
    assert first["payment_intent_id"] == payments[0].payment_intent_id
    assert first["charge_id"] == payments[0].charge_id
    assert first["reference"] == payments[0].reference
    assert first["customer"] == "Dana Driver"
    assert first["posted"] is True and first["posted_reference"] == "DBS-77"
    assert rows[1]["posted"] is False
    refund_ids = {r["refund_id"] for r in kinds(report, "refund")}
    assert f"re_{earlier.pk}_succeeded" in refund_ids
    assert {r["payout_id"] for r in kinds(report, "payout")} == {
        f"po_report_{organization.pk}_1",
        f"po_report_{organization.pk}_2",
    }

    # The CSV says the same, to the cent, and names the zone of each time column.
    parsed = list(csv.reader(io.StringIO(reports_export.report_csv(report))))
    header, body, total = parsed[0], parsed[1:-1], parsed[-1]
    assert "Time (America/Chicago)" in header and "Time (UTC)" in header
    assert "Posted at (America/Chicago)" in header
    gross = header.index("Gross")
    assert total[0] == "total"
    assert total[gross] == "2285.06"  # 123456 + 5001 + 99999 + 50 cents
    assert sum(int(r[gross].replace(".", "")) for r in body) == totals["gross_cents"]


def test_building_a_day_twice_replaces_its_report(organization, pay):
    day = date(2026, 11, 26)
    pay(local(CHICAGO, 2026, 11, 26, 10, 0), 10_000)
    first = reports_services.daily_report_build(
        organization=organization, day=day, now=datetime(2026, 11, 27, 12, tzinfo=UTC)
    )
    pay(local(CHICAGO, 2026, 11, 26, 11, 0), 2_500)  # a late webhook
    second = reports_services.daily_report_build(
        organization=organization, day=day, now=datetime(2026, 11, 27, 13, tzinfo=UTC)
    )

    assert DailyReport.objects.filter(organization=organization).count() == 1
    assert second.pk == first.pk
    second.refresh_from_db()
    assert second.totals["count"] == 2
    assert second.totals["gross_cents"] == 12_500
    assert len(second.rows) == 2
    assert second.generated_at == datetime(2026, 11, 27, 13, tzinfo=UTC)


def test_the_command_builds_any_day_idempotently(organization, pay, connected_account):
    pay(local(CHICAGO, 2026, 11, 26, 10, 0), 10_000)
    out = io.StringIO()
    call_command("build_daily_report", "--org", "lakeside", "--day", "2026-11-26", stdout=out)
    call_command("build_daily_report", "--org", "lakeside", "--day", "2026-11-26", stdout=out)
    call_command("build_daily_report", "--all-orgs", "--day", "2026-11-26", stdout=out)
    report = DailyReport.objects.get(organization=organization)
    assert report.day == date(2026, 11, 26)
    assert report.totals["gross_cents"] == 10_000
    assert "lakeside 2026-11-26 (America/Chicago): 1 payments" in out.getvalue()


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
    assert "$1,234.56 USD" in message.body
    assert "America/Chicago" in message.body
    ((name, content, mimetype),) = message.attachments
    assert name == "lakeside-daily-report-2026-11-26.csv" and mimetype == "text/csv"
    assert "Time (America/Chicago)" in content and "1234.56" in content

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
    reports_services.daily_report_build(organization=organization, day=date(2026, 11, 26))
    assert reports_services.daily_report_due(organization, now) is None
    assert reports_services.daily_reports_build_due(now=now) == []


# The Reports page --------------------------------------------------------------------------


@pytest.fixture
def stored_report(organization, pay):
    pay(local(CHICAGO, 2026, 11, 26, 23, 30), 123_456)
    return reports_services.daily_report_build(
        organization=organization,
        day=date(2026, 11, 26),
        now=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
    )


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
    assert "$1,234.56 USD" in html
    assert "Nov 27, 2026, 6:00 AM CST (America/Chicago)" in html
    assert _url("report_csv") in html

    detail = manager_client.get(_url("report_detail")).content.decode()
    assert "Time (America/Chicago)" in detail and "Time (UTC)" in detail
    assert "2026-11-26 23:30" in detail and "2026-11-27 05:30" in detail


def test_unknown_days_are_404(manager_client, stored_report):
    assert manager_client.get("/o/lakeside/reports/2026-11-25/").status_code == 404
    assert manager_client.get("/o/lakeside/reports/2026-13-45/report.csv").status_code == 404


def test_csv_download(manager_client, stored_report):
    response = manager_client.get(_url("report_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "lakeside-daily-report-2026-11-26.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][1:3] == ["Time (America/Chicago)", "Time (UTC)"]
    assert rows[1][1:3] == ["2026-11-26T23:30:00-06:00", "2026-11-27T05:30:00+00:00"]


def test_xlsx_download(manager_client, stored_report):
    openpyxl = pytest.importorskip("openpyxl")
    response = manager_client.get(
        reverse("report_xlsx", kwargs={"org": "lakeside", "day": "2026-11-26"})
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert "Time (America/Chicago)" in header and "Time (UTC)" in header
    gross = header.index("Gross")
    assert float(sheet.cell(row=sheet.max_row, column=gross + 1).value) == 1234.56


def test_exports_never_carry_a_formula(organization, pay):
    pay(local(CHICAGO, 2026, 11, 26, 10, 0), description='=HYPERLINK("http://evil")')
    report = reports_services.daily_report_build(organization=organization, day=date(2026, 11, 26))
    rows = list(csv.reader(io.StringIO(reports_export.report_csv(report))))
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
    report = reports_services.daily_report_build(organization=organization, day=date(2026, 11, 26))
    return report, hidden


def test_a_manager_reads_other_teams_lines_of_a_daily_report_as_one_row(
    client, manager_membership, admin_membership, two_teams_report
):
    report, hidden = two_teams_report
    client.force_login(manager_membership.user)
    page = client.get(_url("report_detail"))
    text = page.content.decode()
    assert "Hidden Customer" not in text and "RO-BODY" not in text
    other = page.context["rows"][-1]
    assert other["kind"] == "other teams"
    assert other["description"] == "3 lines of teams you are not on"
    assert other["gross_cents"] == sum(p.amount_cents for p in hidden)
    assert other["fee_cents"] == sum(p.fee_cents for p in hidden)
    assert other["refunded_cents"] == hidden[0].amount_cents
    assert page.context["totals"] == report.totals  # the day still adds up to its totals

    exported = client.get(_url("report_csv")).content.decode()
    assert "Hidden Customer" not in exported and "RO-BODY" not in exported
    assert "3 lines of teams you are not on" in exported

    client.force_login(admin_membership.user)
    everything = client.get(_url("report_detail")).content.decode()
    assert "Hidden Customer" in everything and "RO-BODY-1" in everything


def test_a_report_built_before_rows_named_their_team_hides_its_lines_from_a_manager(
    manager_client, two_teams_report
):
    report, _hidden = two_teams_report
    for row in report.rows:
        row.pop("team_id", None)
    report.save(update_fields=["rows"])
    text = manager_client.get(_url("report_detail")).content.decode()
    assert "Hidden Customer" not in text and "Dana Driver" not in text
    assert "4 lines of teams you are not on" in text
