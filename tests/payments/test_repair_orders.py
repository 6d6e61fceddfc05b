"""Repair orders: a deposit, then the balance, never together more than the order is worth;
paid in full, the conversation says so; its total changes within what was paid."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from payments.models import PaymentRequest, RepairOrder
from payments.requests import checkout as requests_checkout
from payments.requests import repair_orders
from payments.requests import services as requests_services
from teams.audit import AuditAction
from teams.models import AuditLog
from tests.factories import OrganizationFactory, TeamFactory
from tickets.models import TimelineEntry
from tickets.services import customer_get_or_create, ticket_open


@pytest.fixture
def order(connected_account, ticket, advisor_membership):
    return repair_orders.repair_order_create(
        ticket=ticket, actor=advisor_membership.user, number="RO-4411", total_cents=100_000
    )


def ask(order, membership, amount_cents, **kwargs):
    return requests_services.payment_request_create(
        ticket=order.ticket,
        actor=membership.user,
        amount_cents=amount_cents,
        description="Brake job",
        repair_order=order,
        **kwargs,
    )


def pay(request: PaymentRequest) -> None:
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        requests_services.payment_request_mark_paid(
            payment_request=locked, payment_intent_id=f"pi_test_{request.pk}"
        )


def test_a_repair_order_number_is_unique_in_its_organization(order, ticket, advisor_membership):
    with pytest.raises(ValidationError) as refused:
        repair_orders.repair_order_create(
            ticket=ticket, actor=advisor_membership.user, number=" RO-4411 ", total_cents=5_000
        )
    assert "RO-4411 exists already" in refused.value.message_dict["number"][0]
    assert RepairOrder.objects.count() == 1
    # Without a number, any number of orders; another dealership may use the same number.
    for _ in range(2):
        repair_orders.repair_order_create(
            ticket=ticket, actor=advisor_membership.user, number="", total_cents=5_000
        )
    other = OrganizationFactory(country="US")
    team = TeamFactory(organization=other, payments_enabled=True)
    customer = customer_get_or_create(organization=other, name="Ola", mobile_phone="+13125550190")
    their_ticket = ticket_open(organization=other, team=team, customer=customer)
    repair_orders.repair_order_create(
        ticket=their_ticket, actor=advisor_membership.user, number="RO-4411", total_cents=5_000
    )
    assert AuditLog.objects.filter(action=AuditAction.REPAIR_ORDER_CREATED).count() == 4


@pytest.mark.parametrize("total", [0, 49, 100 * 5_000_000 + 1])
def test_a_total_out_of_bounds_is_refused(connected_account, ticket, advisor_membership, total):
    with pytest.raises(ValidationError) as refused:
        repair_orders.repair_order_create(
            ticket=ticket, actor=advisor_membership.user, number="RO-1", total_cents=total
        )
    assert "total" in refused.value.message_dict
    assert not RepairOrder.objects.exists()


def test_requests_ask_at_most_what_is_still_owed(order, advisor_membership):
    deposit = ask(order, advisor_membership, 30_000)
    assert deposit.reference == "RO-4411"  # the order's number, unless another is given
    assert repair_orders.repair_order_balance(order).owed == 70_000

    with pytest.raises(ValidationError) as refused:
        ask(order, advisor_membership, 70_001)
    assert "At most $700.00 can be asked" in refused.value.message_dict["amount"][0]
    assert PaymentRequest.objects.count() == 1

    pay(deposit)
    balance = repair_orders.repair_order_balance(order)
    assert (balance.paid, balance.asked, balance.owed) == (30_000, 0, 70_000)

    rest = ask(order, advisor_membership, 70_000)
    requests_checkout.payment_request_cancel(payment_request=rest, actor=advisor_membership.user)
    assert repair_orders.repair_order_balance(order).owed == 70_000  # a cancelled ask frees it


def test_paid_in_full_the_order_is_done_and_the_conversation_says_so(order, advisor_membership):
    deposit = ask(order, advisor_membership, 25_000)
    pay(deposit)
    order.refresh_from_db()
    assert order.status == RepairOrder.Status.OPEN

    pay(ask(order, advisor_membership, 75_000))

    order.refresh_from_db()
    assert order.status == RepairOrder.Status.PAID and order.paid_at
    note = TimelineEntry.objects.get(ticket=order.ticket, event="repair_order.paid")
    assert note.event_label == "Repair order paid in full" and note.shows_as == "note"
    assert AuditLog.objects.filter(action=AuditAction.REPAIR_ORDER_PAID).count() == 1
    with pytest.raises(ValidationError, match="Nothing more can be asked"):
        ask(order, advisor_membership, 100)


def test_a_request_against_another_ticket_s_order_is_refused(
    order, organization, service_team, advisor_membership
):
    customer = customer_get_or_create(
        organization=organization, name="Sam", mobile_phone="+13125550177"
    )
    other = ticket_open(organization=organization, team=service_team, customer=customer)
    with pytest.raises(ValidationError, match="another ticket"):
        requests_services.payment_request_create(
            ticket=other,
            actor=advisor_membership.user,
            amount_cents=1_000,
            description="Oil",
            repair_order=order,
        )


def test_the_total_changes_by_the_advisor_until_something_is_paid_then_by_a_manager(
    order, advisor_membership, manager_membership
):
    repair_orders.repair_order_set_total(
        order=order, membership=advisor_membership, total_cents=90_000
    )
    pay(ask(order, advisor_membership, 40_000))
    ask(order, advisor_membership, 10_000)  # open: counts as asked

    with pytest.raises(PermissionDenied, match="ask a manager"):
        repair_orders.repair_order_set_total(
            order=order, membership=advisor_membership, total_cents=80_000
        )
    with pytest.raises(ValidationError) as refused:
        repair_orders.repair_order_set_total(
            order=order, membership=manager_membership, total_cents=49_999
        )
    assert "below $500.00" in refused.value.message_dict["total"][0]

    repair_orders.repair_order_set_total(
        order=order, membership=manager_membership, total_cents=50_000
    )
    order.refresh_from_db()
    assert order.total_cents == 50_000
    assert repair_orders.repair_order_balance(order).owed == 0
    changes = AuditLog.objects.filter(action=AuditAction.REPAIR_ORDER_TOTAL_CHANGED)
    assert changes.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_advisors_asking_at_once_cannot_together_ask_more_than_is_owed(
    webhook_sink, order, advisor_membership, monkeypatch
):
    """Each asks $600 of a $1,000 order at the same moment. Reading what is owed is slowed
    down, so without the order's row lock both would read $1,000 owed and both would ask."""
    slow = repair_orders.repair_order_balance

    def slow_balance(order):
        balance = slow(order)
        time.sleep(0.3)
        return balance

    monkeypatch.setattr(repair_orders, "repair_order_balance", slow_balance)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def advisor():
        start.wait()
        try:
            ask(order, advisor_membership, 60_000)
            outcomes.append("asked")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=advisor) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["asked", "refused"]
    assert PaymentRequest.objects.filter(repair_order=order).count() == 1


# The ticket's panel ------------------------------------------------------------------------


def panel(ticket, name="ticket_payment_requests"):
    from django.urls import reverse

    return reverse(name, kwargs={"org": ticket.organization.slug, "pk": ticket.pk})


def test_the_panel_opens_a_repair_order_and_refuses_a_number_in_use(
    advisor_client, connected_account, ticket, django_capture_on_commit_callbacks
):
    opened = advisor_client.post(
        panel(ticket, "ticket_repair_orders"),
        {"number": "RO-77", "total": "1,500.00"},
        HTTP_HX_REQUEST="true",
    )
    assert opened.status_code == 200
    html = opened.content.decode()
    assert "Repair order RO-77 opened for $1,500.00." in html
    assert 'id="repair-order-' in html and "$1,500.00" in html
    assert "RO-77: $1,500.00 still owed" in html  # the request form offers it

    again = advisor_client.post(
        panel(ticket, "ticket_repair_orders"), {"number": "RO-77", "total": "10"}
    )
    assert again.status_code == 422
    assert "RO-77 exists already" in again.content.decode()
    assert RepairOrder.objects.count() == 1


def test_the_panel_refuses_a_request_above_what_is_owed_and_changes_nothing(
    advisor_client, order, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        too_much = advisor_client.post(
            panel(ticket),
            {"amount": "1,000.01", "description": "Rest", "repair_order": str(order.pk)},
            HTTP_HX_REQUEST="true",
        )
    assert too_much.status_code == 422
    assert "At most $1,000.00 can be asked" in too_much.content.decode()
    assert not PaymentRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        deposit = advisor_client.post(
            panel(ticket),
            {"amount": "250", "description": "Deposit", "repair_order": str(order.pk)},
            HTTP_HX_REQUEST="true",
        )
    assert deposit.status_code == 200
    assert PaymentRequest.objects.get().repair_order == order
    assert "RO-4411: $750.00 still owed" in deposit.content.decode()


def test_an_advisor_of_another_team_cannot_open_one(
    client, connected_account, ticket, organization
):
    from tests.factories import MembershipFactory

    outsider = MembershipFactory(organization=organization, role="advisor")
    client.force_login(outsider.user)
    response = client.post(panel(ticket, "ticket_repair_orders"), {"total": "100"})
    assert response.status_code == 404
    assert not RepairOrder.objects.exists()


def test_the_panel_reads_repair_orders_in_constant_queries(
    advisor_client, order, ticket, advisor_membership, django_assert_max_num_queries
):
    advisor_client.get(panel(ticket))
    with django_assert_max_num_queries(40) as one:
        advisor_client.get(panel(ticket))
    for n in range(4):
        extra = repair_orders.repair_order_create(
            ticket=ticket, actor=advisor_membership.user, number=f"RO-9{n}", total_cents=9_000
        )
        ask(extra, advisor_membership, 1_000)
    with django_assert_max_num_queries(len(one.captured_queries)):
        advisor_client.get(panel(ticket))


def test_the_customer_s_page_says_deposit_or_balance_and_what_remains(
    client, order, advisor_membership
):
    deposit = ask(order, advisor_membership, 30_000)
    page = client.get(f"/p/{deposit.token}/").content.decode()
    assert "Deposit 1 on repair order RO-4411" in page
    assert 'id="repair-order-total"><span class="app-amount">$1,000.00' in page
    assert 'id="repair-order-left"><span class="app-amount">$700.00' in page

    pay(deposit)
    balance = ask(order, advisor_membership, 70_000)
    page = client.get(f"/p/{balance.token}/").content.decode()
    assert "Balance of repair order RO-4411" in page
    assert 'id="repair-order-paid"><span class="app-amount">$300.00' in page
    assert 'id="repair-order-left"><span class="app-amount">$0.00' in page
