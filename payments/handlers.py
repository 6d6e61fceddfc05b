"""Stripe event handlers: idempotent, and never rolled back by an older event.

Each takes the stored ``WebhookEvent`` and runs inside a transaction; raising rolls its
writes back and leaves the event failed for a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from payments import stripe_api
from payments.models import ConnectedAccount, Payout, PayoutNotification, WebhookEvent
from payments.services import connected_account_apply
from teams.services import audit_record


def _account(event: WebhookEvent, stripe_id: str | None = None) -> ConnectedAccount | None:
    stripe_id = stripe_id or event.account
    return (
        ConnectedAccount.objects.select_for_update()
        .select_related("organization")
        .filter(stripe_account_id=stripe_id)
        .first()
    )


def _object(event: WebhookEvent) -> dict[str, Any]:
    return event.payload["data"]["object"]


def account_updated(event: WebhookEvent) -> None:
    data = _object(event)
    account = _account(event, data.get("id"))
    if account is None:
        return  # not ours (another platform test account, or deleted): nothing to keep
    if account.synced_at and event.created < account.synced_at:
        # Stripe's times are whole seconds. An event of the same second as our last read may
        # be newer or older than it: ask Stripe for the account as it is now.
        if event.created >= account.synced_at.replace(microsecond=0):
            fresh = stripe_api.get_gateway().retrieve_account(data["id"])
            connected_account_apply(account=account, data=fresh, as_of=timezone.now())
        return
    connected_account_apply(account=account, data=data, as_of=event.created)


def account_deauthorized(event: WebhookEvent) -> None:
    account = _account(event)
    if account is None or account.deauthorized_at:
        return
    if account.synced_at and event.created < account.synced_at and account.is_complete:
        # Data read after this event shows the account working: a reconnect came later.
        return
    account.deauthorized_at = event.created
    account.charges_enabled = account.payouts_enabled = False
    if not account.synced_at or event.created > account.synced_at:
        account.synced_at = event.created  # older account data must not undo this
    account.save(
        update_fields=["deauthorized_at", "charges_enabled", "payouts_enabled", "synced_at"]
    )
    audit_record(
        organization=account.organization,
        actor=None,
        action="stripe.deauthorized",
        target=account,
        data={"account": account.stripe_account_id},
    )


def capability_updated(event: WebhookEvent) -> None:
    capability = _object(event)
    account = _account(event, capability.get("account"))
    if account is None or (account.synced_at and event.created < account.synced_at):
        return
    name = capability.get("id")
    if name in ("card_payments", "transfers"):
        setattr(account, name, capability.get("status") or "")
        account.save(update_fields=[name])


NOTIFY_STATUSES = ("paid", "failed")


def payout_changed(event: WebhookEvent) -> None:
    data = _object(event)
    account = _account(event)
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
    if applied and event.type in ("payout.paid", "payout.failed"):
        payout_notify(payout=payout, account=account, status=event.type.split(".")[1])


def payout_notify(*, payout: Payout, account: ConnectedAccount, status: str) -> None:
    """E-mail the chosen members once per payout and status (the unique row decides)."""
    from payments.tasks import payout_email_send

    recipients = sorted(
        account.payout_recipients.select_related("user").values_list("user__email", flat=True)
    )
    notification, created = PayoutNotification.objects.get_or_create(
        payout=payout,
        status=status,
        defaults={"recipients": recipients, "created_at": timezone.now()},
    )
    if created and recipients:
        transaction.on_commit(lambda: payout_email_send.delay(notification.pk))


HANDLERS: dict[str, Callable[[WebhookEvent], None]] = {
    "account.updated": account_updated,
    "account.application.deauthorized": account_deauthorized,
    "capability.updated": capability_updated,
    "payout.created": payout_changed,
    "payout.updated": payout_changed,
    "payout.paid": payout_changed,
    "payout.failed": payout_changed,
    "payout.canceled": payout_changed,
}
