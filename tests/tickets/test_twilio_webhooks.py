"""Twilio's inbound SMS and status callbacks, signed exactly as Twilio signs them.

Twilio signs the public URL it called; the app sits behind a proxy, so the test client's own
host (testserver) differs from ``SITE_URL`` and only a signature over ``SITE_URL`` + path passes.
"""

from urllib.parse import parse_qs

import pytest
import responses
from django.core.exceptions import ValidationError
from django.urls import reverse
from twilio.request_validator import RequestValidator

from accounts import sms
from accounts.models import SmsMessage
from tests.fixtures import twilio
from tickets import services
from tickets.models import Customer, TeamNumber, Ticket, TimelineEntry
from tickets.webhooks import EMPTY_TWIML

AUTH_TOKEN = "twilio-auth-token"
SITE_URL = "https://pay.example.com"
TEAM_NUMBER = "+13125550100"
CUSTOMER_NUMBER = "+13125550142"
SMS_PATH = "/webhooks/twilio/sms/"
STATUS_PATH = "/webhooks/twilio/status/"


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.SITE_URL = SITE_URL


@pytest.fixture
def team_number(service_team):
    return TeamNumber.objects.create(team=service_team, number=TEAM_NUMBER)


@pytest.fixture
def customer(organization):
    return Customer.objects.create(
        organization=organization, name="Dana Driver", mobile_phone=CUSTOMER_NUMBER
    )


@pytest.fixture
def ticket(organization, service_team, customer):
    return services.ticket_open(organization=organization, team=service_team, customer=customer)


def signature(params, *, url, token=AUTH_TOKEN):
    return RequestValidator(token).compute_signature(url, params)


def post_signed(client, path, params, *, url=None, token=AUTH_TOKEN, headers=None):
    """POST form-encoded like Twilio, signed over the public URL unless told otherwise."""
    if headers is None:
        headers = {"X-Twilio-Signature": signature(params, url=url or SITE_URL + path, token=token)}
    return client.post(path, params, headers=headers)


def inbound(body="Is my car ready?", *, sid="SM" + "10" * 16, to=TEAM_NUMBER, from_=None):
    return {
        "AccountSid": twilio.ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "MessageSid": sid,
        "SmsSid": sid,
        "From": from_ or CUSTOMER_NUMBER,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "FromCountry": "US",
        "ToCountry": "US",
    }


def status(sid, message_status, error_code=None):
    params = {
        "AccountSid": twilio.ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": message_status,
        "SmsStatus": message_status,
        "To": CUSTOMER_NUMBER,
        "From": TEAM_NUMBER,
    }
    if error_code:
        params["ErrorCode"] = error_code
    return params


def nothing_stored():
    return (
        Customer.objects.count() == 0
        and Ticket.objects.count() == 0
        and TimelineEntry.objects.count() == 0
    )


def sent_message(ticket, django_capture_on_commit_callbacks, body="Your car is ready."):
    """Text the customer from the ticket (locmem backend) and return the sent SmsMessage."""
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.ticket_send_message(ticket=ticket, actor=None, body=body)
    message = SmsMessage.objects.get(pk=entry.sms_id)
    assert message.status == SmsMessage.Status.SENT
    return message


def events(ticket):
    return list(
        TimelineEntry.objects.filter(ticket=ticket, kind=TimelineEntry.Kind.EVENT).values_list(
            "event", flat=True
        )
    )


# --- Inbound SMS ------------------------------------------------------------------------------


def test_urls_are_the_ones_twilio_is_given():
    assert reverse("twilio_inbound_sms") == SMS_PATH
    assert reverse("twilio_message_status") == STATUS_PATH


def test_inbound_from_a_known_customer_joins_their_open_ticket(client, team_number, ticket):
    response = post_signed(client, SMS_PATH, inbound("Is my car ready?"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode() == EMPTY_TWIML
    assert Ticket.objects.count() == 1
    entry = TimelineEntry.objects.get(ticket=ticket)
    assert entry.kind == TimelineEntry.Kind.INBOUND
    assert entry.body == "Is my car ready?"
    assert entry.provider_id == "SM" + "10" * 16
    assert entry.author is None


def test_inbound_from_a_new_number_creates_customer_and_ticket_for_the_numbers_team(
    client, organization, service_team, parts_team, team_number, other_organization
):
    response = post_signed(client, SMS_PATH, inbound("Hello?", from_="+13125550177"))

    assert response.status_code == 200
    customer = Customer.objects.get()
    assert customer.organization == organization
    assert str(customer.mobile_phone) == "+13125550177"
    ticket = Ticket.objects.get()
    assert (ticket.organization, ticket.team, ticket.customer) == (
        organization,
        service_team,
        customer,
    )
    assert ticket.status == Ticket.Status.OPEN
    assert [(e.kind, e.body) for e in ticket.timeline.all()] == [("inbound", "Hello?")]


def test_inbound_routes_by_the_receiving_number_to_its_organization(
    client, organization, team_number, other_organization
):
    from tests.factories import TeamFactory

    hilltop_team = TeamFactory(organization=other_organization, name="Service")
    TeamNumber.objects.create(team=hilltop_team, number="+13125550200")

    post_signed(client, SMS_PATH, inbound(to="+13125550200", sid="SM" + "20" * 16))

    ticket = Ticket.objects.get()
    assert ticket.organization == other_organization
    assert ticket.team == hilltop_team
    assert ticket.customer.organization == other_organization


def test_duplicate_message_sid_is_stored_once(client, team_number):
    first = post_signed(client, SMS_PATH, inbound("Once"))
    again = post_signed(client, SMS_PATH, inbound("Once"))

    assert (first.status_code, again.status_code) == (200, 200)
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.INBOUND).count() == 1
    assert Customer.objects.count() == 1
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "forgery",
    [
        "wrong_token",
        "tampered_signature",
        "missing_header",
        "empty_header",
        "request_host_url",
        "other_path",
        "tampered_body",
        "tampered_from",
    ],
)
def test_forged_inbound_is_refused_and_stores_nothing(client, team_number, forgery):
    params = inbound("Pay me back")
    url = SITE_URL + SMS_PATH
    good = signature(params, url=url)
    headers = {
        "wrong_token": {"X-Twilio-Signature": signature(params, url=url, token="not-our-token")},
        "tampered_signature": {
            "X-Twilio-Signature": good[:-2] + ("A=" if good[-2] != "A" else "B=")
        },
        "missing_header": {},
        "empty_header": {"X-Twilio-Signature": ""},
        # The request's own host: a server trusting it would accept requests replayed elsewhere.
        "request_host_url": {
            "X-Twilio-Signature": signature(params, url="http://testserver" + SMS_PATH)
        },
        "other_path": {"X-Twilio-Signature": signature(params, url=SITE_URL + STATUS_PATH)},
        "tampered_body": {"X-Twilio-Signature": good},
        "tampered_from": {"X-Twilio-Signature": good},
    }[forgery]
    if forgery == "tampered_body":
        params = {**params, "Body": "Something else"}
    if forgery == "tampered_from":
        params = {**params, "From": "+13125550199"}

    response = client.post(SMS_PATH, params, headers=headers)

    assert response.status_code == 403
    assert nothing_stored()


def test_inbound_is_refused_when_no_auth_token_is_configured(client, settings, team_number):
    settings.TWILIO_AUTH_TOKEN = ""
    response = post_signed(client, SMS_PATH, inbound(), token="")
    assert response.status_code == 403
    assert nothing_stored()


def test_inbound_to_a_number_that_is_not_ours_is_refused_and_stores_nothing(client, team_number):
    response = post_signed(client, SMS_PATH, inbound(to="+13125550999"))
    assert response.status_code == 403
    assert nothing_stored()


def test_signed_inbound_without_message_sid_is_refused(client, team_number):
    params = inbound()
    del params["MessageSid"]
    response = post_signed(client, SMS_PATH, params)
    assert response.status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize("path", [SMS_PATH, STATUS_PATH])
def test_webhooks_accept_only_post(client, path):
    assert client.get(path).status_code == 405


@pytest.mark.parametrize("path", [SMS_PATH, STATUS_PATH])
def test_webhooks_need_no_login_nor_csrf_token(path, team_number):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    params = inbound() if path == SMS_PATH else status("SM" + "99" * 16, "delivered")
    response = post_signed(strict, path, params)
    assert response.status_code == 200


# --- Opt-out by STOP / START ------------------------------------------------------------------


def test_stop_opts_the_customer_out_and_nothing_more_is_texted(
    client, team_number, ticket, customer, django_capture_on_commit_callbacks
):
    response = post_signed(client, SMS_PATH, inbound("STOP"))

    assert response.status_code == 200
    assert response.content.decode() == EMPTY_TWIML  # Twilio's Advanced Opt-Out replies
    customer.refresh_from_db()
    assert customer.opted_out
    assert events(ticket) == ["customer.opted_out"]

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError, match="STOP"),
    ):
        services.ticket_send_message(ticket=ticket, actor=None, body="Your car is ready.")
    assert SmsMessage.objects.count() == 0
    assert sms.outbox == []
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.OUTBOUND).exists()


def test_start_opts_the_customer_back_in(
    client, team_number, ticket, customer, django_capture_on_commit_callbacks
):
    post_signed(client, SMS_PATH, inbound("Stop", sid="SM" + "31" * 16))
    post_signed(client, SMS_PATH, inbound(" start ", sid="SM" + "32" * 16))

    customer.refresh_from_db()
    assert not customer.opted_out
    assert events(ticket) == ["customer.opted_out", "customer.opted_in"]
    sent_message(ticket, django_capture_on_commit_callbacks)
    assert [m.to for m in sms.outbox] == [CUSTOMER_NUMBER]


def test_a_repeated_stop_is_recorded_once(client, team_number, ticket, customer):
    post_signed(client, SMS_PATH, inbound("STOP", sid="SM" + "41" * 16))
    post_signed(client, SMS_PATH, inbound("STOP", sid="SM" + "42" * 16))
    assert events(ticket) == ["customer.opted_out"]


@pytest.mark.parametrize("body", ["  arrêt. ", "ALTO", "Parar", "baja", "Stop texting me"])
def test_french_and_spanish_stop_words_and_short_stop_replies_opt_out(
    client, team_number, ticket, customer, body
):
    post_signed(client, SMS_PATH, inbound(body))
    customer.refresh_from_db()
    assert customer.opted_out


def test_an_opt_out_is_recorded_with_its_time_and_the_text_that_asked(
    client, team_number, ticket, customer
):
    post_signed(client, SMS_PATH, inbound("Is my car ready?", sid="SM" + "51" * 16))
    post_signed(client, SMS_PATH, inbound("Arrêt", sid="SM" + "52" * 16))
    post_signed(client, SMS_PATH, inbound("STOP", sid="SM" + "53" * 16))  # changes nothing

    customer.refresh_from_db()
    stop = TimelineEntry.objects.get(provider_id="SM" + "52" * 16)
    assert customer.opt_out_message == stop
    assert customer.opted_out_at is not None
    assert stop.created_at <= customer.opted_out_at

    post_signed(client, SMS_PATH, inbound("start", sid="SM" + "54" * 16))
    customer.refresh_from_db()
    assert (customer.opted_out_at, customer.opt_out_message) == (None, None)


def test_a_carrier_reported_opt_out_is_recorded_without_a_text(
    client, team_number, ticket, customer, django_capture_on_commit_callbacks
):
    message = sent_message(ticket, django_capture_on_commit_callbacks)
    post_signed(client, STATUS_PATH, status(message.provider_id, "failed", "21610"))
    customer.refresh_from_db()
    assert customer.opted_out_at is not None
    assert customer.opt_out_message is None


def test_help_is_answered_with_the_dealerships_name_and_number_and_how_to_stop(
    client, team_number, ticket, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(client, SMS_PATH, inbound(" Help? "))
    assert response.content.decode() == EMPTY_TWIML  # the answer is a text of ours, queued
    [reply] = sms.outbox
    assert reply.to == CUSTOMER_NUMBER
    assert "Lakeside Motors" in reply.body
    assert "(312) 555-0100" in reply.body  # the team number the customer texted
    assert "Reply STOP" in reply.body
    outbound = TimelineEntry.objects.get(ticket=ticket, kind=TimelineEntry.Kind.OUTBOUND)
    assert outbound.body == reply.body
    assert SmsMessage.objects.get(pk=outbound.sms_id).status == SmsMessage.Status.SENT
    customer.refresh_from_db()
    assert not customer.opted_out


def test_help_is_answered_once_when_twilio_delivers_it_twice(
    client, team_number, ticket, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(client, SMS_PATH, inbound("HELP"))
        post_signed(client, SMS_PATH, inbound("HELP"))
    assert len(sms.outbox) == 1


# --- Status callbacks -------------------------------------------------------------------------


def test_status_delivered_marks_the_message_delivered(
    client, ticket, django_capture_on_commit_callbacks
):
    message = sent_message(ticket, django_capture_on_commit_callbacks)

    response = post_signed(client, STATUS_PATH, status(message.provider_id, "delivered"))

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.DELIVERED
    assert message.error_code == ""


def test_status_undelivered_keeps_twilios_error_code(
    client, ticket, customer, django_capture_on_commit_callbacks
):
    message = sent_message(ticket, django_capture_on_commit_callbacks)

    post_signed(client, STATUS_PATH, status(message.provider_id, "undelivered", "30003"))

    message.refresh_from_db()
    assert message.status == SmsMessage.Status.UNDELIVERED
    assert message.error_code == "30003"
    assert "30003" in message.error
    customer.refresh_from_db()
    assert not customer.opted_out  # unreachable handset is not an opt-out


def test_status_failed_with_21610_opts_the_customer_out(
    client, ticket, customer, django_capture_on_commit_callbacks
):
    message = sent_message(ticket, django_capture_on_commit_callbacks)

    post_signed(client, STATUS_PATH, status(message.provider_id, "failed", "21610"))

    message.refresh_from_db()
    assert message.status == SmsMessage.Status.FAILED
    assert message.error_code == "21610"
    customer.refresh_from_db()
    assert customer.opted_out
    assert events(ticket) == ["customer.opted_out"]


def test_a_late_sent_after_delivered_keeps_delivered(
    client, ticket, django_capture_on_commit_callbacks
):
    message = sent_message(ticket, django_capture_on_commit_callbacks)

    post_signed(client, STATUS_PATH, status(message.provider_id, "delivered"))
    post_signed(client, STATUS_PATH, status(message.provider_id, "sent"))

    message.refresh_from_db()
    assert message.status == SmsMessage.Status.DELIVERED


@pytest.mark.parametrize("interim", ["queued", "sending", "accepted"])
def test_interim_statuses_change_nothing(
    client, ticket, django_capture_on_commit_callbacks, interim
):
    message = sent_message(ticket, django_capture_on_commit_callbacks)
    response = post_signed(client, STATUS_PATH, status(message.provider_id, interim))
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT


def test_status_for_an_unknown_message_is_acknowledged_and_stores_nothing(
    client, ticket, django_capture_on_commit_callbacks
):
    message = sent_message(ticket, django_capture_on_commit_callbacks)

    response = post_signed(client, STATUS_PATH, status("SM" + "ff" * 16, "failed", "21610"))

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT
    assert not ticket.customer.opted_out
    assert events(ticket) == []


def test_status_without_message_sid_touches_no_queued_message(client, ticket):
    queued = SmsMessage.objects.create(to=CUSTOMER_NUMBER, body="waiting")  # provider_id ""
    params = status("", "failed", "21610")
    del params["MessageSid"]

    response = post_signed(client, STATUS_PATH, params)

    assert response.status_code == 403
    queued.refresh_from_db()
    assert queued.status == SmsMessage.Status.QUEUED


@pytest.mark.parametrize("forgery", ["wrong_token", "missing_header", "request_host_url"])
def test_forged_status_is_refused_and_changes_nothing(
    client, ticket, django_capture_on_commit_callbacks, forgery
):
    message = sent_message(ticket, django_capture_on_commit_callbacks)
    params = status(message.provider_id, "failed", "21610")
    headers = {
        "wrong_token": {
            "X-Twilio-Signature": signature(params, url=SITE_URL + STATUS_PATH, token="nope")
        },
        "missing_header": {},
        "request_host_url": {
            "X-Twilio-Signature": signature(params, url="http://testserver" + STATUS_PATH)
        },
    }[forgery]

    response = client.post(STATUS_PATH, params, headers=headers)

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT
    ticket.customer.refresh_from_db()
    assert not ticket.customer.opted_out


# --- The SMS task: Twilio refuses an unsubscribed customer ----------------------------------


@pytest.fixture
def use_twilio_backend(settings):
    settings.SMS_BACKEND = "accounts.sms.TwilioBackend"
    settings.TWILIO_ACCOUNT_SID = twilio.ACCOUNT_SID
    settings.TWILIO_FROM_NUMBER = TEAM_NUMBER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""


def test_twilio_refusing_an_unsubscribed_customer_opts_them_out_through_the_failure_hook(
    ticket, customer, use_twilio_backend, django_capture_on_commit_callbacks
):
    with responses.RequestsMock() as twilio_api:
        twilio_api.post(
            twilio.MESSAGES_URL,
            json=twilio.error(
                code=21610,
                message="Attempt to send to unsubscribed recipient",
                status=400,
            ),
            status=400,
        )
        with django_capture_on_commit_callbacks(execute=True):
            entry = services.ticket_send_message(ticket=ticket, actor=None, body="Ready!")
        assert len(twilio_api.calls) == 1  # a 4xx is final: no retry
        form = parse_qs(twilio_api.calls[0].request.body)

    # Twilio is told to report back to the URL the status webhook validates against.
    assert form["StatusCallback"] == [SITE_URL + STATUS_PATH]
    message = SmsMessage.objects.get(pk=entry.sms_id)
    assert message.status == SmsMessage.Status.FAILED
    assert message.error_code == "21610"
    customer.refresh_from_db()
    assert customer.opted_out
    assert events(ticket) == ["customer.opted_out"]
    with pytest.raises(ValidationError):
        services.ticket_send_message(ticket=ticket, actor=None, body="Again?")
