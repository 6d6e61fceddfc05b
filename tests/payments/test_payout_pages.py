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


def test_a_payouts_payments_and_adjustments_add_up_to_its_amount(client, demo):
    sign_in(client, "manager@demo.test")
    payout = Payout.objects.filter(payments__isnull=False).distinct().first()
    page = client.get(f"/o/{demo}/payouts/{payout.pk}/")
    assert page.status_code == 200
    payments = PaymentRequest.objects.filter(payout=payout)
    kept = sum(p.amount_cents - p.fee_cents for p in payments)
    text = page.content.decode()
    for p in payments:
        assert p.display_number in text
    other = kept - payout.amount_cents
    assert page.context["kept"] - page.context["other"] == payout.amount_cents
    assert page.context["other"] == other


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
