"""Celery tasks of payouts: thin wrappers around the services, retried with backoff."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.tasks import backoff
from payments.gateway import GatewayError
from payments.models import Payout

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=6, acks_late=True, name="payments.tasks.payout_email_send")
def payout_email_send(self, notification_id: int) -> None:
    from payments.payouts.services import payout_email_deliver

    try:
        payout_email_deliver(notification_id=notification_id)
    except OSError as exc:  # SMTP and connection errors
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(
    bind=True, max_retries=6, acks_late=True, name="payments.tasks.payout_composition_sync_task"
)
def payout_composition_sync_task(self, payout_id: int) -> int:
    """What a paid payout contains, from Stripe's balance transactions (payments/payout_sync.py)."""
    from payments.payouts.services import payout_composition_sync

    payout = Payout.objects.get(pk=payout_id)
    try:
        return len(payout_composition_sync(payout=payout))
    except GatewayError as exc:
        if self.request.retries >= self.max_retries:
            logger.error("Payout %s composition keeps failing: %s", payout_id, exc)
            return 0
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
