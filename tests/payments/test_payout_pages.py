"""Payouts: the list and a payout's composition, adding up to the payout amount."""

import io

import pytest
from django.core.management import call_command

from payments.models import PaymentRequest, Payout
from teams.models import Membership
from tests.factories import PASSWORD


@pytest.fixture
def demo(db, client):
    call_command("seed_demo", stdout=io.StringIO())
    return "demo-motors"


def sign_in(client, email):
    client.post("/accounts/login/", {"login": email, "password": "demo-dealer-2026"})


def test_a_payouts_lines_add_up_to_its_amount(client, demo):
    sign_in(client, "manager@demo.test")
    payout = Payout.objects.filter(payments__isnull=False).distinct().first()
    page = client.get(f"/o/{demo}/payouts/{payout.pk}/")
    assert page.status_code == 200
    payments = PaymentRequest.objects.filter(payout=payout)
    text = page.content.decode()
    for p in payments:
        assert p.display_number in text
    assert page.context["line_totals"]["net"] == payout.amount_cents


def test_the_payout_list_runs_a_constant_number_of_queries(
    client, demo, django_assert_max_num_queries
):
    sign_in(client, "admin@demo.test")
    client.get(f"/o/{demo}/payouts/")
    with django_assert_max_num_queries(10):
        page = client.get(f"/o/{demo}/payouts/")
    assert page.status_code == 200
    assert Payout.objects.count() >= 10


@pytest.mark.parametrize(
    ("email", "status"),
    [("advisor@demo.test", 403), ("manager@demo.test", 200), ("admin@demo.test", 200)],
)
def test_who_sees_payouts(client, demo, email, status):
    sign_in(client, email)
    payout = Payout.objects.first()
    assert client.get(f"/o/{demo}/payouts/").status_code == status
    assert client.get(f"/o/{demo}/payouts/{payout.pk}/").status_code == status


def test_another_organizations_payout_is_not_found(client, demo, outsider_membership):
    client.post("/accounts/login/", {"login": outsider_membership.user.email, "password": PASSWORD})
    payout = Payout.objects.first()
    own = outsider_membership.organization.slug
    assert client.get(f"/o/{demo}/payouts/").status_code == 404
    assert client.get(f"/o/{own}/payouts/{payout.pk}/").status_code == 404
    assert Membership.objects.filter(user=outsider_membership.user).count() == 1


def test_a_managers_payout_page_runs_the_same_queries_for_few_or_many_lines(
    client, organization, ticket, manager_membership
):
    """Another team's lines are summed in memory and ours listed with one query: the page's
    query count does not grow with the payout."""
    from datetime import UTC, date, datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from payments.models import PayoutLine
    from tests.factories import TeamFactory
    from tests.payments.payments_tab import payment_row
    from tickets.services import ticket_open

    at = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    body = TeamFactory(organization=organization, name="Body shop", payments_enabled=True)
    theirs = ticket_open(organization=organization, team=body, customer=ticket.customer)
    client.force_login(manager_membership.user)

    def page_queries(n: int, with_lines: bool) -> int:
        payout = Payout.objects.create(
            organization=organization,
            stripe_payout_id=f"po_count_{n}_{with_lines}",
            amount_cents=0,
            currency="usd",
            arrival_date=date(2026, 11, 27),
            status="paid",
            stripe_created=at,
            synced_at=at,
        )
        for i in range(n):
            for on in (ticket, theirs):
                payment = payment_row(on, amount=1_000 + i, at=at, payout=payout)
                if with_lines:
                    PayoutLine.objects.create(
                        payout=payout,
                        kind=PayoutLine.Kind.PAYMENT,
                        amount_cents=payment.amount_cents,
                        fee_cents=payment.fee_cents,
                        net_cents=payment.amount_cents - payment.fee_cents,
                        currency="usd",
                        payment=payment,
                        stripe_id=f"txn_{payment.pk}",
                        created=at,
                    )
        path = f"/o/{organization.slug}/payouts/{payout.pk}/"
        client.get(path)  # session and caches warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    for with_lines in (False, True):
        assert page_queries(2, with_lines) == page_queries(20, with_lines)
