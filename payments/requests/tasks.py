"""Celery tasks of payment requests: reminders, duplicate-charge refunds; retried with backoff."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.tasks import backoff
from payments.gateway import GatewayError
from payments.models import DuplicateCharge

logger = logging.getLogger(__name__)


# Reminders: the beat run pages through every due request and hands them out in batches, which
# the worker's processes send in parallel. A batch is idempotent (each reminder is claimed in
# its own transaction with its SMS row), so overlapping beat runs may hand out the same ids.
REMINDERS_PAGE = 1000


REMINDERS_BATCH = 100


@shared_task(acks_late=True, name="payments.tasks.payment_reminders_send")
def payment_reminders_send(now: str | None = None) -> int:
    """Beat, every 15 minutes: one reminder per unpaid request whose delay has passed, all of
    them (keyset pages of the due requests, ``REMINDERS_BATCH`` ids a task). Returns how many
    were handed out (those in the customer's quiet hours are held by the batches and handed
    out again by the next runs). ``now`` (ISO) is for tests: the batches then use it too."""

    from payments.requests.reminders import payment_reminders_due

    at = datetime.fromisoformat(now) if now else timezone.now()
    queued = 0
    after = None
    while page := payment_reminders_due(now=at, after=after, limit=REMINDERS_PAGE):
        ids = [pk for _created_at, pk in page]
        for start in range(0, len(ids), REMINDERS_BATCH):
            payment_reminders_send_batch.delay(ids[start : start + REMINDERS_BATCH], now)
        queued += len(ids)
        if len(page) < REMINDERS_PAGE:
            break
        after = page[-1]
    return queued


@shared_task(
    bind=True, max_retries=6, acks_late=True, name="payments.tasks.payment_reminders_send_batch"
)
def payment_reminders_send_batch(self, request_ids: list[int], now: str | None = None) -> int:
    """Remind these requests (those still due: the others are skipped); a database error
    retries the batch with backoff, and what was sent before it is not sent again. Whether
    the customer's hours allow a text is decided when the batch runs (``now``, ISO, for tests)."""

    from payments.requests.reminders import payment_reminder_send

    at = datetime.fromisoformat(now) if now else None
    try:
        return sum(payment_reminder_send(request_id=pk, now=at) for pk in request_ids)
    except DatabaseError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(
    bind=True, max_retries=8, acks_late=True, name="payments.tasks.duplicate_charge_refund_task"
)
def duplicate_charge_refund_task(self, duplicate_id: int) -> str:
    """Refund a second payment of a request paid already; retried while Stripe refuses."""

    from payments.requests.duplicates import (
        duplicate_charge_refund,
        duplicate_charge_refund_failed,
        duplicate_charge_refunded,
    )

    try:
        return duplicate_charge_refund(duplicate_id=duplicate_id).status
    except GatewayError as exc:
        with transaction.atomic():
            duplicate = (
                DuplicateCharge.objects.select_for_update()
                .select_related("payment")
                .get(pk=duplicate_id)
            )
            if exc.code == "charge_already_refunded":  # refunded in Stripe's dashboard
                duplicate_charge_refunded(duplicate=duplicate, at=timezone.now())
                return duplicate.status
            if self.request.retries >= self.max_retries:
                logger.error("Duplicate charge %s could not be refunded: %s", duplicate_id, exc)
                duplicate_charge_refund_failed(duplicate=duplicate, reason=exc.message)
                return duplicate.status
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
