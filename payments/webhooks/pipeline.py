"""Stripe events from intake to processing: store once, dispatch in batches, process once."""

from __future__ import annotations

import contextlib
import logging
import traceback
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from payments.dates import from_timestamp
from payments.gateway import get_gateway
from payments.models import WebhookEvent
from payments.webhooks.registry import HANDLERS
from payments.webhooks.tasks import (
    webhook_event_process_task,
    webhook_events_dispatch_task,
    webhook_events_process_task,
)

logger = logging.getLogger(__name__)


def webhook_event_store(*, event: dict[str, Any], endpoint: str) -> tuple[WebhookEvent, bool]:
    """Store a verified event once and wake the dispatch after commit.

    Answers the row and whether it is new; a redelivery is acknowledged, not queued again."""
    gateway_livemode = get_gateway().livemode
    status = WebhookEvent.Status.PENDING
    error = ""
    if bool(event.get("livemode")) != gateway_livemode:
        status, error = WebhookEvent.Status.IGNORED, "Event mode differs from our Stripe mode."
    # One INSERT in autocommit (one round trip, where BEGIN/INSERT/COMMIT take three): the
    # row is committed when create() returns, so the task is queued right after it. Inside
    # a caller's transaction, a savepoint keeps a refused duplicate from spoiling it.
    in_transaction = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic() if in_transaction else contextlib.nullcontext():
            stored = WebhookEvent.objects.create(
                stripe_id=event["id"],
                endpoint=endpoint,
                type=str(event.get("type", "")),
                account=str(event.get("account") or ""),
                livemode=bool(event.get("livemode")),
                created=from_timestamp(event.get("created")) or timezone.now(),
                payload=event,
                status=status,
                error=error,
            )
    except IntegrityError:  # a redelivery: the unique stripe_id refused it
        return WebhookEvent.objects.get(stripe_id=event["id"]), False
    if status == WebhookEvent.Status.PENDING:
        transaction.on_commit(webhook_events_wake)
    return stored, True


# Events reach their processing tasks through one dispatch per burst, not one Celery message
# per request: publishing a task costs the request more than storing the event
# (bench/RESULTS.md, scenario 1). A request sets a flag in the shared cache; the first one
# to set it queues the dispatch task, which clears the flag, claims every pending event not
# yet queued and queues them in batches. An event stored after the claim's query finds the
# flag clear and queues the next dispatch, so none is left behind; the beat runs a dispatch
# every minute as well, for events whose task was lost (never published while the broker
# was down, or held by a worker that died). DISPATCH_STALE: a claimed event not processed
# after 50 s is queued again by the next sweep, so a killed worker's events go out again
# within 50 + 60 s (the beat's period). A live one queued again is skipped by
# webhook_event_process (row lock with skip_locked, then its status), never done twice.
DISPATCH_FLAG = "payments:webhooks:dispatch-queued"


DISPATCH_BATCH = 50


DISPATCH_STALE = timedelta(seconds=50)


def webhook_events_wake() -> None:
    if cache.add(DISPATCH_FLAG, 1, timeout=60):
        webhook_events_dispatch_task.delay()


def webhook_events_dispatch(*, now: datetime | None = None) -> int:
    """Claim the pending events not queued yet (and those queued more than DISPATCH_STALE
    ago, whose task was lost) and queue their processing in batches; answer how many."""

    cache.delete(DISPATCH_FLAG)
    now = now or timezone.now()
    queued = 0
    while True:
        with transaction.atomic():
            ids = list(
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(status=WebhookEvent.Status.PENDING)
                .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - DISPATCH_STALE))
                .order_by("pk")
                .values_list("pk", flat=True)[:1000]
            )
            if not ids:
                return queued
            WebhookEvent.objects.filter(pk__in=ids).update(queued_at=now)
            for start in range(0, len(ids), DISPATCH_BATCH):
                transaction.on_commit(
                    partial(webhook_events_process_task.delay, ids[start : start + DISPATCH_BATCH])
                )
        queued += len(ids)


class HandlerFailed(Exception):
    pass


def webhook_event_process(*, event_id: int) -> str:
    """Process one stored event exactly once, whatever the number of workers.

    The row is locked while its handler runs; another worker skips it. A handler's failure
    rolls its writes back, marks the event failed with the traceback and raises
    ``HandlerFailed`` so the task retries with backoff."""

    failure: BaseException | None = None
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(
                pk=event_id, status__in=[WebhookEvent.Status.PENDING, WebhookEvent.Status.FAILED]
            )
            .first()
        )
        if event is None:
            return "skipped"  # processed already, ignored, or in another worker's hands
        handler = HANDLERS.get(event.type)
        event.attempts += 1
        if handler is None:
            event.status = WebhookEvent.Status.IGNORED
            event.processed_at = timezone.now()
        else:
            try:
                with transaction.atomic():
                    handler(event)
            except Exception as exc:
                logger.exception("Stripe event %s (%s) failed", event.stripe_id, event.type)
                event.status = WebhookEvent.Status.FAILED
                event.error = "".join(traceback.format_exception(exc))[-4000:]
                failure = exc
            else:
                event.status = WebhookEvent.Status.PROCESSED
                event.error = ""
                event.processed_at = timezone.now()
        event.save(update_fields=["status", "attempts", "error", "processed_at"])
        result = event.status
    if failure is not None:
        raise HandlerFailed(str(failure)) from failure
    return result


def webhook_event_replay(*, event: WebhookEvent) -> None:
    """Queue a failed (or pending) event again, e.g. after fixing its cause."""

    if event.status in (WebhookEvent.Status.FAILED, WebhookEvent.Status.PENDING):
        transaction.on_commit(lambda: webhook_event_process_task.delay(event.pk))
