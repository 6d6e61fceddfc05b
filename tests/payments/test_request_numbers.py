"""Receipt numbers count per organization: a customer's R-number says nothing of the platform."""

import threading

import pytest
from django.db import connection

from payments.ledger.selectors import _search
from payments.models import PaymentRequest
from tests.factories import OrganizationFactory, TeamFactory
from tickets.services import customer_get_or_create, ticket_open


def copy_of(request: PaymentRequest, **changes) -> PaymentRequest:
    values = {
        f.attname: getattr(request, f.attname)
        for f in PaymentRequest._meta.concrete_fields
        if f.attname not in {"id", "number", "token"}
    }
    values["token"] = f"t-{threading.get_ident()}-{id(values)}-{changes.get('description', '')}"
    return PaymentRequest(**{**values, **changes})


def test_each_organization_numbers_its_requests_from_one(client, payment_request):
    other = OrganizationFactory(name="Hillside Auto", slug="hillside")
    team = TeamFactory(organization=other, name="Service", payments_enabled=True)
    customer = customer_get_or_create(organization=other, name="Ari", mobile_phone="+13125550199")
    ticket = ticket_open(organization=other, team=team, customer=customer, subject="Oil")
    theirs = copy_of(
        payment_request, organization_id=other.pk, team_id=team.pk, ticket_id=ticket.pk
    )
    theirs.save()
    ours_next = copy_of(payment_request, description="Second")
    ours_next.save()

    assert payment_request.display_number == "R-000001"
    assert ours_next.display_number == "R-000002"
    assert theirs.pk > payment_request.pk and theirs.display_number == "R-000001"
    html = client.get(f"/p/{theirs.token}/").content.decode()
    assert "R-000001" in html and f"R-{theirs.pk:06d}" not in html


def test_bulk_inserts_are_numbered_in_turn(payment_request):
    rows = PaymentRequest.objects.bulk_create(
        [copy_of(payment_request, description=f"Line {n}") for n in range(3)]
    )
    assert [r.number for r in rows] == [2, 3, 4]
    assert sorted(PaymentRequest.objects.values_list("number", flat=True)) == [1, 2, 3, 4]


def test_a_rolled_back_request_gives_its_number_back(payment_request):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        copy_of(payment_request, description="Undone").save()
        raise RuntimeError
    assert copy_of(payment_request, description="Kept").save() is None
    assert sorted(PaymentRequest.objects.values_list("number", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_get_distinct_numbers(webhook_sink, payment_request):
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            barrier.wait()
            copy_of(payment_request, description=f"Thread {n}").save()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(PaymentRequest.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]


def test_search_by_number_finds_the_organizations_own_request(payment_request):
    found = _search(
        PaymentRequest.objects.filter(organization=payment_request.organization),
        "R-000001",
        payment_request.organization_id,
    )
    assert list(found) == [payment_request]
