"""Reminders go out between 8 a.m. and 8 p.m. in the customer's own time zone, once."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts import sms
from payments.models import PaymentRequest
from payments.requests.tasks import payment_reminders_send
from tickets.models import Customer, TimelineEntry

# Nov 25, 2026 is standard time: 8 a.m. in Chicago is 14:00 UTC, in Vancouver 16:00 UTC.
CHICAGO_8_AM = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


@pytest.fixture
def due_request(payment_request):
    """The request of a Chicago customer (+1 312) of the Chicago dealership, due since the
    morning before (created 48 h before, reminder delay 24 h)."""
    PaymentRequest.objects.filter(pk=payment_request.pk).update(
        created_at=CHICAGO_8_AM - timedelta(hours=48)
    )
    return payment_request


def beat_run(at, capture):
    with capture(execute=True):
        payment_reminders_send(now=at.isoformat())


def reminders():
    return TimelineEntry.objects.filter(event="payment_request.reminded").count()


def test_a_reminder_is_held_outside_8_am_to_8_pm_customer_time_and_sent_at_8_am_once(
    due_request, django_capture_on_commit_callbacks
):
    sms.outbox.clear()
    evening_before = CHICAGO_8_AM - timedelta(hours=12)  # 8:00 p.m. in Chicago
    beat_run(evening_before + timedelta(minutes=1), django_capture_on_commit_callbacks)
    beat_run(CHICAGO_8_AM - timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert sms.outbox == []
    assert reminders() == 0
    assert PaymentRequest.objects.get(pk=due_request.pk).reminder_sent_at is None  # not claimed

    beat_run(CHICAGO_8_AM, django_capture_on_commit_callbacks)
    beat_run(CHICAGO_8_AM + timedelta(minutes=15), django_capture_on_commit_callbacks)
    assert len(sms.outbox) == 1
    assert sms.outbox[0].body.startswith("Reminder from")
    assert reminders() == 1
    assert PaymentRequest.objects.get(pk=due_request.pk).reminder_sent_at == CHICAGO_8_AM


def test_a_reminder_goes_at_7_59_pm_customer_time(due_request, django_capture_on_commit_callbacks):
    sms.outbox.clear()
    beat_run(CHICAGO_8_AM - timedelta(hours=12, minutes=1), django_capture_on_commit_callbacks)
    assert len(sms.outbox) == 1


def test_a_vancouver_customer_of_an_eastern_dealership_is_reminded_at_8_am_pacific(
    due_request, django_capture_on_commit_callbacks
):
    organization = due_request.organization
    organization.time_zone = "America/New_York"
    organization.save()
    Customer.objects.filter(pk=due_request.ticket.customer_id).update(mobile_phone="+16045550142")
    sms.outbox.clear()
    vancouver_8_am = CHICAGO_8_AM + timedelta(hours=2)

    beat_run(CHICAGO_8_AM - timedelta(hours=1), django_capture_on_commit_callbacks)  # 8 a.m. ET
    beat_run(vancouver_8_am - timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert sms.outbox == []

    beat_run(vancouver_8_am, django_capture_on_commit_callbacks)
    assert [m.to for m in sms.outbox] == ["+16045550142"]
    assert reminders() == 1


def test_a_text_sent_by_hand_is_not_held(advisor_membership, payment_request):
    from tickets.services import ticket_send_message

    # Whatever the hour: an advisor's text is queued at once.
    entry = ticket_send_message(
        ticket=payment_request.ticket, actor=None, body="Your car is ready."
    )
    assert entry.sms is not None
