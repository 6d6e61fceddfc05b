"""Celery tasks of the accounts layer: thin wrappers around services, retried with backoff."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import SmsMessage
from accounts.sms import SmsError

logger = logging.getLogger(__name__)

MAX_RETRIES = 6


def backoff(retries: int) -> int:
    """Seconds before the next try: 30 s, 1 min, 2 min, ... capped at one hour."""
    return min(30 * 2**retries, 3600)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True, name="accounts.tasks.sms_send")
def sms_send(self, message_id: int, body: str | None = None) -> None:
    from accounts.services import sms_deliver

    try:
        sms_deliver(message_id=message_id, body=body)
    except SmsError as exc:
        if not exc.retryable:
            logger.warning("SMS %s failed for good: %s", message_id, exc.reason)
            message = SmsMessage.objects.get(pk=message_id)
            for hook in settings.SMS_FAILURE_HOOKS:  # e.g. tickets marks an opt-out
                import_string(hook)(message=message)
            return
        if self.request.retries >= self.max_retries:
            logger.error("SMS %s failed after %s tries: %s", message_id, self.max_retries + 1, exc)
            return
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


# A queued SMS never tried after SMS_SWEEP_AFTER lost its task (not published while the
# broker was down, or its worker died): the beat's sweep, every minute, queues it again.
# sms_deliver sends a row once whatever the number of tasks. Older than SMS_SWEEP_UNTIL, a
# text is no longer worth sending and is left queued (visible in the admin).
SMS_SWEEP_AFTER = timedelta(seconds=60)
SMS_SWEEP_UNTIL = timedelta(days=1)


@shared_task(acks_late=True, name="accounts.tasks.sms_sweep")
def sms_sweep() -> int:
    from accounts.services import SECRET_MASK

    now = timezone.now()
    ids = list(
        SmsMessage.objects.filter(
            status=SmsMessage.Status.QUEUED,
            attempts=0,
            created_at__lt=now - SMS_SWEEP_AFTER,
            created_at__gte=now - SMS_SWEEP_UNTIL,
        )
        .exclude(body__contains=SECRET_MASK)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for message_id in ids:
        sms_send.delay(message_id)
    return len(ids)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True, name="accounts.tasks.email_send")
def email_send(self, *, subject: str, body: str, to: list[str], html: str | None = None) -> None:
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except OSError as exc:  # SMTP and connection errors
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
