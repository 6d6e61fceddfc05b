"""Reports from Stripe: the Reporting API run's exact parameters, polling until
succeeded or failed, the demo gateway end to end, and who may see the reports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
import responses
from django.urls import reverse

from payments.gateway.demo.gateway import DemoGateway
from payments.models import PaymentRequest, StripeReportRun
from payments.reports.stripe_runs import (
    BALANCE_CHANGE,
    PAYOUT_RECONCILIATION,
    ReportRequestError,
    stripe_report_poll,
    stripe_report_request,
)
from payments.reports.tasks import stripe_report_poll_task
from tests.payments import stripe_fixtures as sf

CHICAGO = ZoneInfo("America/Chicago")
RUN_URL = f"{sf.API}/v1/reporting/report_runs"
FILE_URL = "https://files.stripe.com/v1/files/file_1Rep/contents"
CSV_TEXT = "balance_transaction_id,gross\ntxn_1,12.34\n"


def run_answer(status: str = "pending", **fields) -> dict:
    answer = {
        "id": "frr_1Rep",
        "object": "reporting.report_run",
        "created": sf.now(),
        "error": None,
        "livemode": False,
        "parameters": {},
        "report_type": BALANCE_CHANGE,
        "result": None,
        "status": status,
        "succeeded_at": None,
    }
    if status == "succeeded":
        answer["result"] = {"id": "file_1Rep", "object": "file", "url": FILE_URL}
    answer.update(fields)
    return answer


def request_run(organization, actor, report_type=BALANCE_CHANGE, start=None, end=None):
    return stripe_report_request(
        organization=organization,
        actor=actor,
        report_type=report_type,
        start=start or date(2026, 11, 1),
        end=end or date(2026, 11, 2),
    )


@pytest.fixture
def real_account(connected_account):
    """Lakeside's account as on real Stripe (its id is what Stripe would give)."""
    connected_account.stripe_account_id = "acct_1RealLake"
    connected_account.save(update_fields=["stripe_account_id"])
    return connected_account


# Stripe's HTTP boundary ---------------------------------------------------------------------


def test_report_run_parameters_at_stripe(
    real_account, admin_membership, real_keys, stripe_http, django_capture_on_commit_callbacks
):
    stripe_http.add(responses.POST, RUN_URL, json=run_answer())
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = request_run(real_account.organization, admin_membership.user)
    assert len(queued) == 1
    assert stripe_report_poll(run_id=run.pk) == "pending"

    call = stripe_http.calls[0]
    assert call.request.headers["Authorization"] == "Bearer sk_test_1"
    assert call.request.headers["Idempotency-Key"] == f"report-run-{run.pk}"
    body = parse_qs(call.request.body)
    start = int(datetime(2026, 11, 1, tzinfo=CHICAGO).timestamp())
    end = int(datetime(2026, 11, 3, tzinfo=CHICAGO).timestamp())
    assert body == {
        "report_type": ["connected_account_balance_change_from_activity.itemized.1"],
        "parameters[interval_start]": [str(start)],
        "parameters[interval_end]": [str(end)],
        "parameters[connected_account]": ["acct_1RealLake"],
        "parameters[timezone]": ["America/Chicago"],
    }
    run.refresh_from_db()
    assert (run.stripe_id, run.status) == ("frr_1Rep", StripeReportRun.Status.PENDING)


def test_polling_pending_then_succeeded(
    real_account, admin_membership, real_keys, stripe_http, django_capture_on_commit_callbacks
):
    stripe_http.add(responses.POST, RUN_URL, json=run_answer())
    stripe_http.add(responses.GET, f"{RUN_URL}/frr_1Rep", json=run_answer())
    stripe_http.add(responses.GET, f"{RUN_URL}/frr_1Rep", json=run_answer("succeeded"))
    stripe_http.add(responses.GET, FILE_URL, body=CSV_TEXT, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=False):
        run = request_run(real_account.organization, admin_membership.user, PAYOUT_RECONCILIATION)

    assert stripe_report_poll(run_id=run.pk) == "pending"
    assert stripe_report_poll(run_id=run.pk) == "pending"
    assert stripe_report_poll(run_id=run.pk) == "succeeded"
    run.refresh_from_db()
    assert run.status == StripeReportRun.Status.SUCCEEDED
    assert run.content == CSV_TEXT
    assert run.file_name == "stripe-payout-reconciliation-lakeside-2026-11-01-to-2026-11-02.csv"
    file_call = stripe_http.calls[-1]
    assert file_call.request.url == FILE_URL
    assert file_call.request.headers["Authorization"].startswith("Basic ")
    # Idempotent: a finished run is left alone, Stripe not asked again.
    calls = len(stripe_http.calls)
    assert stripe_report_poll(run_id=run.pk) == "succeeded"
    assert len(stripe_http.calls) == calls


def test_polling_failed(
    real_account, admin_membership, real_keys, stripe_http, django_capture_on_commit_callbacks
):
    stripe_http.add(responses.POST, RUN_URL, json=run_answer())
    stripe_http.add(
        responses.GET,
        f"{RUN_URL}/frr_1Rep",
        json=run_answer("failed", error="Data for this interval is not yet available."),
    )
    with django_capture_on_commit_callbacks(execute=False):
        run = request_run(real_account.organization, admin_membership.user)
    stripe_report_poll(run_id=run.pk)
    assert stripe_report_poll(run_id=run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == StripeReportRun.Status.FAILED
    assert run.error == "Data for this interval is not yet available."


def test_task_retries_until_ready(
    real_account,
    admin_membership,
    real_keys,
    stripe_http,
    eager_retries,
    django_capture_on_commit_callbacks,
):
    stripe_http.add(responses.POST, RUN_URL, json=run_answer())
    stripe_http.add(responses.GET, f"{RUN_URL}/frr_1Rep", json=run_answer())
    stripe_http.add(responses.GET, f"{RUN_URL}/frr_1Rep", json=run_answer("succeeded"))
    stripe_http.add(responses.GET, FILE_URL, body=CSV_TEXT)
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(real_account.organization, admin_membership.user)
    run.refresh_from_db()
    assert run.status == StripeReportRun.Status.SUCCEEDED
    assert stripe_report_poll_task.max_retries == 30


def test_request_needs_a_connected_account(lakeside_account, admin_membership):
    with pytest.raises(ReportRequestError):
        request_run(lakeside_account.organization, admin_membership.user)
    assert not StripeReportRun.objects.exists()


# The demo gateway, end to end ------------------------------------------------------------


def _paid(ticket, paid_at, amount_cents, n):
    return PaymentRequest.objects.create(
        organization=ticket.organization,
        ticket=ticket,
        team=ticket.team,
        amount_cents=amount_cents,
        currency="usd",
        description=f"Service {n}",
        reference=f"RO-{n}",
        token=f"tok-sreport-{n}",
        fee_cents=100,
        net_cents=amount_cents - 100,
        status=PaymentRequest.Status.PAID,
        paid_at=paid_at,
        payment_intent_id=f"pi_sreport_{n}",
        charge_id=f"ch_sreport_{n}",
    )


def test_demo_gateway_end_to_end(
    client, connected_account, ticket, admin_membership, django_capture_on_commit_callbacks
):
    _paid(ticket, datetime(2026, 11, 1, 23, 30, tzinfo=CHICAGO), 12_345, 1)  # local Nov 1
    _paid(ticket, datetime(2026, 11, 2, 0, 30, tzinfo=CHICAGO), 5_000, 2)  # the next day
    client.force_login(admin_membership.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("stripe_report_create", kwargs={"org": "lakeside"}),
            {"report_type": BALANCE_CHANGE, "start": "2026-11-01", "end": "2026-11-01"},
        )
    assert response.status_code == 302
    run = StripeReportRun.objects.get()
    assert run.status == StripeReportRun.Status.SUCCEEDED
    assert run.stripe_id.startswith("frr_demo")
    answer = DemoGateway().retrieve_report_run(run.stripe_id)
    assert answer["status"] == "succeeded"
    assert answer["parameters"]["connected_account"] == connected_account.stripe_account_id
    assert "_demo_key" not in answer

    page = client.get(reverse("report_list", kwargs={"org": "lakeside"})).content.decode()
    assert "Reports from Stripe" in page
    assert "Balance change from activity" in page
    assert "Ready" in page

    download = client.get(
        reverse("stripe_report_download", kwargs={"org": "lakeside", "pk": run.pk})
    )
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        'attachment; filename="stripe-balance-change-lakeside-2026-11-01-to-2026-11-01.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [(r["charge_id"], r["gross"], r["fee"], r["net"]) for r in rows] == [
        ("ch_sreport_1", "123.45", "1.00", "122.45")
    ]
    assert rows[0]["created"] == "2026-11-01 23:30:00"
    assert rows[0]["created_utc"] == "2026-11-02 05:30:00"


def test_pending_row_refreshes_with_htmx(admin_membership, connected_account, client):
    run = StripeReportRun.objects.create(
        organization=connected_account.organization,
        report_type=BALANCE_CHANGE,
        interval_start=datetime(2026, 11, 1, 5, tzinfo=UTC),
        interval_end=datetime(2026, 11, 2, 5, tzinfo=UTC),
    )
    client.force_login(admin_membership.user)
    row = client.get(
        reverse("stripe_report_status", kwargs={"org": "lakeside", "pk": run.pk})
    ).content.decode()
    assert 'hx-trigger="every 3s"' in row
    assert "Preparing" in row
    run.status, run.error = StripeReportRun.Status.FAILED, "Stripe said no."
    run.save()
    row = client.get(
        reverse("stripe_report_status", kwargs={"org": "lakeside", "pk": run.pk})
    ).content.decode()
    assert "hx-trigger" not in row
    assert "Stripe said no." in row


def test_invalid_range_is_refused(admin_membership, connected_account, client):
    client.force_login(admin_membership.user)
    response = client.post(
        reverse("stripe_report_create", kwargs={"org": "lakeside"}),
        {"report_type": BALANCE_CHANGE, "start": "2026-11-05", "end": "2026-11-01"},
    )
    assert response.status_code == 400
    assert not StripeReportRun.objects.exists()


# Roles and tenancy ------------------------------------------------------------------------


@pytest.fixture
def ready_run(connected_account):
    return StripeReportRun.objects.create(
        organization=connected_account.organization,
        report_type=BALANCE_CHANGE,
        interval_start=datetime(2026, 11, 1, 5, tzinfo=UTC),
        interval_end=datetime(2026, 11, 2, 5, tzinfo=UTC),
        status=StripeReportRun.Status.SUCCEEDED,
        content=CSV_TEXT,
        file_name="r.csv",
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager", 200), ("advisor", 403), ("outsider", 404), ("anonymous", 302)],
)
def test_download_access(
    client, ready_run, who, status, manager_membership, advisor_membership, outsider_membership
):
    members = {
        "manager": manager_membership,
        "advisor": advisor_membership,
        "outsider": outsider_membership,
    }
    if who in members:
        client.force_login(members[who].user)
    url = reverse("stripe_report_download", kwargs={"org": "lakeside", "pk": ready_run.pk})
    assert client.get(url).status_code == status
    post = client.post(
        reverse("stripe_report_create", kwargs={"org": "lakeside"}),
        {"report_type": BALANCE_CHANGE, "start": "2026-11-01", "end": "2026-11-01"},
    )
    assert post.status_code in ({status} if status != 200 else {302})


def test_other_organizations_run_is_404(client, ready_run, outsider_membership):
    client.force_login(outsider_membership.user)
    for name in ("stripe_report_download", "stripe_report_status"):
        url = reverse(name, kwargs={"org": "hilltop", "pk": ready_run.pk})
        assert client.get(url).status_code == 404
