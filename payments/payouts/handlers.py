"""Stripe's payout events: the payout's status, its e-mails and its contents."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from payments.models import Payout, WebhookEvent
from payments.movements import payout_recorded
from payments.payouts.services import payout_notify
from payments.payouts.tasks import payout_composition_sync_task
from payments.webhooks.registry import event_account, event_object, handles

NOTIFY_STATUSES = ("paid", "failed")


@handles("payout.created", "payout.updated", "payout.paid", "payout.failed", "payout.canceled")
def payout_changed(event: WebhookEvent) -> None:
    data = event_object(event)
    account = event_account(event)
    if account is None:
        return
    arrival = datetime.fromtimestamp(data["arrival_date"], tz=UTC).date()
    payout = Payout.objects.select_for_update().filter(stripe_payout_id=data["id"]).first()
    fields = {
        "amount_cents": data["amount"],
        "currency": data["currency"],
        "arrival_date": arrival,
        "status": data["status"],
        "method": data.get("method") or "",
        "failure_code": data.get("failure_code") or "",
        "failure_message": data.get("failure_message") or "",
    }
    applied = True
    if payout is None:
        payout = Payout.objects.create(
            organization=account.organization,
            stripe_payout_id=data["id"],
            stripe_created=datetime.fromtimestamp(data["created"], tz=UTC),
            synced_at=event.created,
            **fields,
        )
    elif event.created >= payout.synced_at:
        for name, value in fields.items():
            setattr(payout, name, value)
        payout.synced_at = event.created
        payout.save()
    else:
        applied = False  # older than what we have: neither the status nor an e-mail
    if applied:
        payout_recorded(payout=payout, at=event.created)
    if applied and event.type in ("payout.paid", "payout.failed"):
        payout_notify(payout=payout, account=account, status=event.type.split(".")[1])
    if applied and payout.status == "paid":
        payout_id = payout.pk
        transaction.on_commit(lambda: payout_composition_sync_task.delay(payout_id))
