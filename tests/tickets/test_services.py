"""tickets.services: customers per organization, one open ticket per customer and team."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import SmsMessage
from tests.factories import TeamFactory
from tickets import services
from tickets.models import Customer, TeamNumber, Ticket, TimelineEntry

TEAM_NUMBER = "+13125550100"
PHONE = "+13125550142"


@pytest.fixture
def team_number(service_team):
    return TeamNumber.objects.create(team=service_team, number=TEAM_NUMBER)


@pytest.fixture
def customer(organization):
    return services.customer_get_or_create(
        organization=organization, name=" Dana Driver ", mobile_phone=PHONE
    )


def test_customer_get_or_create_finds_the_same_customer_in_one_organization(organization, customer):
    again = services.customer_get_or_create(
        organization=organization, name="Someone Else", mobile_phone=PHONE
    )
    assert again.pk == customer.pk
    assert again.name == "Dana Driver"
    assert Customer.objects.count() == 1


def test_the_same_number_in_two_organizations_is_two_customers(
    organization, other_organization, customer
):
    theirs = services.customer_get_or_create(
        organization=other_organization, name="Dana at Hilltop", mobile_phone=PHONE
    )
    assert theirs.pk != customer.pk
    assert theirs.organization == other_organization
    assert Customer.objects.filter(mobile_phone=PHONE).count() == 2


def test_ticket_open_reuses_the_open_ticket(organization, service_team, customer):
    first = services.ticket_open(organization=organization, team=service_team, customer=customer)
    second = services.ticket_open(organization=organization, team=service_team, customer=customer)
    assert first.pk == second.pk
    assert Ticket.objects.count() == 1


def test_ticket_open_is_per_team(organization, service_team, parts_team, customer):
    service = services.ticket_open(organization=organization, team=service_team, customer=customer)
    parts = services.ticket_open(organization=organization, team=parts_team, customer=customer)
    assert service.pk != parts.pk


def test_ticket_open_refuses_a_team_of_another_organization(
    organization, other_organization, customer
):
    theirs = TeamFactory(organization=other_organization)
    with pytest.raises(ValidationError):
        services.ticket_open(organization=organization, team=theirs, customer=customer)
    assert Ticket.objects.count() == 0


def test_inbound_after_the_ticket_closed_opens_a_new_one(
    organization, service_team, team_number, customer, admin_membership
):
    first = services.inbound_message(
        to_number=TEAM_NUMBER, from_number=PHONE, body="Hi", provider_id="SM1"
    )
    assert first is not None
    services.ticket_close(ticket=first.ticket, actor=admin_membership.user)

    second = services.inbound_message(
        to_number=TEAM_NUMBER, from_number=PHONE, body="Me again", provider_id="SM2"
    )

    assert second is not None
    assert second.ticket.pk != first.ticket.pk
    assert second.ticket.status == Ticket.Status.OPEN
    assert second.ticket.customer == customer
    first.ticket.refresh_from_db()
    assert first.ticket.status == Ticket.Status.CLOSED
    assert [(e.kind, e.event) for e in first.ticket.timeline.all()] == [
        ("inbound", ""),
        ("event", "ticket.closed"),
    ]
    assert [e.body for e in second.ticket.timeline.all()] == ["Me again"]


def test_inbound_to_an_unknown_number_stores_nothing(db):
    entry = services.inbound_message(
        to_number="+13125550999", from_number=PHONE, body="Hi", provider_id="SM1"
    )
    assert entry is None
    assert Customer.objects.count() == Ticket.objects.count() == TimelineEntry.objects.count() == 0


def test_inbound_updates_the_tickets_last_activity(organization, service_team, team_number):
    entry = services.inbound_message(
        to_number=TEAM_NUMBER, from_number=PHONE, body="Hi", provider_id="SM1"
    )
    assert entry is not None
    entry.ticket.refresh_from_db()
    assert entry.ticket.last_activity_at == entry.created_at


@pytest.mark.parametrize("word", ["stop", " Unsubscribe ", "QUIT"])
def test_stop_words_opt_out(team_number, customer, word):
    services.inbound_message(to_number=TEAM_NUMBER, from_number=PHONE, body=word, provider_id="SM1")
    customer.refresh_from_db()
    assert customer.opted_out


def test_a_sentence_with_stop_in_it_is_not_an_opt_out(team_number, customer):
    services.inbound_message(
        to_number=TEAM_NUMBER, from_number=PHONE, body="Please stop by at 5", provider_id="SM1"
    )
    customer.refresh_from_db()
    assert not customer.opted_out


def test_ticket_send_message_needs_a_body(organization, service_team, customer):
    ticket = services.ticket_open(organization=organization, team=service_team, customer=customer)
    with pytest.raises(ValidationError):
        services.ticket_send_message(ticket=ticket, actor=None, body="   ")
    assert SmsMessage.objects.count() == 0


def test_sms_status_update_for_an_unknown_message_answers_none(db):
    assert services.sms_status_update(provider_id="SMunknown", status="delivered") is None


def test_sms_status_update_without_a_provider_id_touches_no_queued_message(db):
    queued = SmsMessage.objects.create(to=PHONE, body="waiting")
    assert services.sms_status_update(provider_id="", status="failed", error_code="21610") is None
    queued.refresh_from_db()
    assert queued.status == SmsMessage.Status.QUEUED
