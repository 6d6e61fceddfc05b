"""Texts are never lost to a broker outage: queueing one does not fail its caller, and the
beat's sweep sends, once, a queued text whose task never ran."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import sms
from accounts.models import SmsMessage
from accounts.services import sms_queue
from accounts.tasks import SMS_SWEEP_AFTER, SMS_SWEEP_UNTIL, sms_sweep
from tests.redis_server import product_on

pytestmark = pytest.mark.django_db

TO = "+13125550143"


def queued(*, age: timedelta, body: str = "Your car is ready.", **fields) -> SmsMessage:
    return SmsMessage.objects.create(to=TO, body=body, created_at=timezone.now() - age, **fields)


def test_queueing_a_text_with_the_broker_down_stores_it_and_does_not_raise(
    own_redis, django_capture_on_commit_callbacks, caplog
):
    with product_on(own_redis):
        own_redis.stop()
        with (
            caplog.at_level("WARNING", logger="expertconnect.celery"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            message = sms_queue(to=TO, body="Your car is ready.")
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.QUEUED  # the sweep sends it
    assert "accounts.tasks.sms_send not queued" in caplog.text


def test_a_text_with_a_secret_that_could_not_be_queued_is_marked_failed(
    own_redis, django_capture_on_commit_callbacks
):
    with product_on(own_redis):
        own_redis.stop()
        with django_capture_on_commit_callbacks(execute=True):
            message = sms_queue(to=TO, body="Join: https://x.test/i/tok3n", secret="tok3n")
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.FAILED  # its row cannot send the secret
    assert "Send it again" in message.error


def test_the_sweep_sends_a_queued_text_whose_task_never_ran_once():
    message = queued(age=SMS_SWEEP_AFTER + timedelta(seconds=1))
    assert sms_sweep() == 1
    assert [text.body for text in sms.outbox] == ["Your car is ready."]
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT and message.attempts == 1
    assert sms_sweep() == 0
    assert len(sms.outbox) == 1


def test_the_sweep_leaves_fresh_tried_secret_and_old_texts_alone():
    queued(age=SMS_SWEEP_AFTER - timedelta(seconds=10))  # its task may still be on its way
    queued(age=timedelta(minutes=5), attempts=1, status=SmsMessage.Status.FAILED)  # retrying
    queued(age=timedelta(minutes=5), body="Join: https://x.test/i/…")  # masked secret
    queued(age=SMS_SWEEP_UNTIL + timedelta(minutes=1))  # too late to be worth sending
    assert sms_sweep() == 0
    assert sms.outbox == []
