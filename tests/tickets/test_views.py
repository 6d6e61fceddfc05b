"""Tickets in the browser's terms: who sees which ticket, writing to the customer."""

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from accounts import sms
from accounts.models import SmsMessage
from teams.roles import ROLE_CAPABILITIES, Capability, Role
from tests.factories import MembershipFactory, TeamFactory
from tickets import services
from tickets.models import Customer, Ticket, TimelineEntry


@pytest.fixture
def customer(organization):
    return services.customer_get_or_create(
        organization=organization, name="Casey Driver", mobile_phone="+13125550188"
    )


@pytest.fixture
def service_ticket(organization, service_team, customer, advisor_membership):
    return services.ticket_open(
        organization=organization, team=service_team, customer=customer, advisor=advisor_membership
    )


@pytest.fixture
def parts_ticket(organization, parts_team):
    other = services.customer_get_or_create(
        organization=organization, name="Pat Parts", mobile_phone="+13125550189"
    )
    return services.ticket_open(organization=organization, team=parts_team, customer=other)


def url(organization, suffix=""):
    return f"/o/{organization.slug}/tickets/{suffix}"


def test_advisor_sees_only_their_teams_tickets(
    advisor_client, organization, service_ticket, parts_ticket
):
    page = advisor_client.get(url(organization)).content.decode()
    assert "Casey Driver" in page
    assert "Pat Parts" not in page
    assert advisor_client.get(url(organization, f"{parts_ticket.pk}/")).status_code == 404


def test_manager_and_admin_see_every_ticket(
    manager_client, organization, service_ticket, parts_ticket
):
    page = manager_client.get(url(organization)).content.decode()
    assert "Casey Driver" in page and "Pat Parts" in page
    assert manager_client.get(url(organization, f"{parts_ticket.pk}/")).status_code == 200


def test_seeing_every_teams_tickets_is_a_capability(
    monkeypatch, advisor_client, organization, service_ticket, parts_ticket
):
    """The rule is the role's capabilities, not its name: give it to advisors, they see all."""
    monkeypatch.setitem(
        ROLE_CAPABILITIES,
        Role.ADVISOR,
        ROLE_CAPABILITIES[Role.ADVISOR] | {Capability.VIEW_EVERY_TEAMS_TICKETS},
    )
    page = advisor_client.get(url(organization)).content.decode()
    assert "Casey Driver" in page and "Pat Parts" in page
    assert advisor_client.get(url(organization, f"{parts_ticket.pk}/")).status_code == 200


def test_tickets_of_another_organization_are_not_found(
    client, outsider_membership, organization, service_ticket
):
    client.force_login(outsider_membership.user)
    assert client.get(url(organization)).status_code == 404
    assert client.get(url(organization, f"{service_ticket.pk}/")).status_code == 404
    # Even inside their own organization, our ticket's number leads nowhere.
    theirs = f"/o/{outsider_membership.organization.slug}/tickets/{service_ticket.pk}/"
    assert client.get(theirs).status_code == 404


def test_anonymous_people_go_to_the_login_page(client, organization, service_ticket):
    response = client.get(url(organization, f"{service_ticket.pk}/"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_writing_to_the_customer_queues_an_sms_and_shows_it(
    advisor_client, organization, service_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor_client.post(
            url(organization, f"{service_ticket.pk}/messages/"),
            {"body": "Your car is ready."},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert "Your car is ready." in response.content.decode()
    assert [(m.to, m.body) for m in sms.outbox] == [("+13125550188", "Your car is ready.")]
    entry = TimelineEntry.objects.get(ticket=service_ticket)
    assert entry.kind == "outbound"
    assert entry.sms.status == SmsMessage.Status.SENT


def test_an_empty_message_is_refused_and_sends_nothing(
    advisor_client, organization, service_ticket
):
    response = advisor_client.post(
        url(organization, f"{service_ticket.pk}/messages/"), {"body": " "}
    )
    assert response.status_code == 422
    assert not TimelineEntry.objects.exists()
    assert not SmsMessage.objects.exists()


def test_an_opted_out_customer_gets_no_text(advisor_client, organization, service_ticket, customer):
    Customer.objects.filter(pk=customer.pk).update(opted_out_at=timezone.now())
    response = advisor_client.post(
        url(organization, f"{service_ticket.pk}/messages/"), {"body": "Hello?"}
    )
    assert response.status_code == 422
    assert "replied STOP" in response.content.decode()
    assert not SmsMessage.objects.exists()


def test_new_ticket_for_a_new_customer_sends_the_first_message(
    advisor_client, organization, service_team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor_client.post(
            url(organization, "new/"),
            {
                "name": "Riley Road",
                "mobile_phone": "(416) 555-0100",
                "team": service_team.pk,
                "body": "Hi Riley, this is Lakeside service.",
            },
        )
    ticket = Ticket.objects.get()
    assert response["Location"] == url(organization, f"{ticket.pk}/")
    assert str(ticket.customer.mobile_phone) == "+14165550100"
    assert sms.outbox[0].body == "Hi Riley, this is Lakeside service."


def test_new_ticket_reuses_the_customer_and_their_open_ticket(
    advisor_client, organization, service_team, service_ticket
):
    response = advisor_client.post(
        url(organization, "new/"),
        {"name": "Someone Else", "mobile_phone": "+13125550188", "team": service_team.pk},
    )
    assert response["Location"] == url(organization, f"{service_ticket.pk}/")
    assert Customer.objects.count() == 1


def test_advisor_cannot_open_a_ticket_in_another_team(advisor_client, organization, parts_team):
    response = advisor_client.post(
        url(organization, "new/"),
        {"name": "X", "mobile_phone": "+13125550111", "team": parts_team.pk},
    )
    assert response.status_code == 422
    assert not Ticket.objects.exists()


def test_ticket_list_runs_a_constant_number_of_queries(
    manager_client, organization, service_team, django_assert_max_num_queries
):
    def make(n):
        for i in range(n):
            customer = services.customer_get_or_create(
                organization=organization, name=f"C{i}", mobile_phone=f"+1312555{3000 + i}"
            )
            advisor = MembershipFactory(organization=organization)
            team = TeamFactory(organization=organization)
            services.ticket_open(
                organization=organization, team=team, customer=customer, advisor=advisor
            )

    make(2)
    manager_client.get(url(organization))  # the first visit also stores the organization
    with django_assert_max_num_queries(10) as small:
        manager_client.get(url(organization))
    make(30)
    with django_assert_max_num_queries(10) as large:
        assert manager_client.get(url(organization)).status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)


def test_the_timeline_refreshes_as_a_partial(advisor_client, organization, service_ticket):
    services.timeline_add(ticket=service_ticket, kind="inbound", body="On my way")
    response = advisor_client.get(
        url(organization, f"{service_ticket.pk}/"), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert 'id="timeline"' in page and "On my way" in page
    assert "<html" not in page


def test_closing_a_ticket_records_it(advisor_client, organization, service_ticket):
    advisor_client.post(url(organization, f"{service_ticket.pk}/close/"))
    service_ticket.refresh_from_db()
    assert service_ticket.status == Ticket.Status.CLOSED
    assert TimelineEntry.objects.filter(event="ticket.closed").exists()


def test_the_ticket_page_says_when_and_by_which_text_the_customer_opted_out(
    advisor_client, organization, service_ticket, customer
):
    stop = services.timeline_add(
        ticket=service_ticket, kind=TimelineEntry.Kind.INBOUND, body="Arrêt"
    )
    Customer.objects.filter(pk=customer.pk).update(
        opted_out_at=datetime(2026, 12, 2, 21, 4, tzinfo=UTC), opt_out_message=stop
    )
    organization.time_zone = "America/New_York"
    organization.save()
    response = advisor_client.get(url(organization, f"{service_ticket.pk}/"))
    shown = re.sub(r"<[^>]+>", "", response.content.decode())  # the time is a <time> element
    assert "Opted out by text “Arrêt” on Dec 2, 2026, 4:04\u202fPM EST" in shown
