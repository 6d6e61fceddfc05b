"""Team scope everywhere: a manager sees payments, payouts' lines,
tickets' payment panels and pay links only of their payments-enabled teams; an admin sees all.

Lakeside's manager is in Service; Body shop takes payments too but the manager is not on it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from payments.models import PaymentRequest, Payout, PayoutLine
from tests.factories import TeamFactory
from tests.payments.payments_tab import payment_row
from tickets.services import customer_get_or_create, ticket_open

PAID_AT = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.fixture
def body_shop_ticket(organization):
    team = TeamFactory(organization=organization, name="Body shop", payments_enabled=True)
    customer = customer_get_or_create(
        organization=organization, name="Hidden Customer", mobile_phone="+13125550177"
    )
    return ticket_open(organization=organization, team=team, customer=customer, subject="Dent")


@pytest.fixture
def payout(organization):
    return Payout.objects.create(
        organization=organization,
        stripe_payout_id="po_scope_1",
        amount_cents=0,
        currency="usd",
        arrival_date=PAID_AT.date(),
        status="paid",
        stripe_created=PAID_AT,
        synced_at=PAID_AT,
    )


@pytest.fixture
def ours(ticket, payout):
    return payment_row(ticket, amount=10_000, at=PAID_AT, payout=payout, description="Brakes")


@pytest.fixture
def theirs(body_shop_ticket, payout):
    return payment_row(
        body_shop_ticket, amount=70_000, at=PAID_AT, payout=payout, description="Hidden dent"
    )


def _settle(payout, *payments):
    payout.amount_cents = sum(p.amount_cents - p.fee_cents for p in payments)
    payout.save(update_fields=["amount_cents"])


def _url(name, **kwargs):
    return reverse(name, kwargs={"org": "lakeside", **kwargs})


def test_a_payout_shows_other_teams_payments_as_one_line(manager_client, payout, ours, theirs):
    _settle(payout, ours, theirs)
    page = manager_client.get(_url("payout_detail", pk=payout.pk)).content.decode()
    assert "Dana Driver" in page and "Brakes" in page
    assert "Hidden Customer" not in page and "Hidden dent" not in page
    assert 'id="payout-other-teams"' in page and "$700.00" in page  # their gross, as one row
    assert "1 payment of teams you are not on" in page
    assert "$773.40" in page  # the payout still adds up: 96.45 ours + 676.95 theirs


def test_an_admin_sees_every_payment_of_a_payout(admin_client, payout, ours, theirs):
    _settle(payout, ours, theirs)
    page = admin_client.get(_url("payout_detail", pk=payout.pk)).content.decode()
    assert "Hidden Customer" in page and 'id="payout-other-teams"' not in page


def test_a_payouts_stripe_lines_of_other_teams_are_one_line(manager_client, payout, ours, theirs):
    for n, payment in enumerate((ours, theirs)):
        PayoutLine.objects.create(
            payout=payout,
            kind=PayoutLine.Kind.PAYMENT,
            amount_cents=payment.amount_cents - payment.fee_cents,
            net_cents=payment.amount_cents - payment.fee_cents,
            currency="usd",
            payment=payment,
            stripe_id=f"txn_scope_{n}",
            created=PAID_AT,
        )
    _settle(payout, ours, theirs)
    page = manager_client.get(_url("payout_detail", pk=payout.pk)).content.decode()
    assert "Brakes" in page and "Hidden dent" not in page
    assert f"R-{theirs.number:06d}" not in page
    assert 'id="payout-other-teams"' in page
    assert "1 line of payments of teams you are not on" in page


def test_another_teams_ticket_shows_no_payment_panel_rows_or_link(
    manager_client, connected_account, body_shop_ticket, theirs
):
    PaymentRequest.objects.filter(pk=theirs.pk).update(status="open")  # its link would show
    panel = manager_client.get(_url("ticket_payment_requests", pk=body_shop_ticket.pk))
    text = panel.content.decode()
    assert panel.status_code == 200
    assert theirs.token not in text and "$700.00" not in text and "Hidden dent" not in text


def test_another_teams_ticket_timeline_shows_no_payment_events(
    manager_client, body_shop_ticket, theirs
):
    from payments.timeline import payment_request_timeline

    payment_request_timeline(theirs, "payment_request.paid")
    page = manager_client.get(_url("ticket_detail", pk=body_shop_ticket.pk)).content.decode()
    assert "Hidden dent" not in page and "$700.00" not in page


def test_an_admin_sees_every_teams_panel(admin_client, connected_account, body_shop_ticket, theirs):
    text = admin_client.get(_url("ticket_payment_requests", pk=body_shop_ticket.pk)).content
    assert b"$700.00" in text and b"Hidden dent" in text
    PaymentRequest.objects.filter(pk=theirs.pk).update(status="open")
    text = admin_client.get(_url("ticket_payment_requests", pk=body_shop_ticket.pk)).content
    assert theirs.token.encode() in text  # the link to copy


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("payment_detail", "get"),
        ("payment_request_cancel", "post"),
        ("payment_request_resend", "post"),
    ],
)
def test_another_teams_payment_urls_answer_404(
    manager_client, body_shop_ticket, theirs, name, method
):
    PaymentRequest.objects.filter(pk=theirs.pk).update(status="open")
    kwargs = {"pk": theirs.pk}
    if name != "payment_detail":
        kwargs["ticket_pk"] = body_shop_ticket.pk
    response = getattr(manager_client, method)(_url(name, **kwargs))
    assert response.status_code == 404
    assert PaymentRequest.objects.get(pk=theirs.pk).status == "open"  # nothing changed


def test_stripes_account_wide_reports_are_not_for_a_manager_of_some_teams(
    manager_client, connected_account, body_shop_ticket
):
    from payments.models import StripeReportRun

    run = StripeReportRun.objects.create(
        organization=connected_account.organization,
        report_type="balance_change_from_activity.itemized.3",
        interval_start=PAID_AT,
        interval_end=PAID_AT,
        status=StripeReportRun.Status.SUCCEEDED,
        content="balance_transaction_id,description\ntxn_1,Hidden dent\n",
        file_name="r.csv",
    )
    assert manager_client.get(_url("stripe_report_download", pk=run.pk)).status_code == 403
    created = manager_client.post(
        _url("stripe_report_create"),
        {"report_type": run.report_type, "start": "2026-11-01", "end": "2026-11-01"},
    )
    assert created.status_code == 403 and StripeReportRun.objects.count() == 1
    page = manager_client.get(_url("report_list")).content.decode()
    assert 'id="stripe-reports-hidden"' in page and 'id="stripe-reports"' not in page


# One rule for acting on a payment (payments.scope.payment_for) ---------------------------


def test_payment_for_answers_404_outside_the_scope_and_403_without_the_capability(
    manager_membership, advisor_membership, admin_membership, outsider_membership, ours, theirs
):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from payments.scope import payment_allows, payment_for
    from teams.roles import Capability

    refund = Capability.REFUND_PAYMENT
    assert payment_for(membership=manager_membership, pk=ours.pk, capability=refund) == ours
    assert payment_for(membership=admin_membership, pk=theirs.pk, capability=refund) == theirs
    for membership, pk in (
        (manager_membership, theirs.pk),  # another team's
        (outsider_membership, ours.pk),  # another organization's
        (advisor_membership, theirs.pk),
    ):
        with pytest.raises(Http404):
            payment_for(membership=membership, pk=pk, capability=refund)
        assert not payment_allows(membership, PaymentRequest.objects.get(pk=pk), refund)
    with pytest.raises(PermissionDenied):  # the advisor sees it on the ticket, may not refund
        payment_for(membership=advisor_membership, pk=ours.pk, capability=refund)
    assert not payment_allows(advisor_membership, ours, refund)
    assert payment_allows(manager_membership, ours, refund)
