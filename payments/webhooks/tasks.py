"""Celery tasks of the webhook pipeline: dispatch and processing, retried with backoff."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.tasks import backoff

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, max_retries=8, acks_late=True, name="payments.tasks.webhook_event_process_task"
)
def webhook_event_process_task(self, event_id: int) -> str:
    from payments.webhooks.pipeline import HandlerFailed, webhook_event_process

    try:
        return webhook_event_process(event_id=event_id)
    except HandlerFailed as exc:
        if self.request.retries >= self.max_retries:
            logger.error("Stripe event %s keeps failing; replay it from the admin", event_id)
            return "failed"
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(acks_late=True, name="payments.tasks.webhook_events_dispatch_task")
def webhook_events_dispatch_task() -> int:
    """Woken by stored events, and every minute by the beat: queue the pending ones."""
    from payments.webhooks.pipeline import webhook_events_dispatch

    return webhook_events_dispatch()


@shared_task(acks_late=True, name="payments.tasks.webhook_events_process_task")
def webhook_events_process_task(event_ids: list[int]) -> int:
    """Process a batch in order; an event whose handler fails goes on alone, with retries."""
    from payments.webhooks.pipeline import HandlerFailed, webhook_event_process

    done = 0
    for event_id in event_ids:
        try:
            webhook_event_process(event_id=event_id)
            done += 1
        except HandlerFailed:
            webhook_event_process_task.apply_async((event_id,), countdown=backoff(0))
    return done
