"""SMS: backends like Django's e-mail backends, the Twilio one tested at Twilio's HTTP boundary."""

from urllib.parse import parse_qs

import pytest
import responses

from accounts import sms
from accounts.models import SmsMessage
from accounts.services import sms_deliver, sms_queue
from accounts.tasks import MAX_RETRIES, backoff, sms_send
from tests.fixtures import twilio

TWILIO_SETTINGS = {
    "SMS_BACKEND": "accounts.sms.TwilioBackend",
    "TWILIO_ACCOUNT_SID": twilio.ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": "twilio-auth-token",
    "TWILIO_FROM_NUMBER": "+13125550000",
    "TWILIO_MESSAGING_SERVICE_SID": "",
}


@pytest.fixture
def use_twilio(settings):
    for name, value in TWILIO_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture
def twilio_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_sms_queue_sends_after_commit_through_the_task(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_queue(to="+13125550142", body="Hello from Lakeside")
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT
    assert message.provider_id.startswith("locmem-")
    assert [(m.to, m.body) for m in sms.outbox] == [("+13125550142", "Hello from Lakeside")]


def test_sms_queue_sends_nothing_when_the_transaction_rolls_back(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sms_queue(to="+13125550142", body="never")
    assert len(callbacks) == 1
    assert sms.outbox == []


def test_sms_queue_keeps_secrets_out_of_the_database(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_queue(
            to="+13125550142", body="Join: https://x/i/SECRET123", secret="SECRET123"
        )
    message.refresh_from_db()
    assert "SECRET123" not in message.body
    assert sms.outbox[0].body == "Join: https://x/i/SECRET123"


def test_sms_deliver_is_idempotent_once_sent(db):
    message = SmsMessage.objects.create(to="+13125550142", body="once")
    sms_deliver(message_id=message.pk)
    sms_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert len(sms.outbox) == 1
    assert message.attempts == 1


def test_twilio_backend_posts_to_the_messages_api(db, use_twilio, twilio_api):
    twilio_api.post(
        twilio.MESSAGES_URL,
        json=twilio.message_created(to="+13125550142", body="Hi", from_="+13125550000"),
        status=201,
    )
    message = SmsMessage.objects.create(to="+13125550142", body="Hi")
    sms_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT
    assert message.provider_id == "SM" + "a1" * 16
    request = twilio_api.calls[0].request
    form = parse_qs(request.body)
    assert form == {
        "To": ["+13125550142"],
        "From": ["+13125550000"],
        "Body": ["Hi"],
        "StatusCallback": ["http://127.0.0.1:8000/webhooks/twilio/status/"],
    }
    assert request.headers["Authorization"].startswith("Basic ")


def test_twilio_backend_uses_the_messaging_service_when_configured(
    db, use_twilio, settings, twilio_api
):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "0f" * 16
    twilio_api.post(
        twilio.MESSAGES_URL,
        json=twilio.message_created(to="+13125550142", body="Hi", from_="+13125550000"),
        status=201,
    )
    sms_deliver(message_id=SmsMessage.objects.create(to="+13125550142", body="Hi").pk)
    form = parse_qs(twilio_api.calls[0].request.body)
    assert form["MessagingServiceSid"] == ["MG" + "0f" * 16]
    assert "From" not in form


def test_twilio_rejection_marks_the_message_failed_without_retry(db, use_twilio, twilio_api):
    twilio_api.post(
        twilio.MESSAGES_URL,
        json=twilio.error(
            code=21211,
            message="The 'To' number +13125550142 is not a valid phone number.",
            status=400,
        ),
        status=400,
    )
    message = SmsMessage.objects.create(to="+13125550142", body="Hi")
    sms_send.apply(args=[message.pk])

    message.refresh_from_db()
    assert message.status == SmsMessage.Status.FAILED
    assert "21211" in message.error
    assert "not a valid phone number" in message.error
    assert message.attempts == 1  # a 4xx is final: no retry
    assert len(twilio_api.calls) == 1


def test_twilio_outage_is_retried_with_backoff_until_it_succeeds(
    db, use_twilio, twilio_api, eager_retries
):
    outage = twilio.error(code=20500, message="Internal Server Error", status=500)
    twilio_api.post(twilio.MESSAGES_URL, json=outage, status=500)
    twilio_api.post(twilio.MESSAGES_URL, json=outage, status=503)
    twilio_api.post(
        twilio.MESSAGES_URL,
        json=twilio.message_created(to="+13125550142", body="Hi", from_="+13125550000"),
        status=201,
    )
    message = SmsMessage.objects.create(to="+13125550142", body="Hi")
    sms_send.apply(args=[message.pk])  # eager: Celery runs each retry in turn

    message.refresh_from_db()
    assert len(twilio_api.calls) == 3
    assert message.status == SmsMessage.Status.SENT
    assert message.attempts == 3
    assert message.error == ""


def test_twilio_outage_gives_up_after_max_retries_and_says_why(
    db, use_twilio, twilio_api, eager_retries
):
    twilio_api.post(
        twilio.MESSAGES_URL,
        json=twilio.error(code=20429, message="Too Many Requests", status=429),
        status=429,
    )
    message = SmsMessage.objects.create(to="+13125550142", body="Hi")
    sms_send.apply(args=[message.pk])

    message.refresh_from_db()
    assert message.status == SmsMessage.Status.FAILED
    assert message.attempts == MAX_RETRIES + 1
    assert "20429" in message.error


def test_backoff_grows_and_is_capped():
    assert [backoff(n) for n in range(4)] == [30, 60, 120, 240]
    assert backoff(20) == 3600


def test_twilio_backend_without_credentials_fails_clearly(db, settings):
    settings.SMS_BACKEND = "accounts.sms.TwilioBackend"
    settings.TWILIO_ACCOUNT_SID = ""
    message = SmsMessage.objects.create(to="+13125550142", body="Hi")
    with pytest.raises(sms.SmsError, match="credentials"):
        sms_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.FAILED


def test_console_backend_prints_the_message(capsys):
    provider_id = sms.ConsoleBackend().send(to="+13125550142", body="Printed")
    assert provider_id.startswith("console-")
    assert "Printed" in capsys.readouterr().out
