"""Celery tasks of the payments app: thin wrappers around services, retried with backoff."""

from __future__ import annotations

import json
import logging

import requests
from celery import shared_task

from accounts.tasks import backoff

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, max_retries=8, acks_late=True, name="payments.tasks.webhook_event_process_task"
)
def webhook_event_process_task(self, event_id: int) -> str:
    from payments.services import HandlerFailed, webhook_event_process

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
    from payments.services import webhook_events_dispatch

    return webhook_events_dispatch()


@shared_task(acks_late=True, name="payments.tasks.webhook_events_process_task")
def webhook_events_process_task(event_ids: list[int]) -> int:
    """Process a batch in order; an event whose handler fails goes on alone, with retries."""
    from payments.services import HandlerFailed, webhook_event_process

    done = 0
    for event_id in event_ids:
        try:
            webhook_event_process(event_id=event_id)
            done += 1
        except HandlerFailed:
            webhook_event_process_task.apply_async((event_id,), countdown=backoff(0))
    return done


@shared_task(bind=True, max_retries=6, acks_late=True, name="payments.tasks.payout_email_send")
def payout_email_send(self, notification_id: int) -> None:
    from payments.notifications import payout_email_deliver

    try:
        payout_email_deliver(notification_id=notification_id)
    except OSError as exc:  # SMTP and connection errors
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(bind=True, max_retries=5, acks_late=True, name="payments.tasks.demo_deliver_event")
def demo_deliver_event(self, url: str, event: dict) -> int:
    """The demo gateway's webhook delivery: POST the signed event to our own endpoint."""
    from payments.stripe_api import demo_webhook_secret, signature_header

    payload = json.dumps(event).encode()
    try:
        response = requests.post(
            url,
            data=payload,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature_header(payload, demo_webhook_secret()),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) demo",
            },
            timeout=10,
        )
        response.raise_for_status()
    except requests.RequestException as exc:
        raise self.retry(exc=exc, countdown=min(5 * 2**self.request.retries, 300)) from exc
    return response.status_code


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
    from datetime import datetime

    from django.utils import timezone

    from payments.services import payment_reminders_due

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
    from datetime import datetime

    from django.db import DatabaseError

    from payments.services import payment_reminder_send

    at = datetime.fromisoformat(now) if now else None
    try:
        return sum(payment_reminder_send(request_id=pk, now=at) for pk in request_ids)
    except DatabaseError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(acks_late=True, name="payments.tasks.daily_reports_run")
def daily_reports_run(now: str | None = None) -> int:
    """Beat, every 15 minutes: each organization's previous local day, once past 06:00 local
    time, built and e-mailed once (payments/reports.py). ``now`` (ISO) is for tests."""
    from datetime import datetime

    from payments.reports import daily_reports_build_due

    return len(daily_reports_build_due(now=datetime.fromisoformat(now) if now else None))


@shared_task(
    bind=True, max_retries=6, acks_late=True, name="payments.tasks.daily_report_email_send"
)
def daily_report_email_send(self, report_id: int, recipients: list[str]) -> None:
    from payments.reports import daily_report_email_deliver

    try:
        daily_report_email_deliver(report_id=report_id, recipients=recipients)
    except OSError as exc:  # SMTP and connection errors
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(
    bind=True, max_retries=30, acks_late=True, name="payments.tasks.stripe_report_poll_task"
)
def stripe_report_poll_task(self, run_id: int) -> str:
    """Reports from Stripe: create the run, then look every 10 s (about 30 tries) until Stripe
    says succeeded (the file is stored) or failed; a run still pending after that fails."""
    from payments.stripe_api import GatewayError
    from payments.stripe_reports import (
        POLL_COUNTDOWN,
        ReportPending,
        stripe_report_fail,
        stripe_report_poll,
    )

    try:
        outcome = stripe_report_poll(run_id=run_id)
        if outcome == "pending":
            raise ReportPending(run_id)
    except (ReportPending, GatewayError) as exc:
        if self.request.retries >= self.max_retries:
            stripe_report_fail(
                run_id=run_id,
                error=str(exc) if isinstance(exc, GatewayError) else "Stripe took too long.",
            )
            return "failed"
        countdown = POLL_COUNTDOWN if isinstance(exc, ReportPending) else backoff(0)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return outcome


@shared_task(
    bind=True, max_retries=6, acks_late=True, name="payments.tasks.payout_composition_sync_task"
)
def payout_composition_sync_task(self, payout_id: int) -> int:
    """What a paid payout contains, from Stripe's balance transactions (payments/payout_sync.py)."""
    from payments.models import Payout
    from payments.payout_sync import payout_composition_sync
    from payments.stripe_api import GatewayError

    payout = Payout.objects.get(pk=payout_id)
    try:
        return len(payout_composition_sync(payout=payout))
    except GatewayError as exc:
        if self.request.retries >= self.max_retries:
            logger.error("Payout %s composition keeps failing: %s", payout_id, exc)
            return 0
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(
    bind=True, max_retries=8, acks_late=True, name="payments.tasks.duplicate_charge_refund_task"
)
def duplicate_charge_refund_task(self, duplicate_id: int) -> str:
    """Refund a second payment of a request paid already; retried while Stripe refuses."""
    from django.db import transaction
    from django.utils import timezone

    from payments import stripe_api
    from payments.models import DuplicateCharge
    from payments.refunds import (
        duplicate_charge_refund,
        duplicate_charge_refund_failed,
        duplicate_charge_refunded,
    )

    try:
        return duplicate_charge_refund(duplicate_id=duplicate_id).status
    except stripe_api.GatewayError as exc:
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
