"""Stripe events about the connected account: updates, capabilities, deauthorization."""

from __future__ import annotations

from django.utils import timezone

from payments.connect.services import connected_account_apply
from payments.gateway import get_gateway
from payments.models import WebhookEvent
from payments.requests.handlers import _id_of
from payments.webhooks.registry import event_account, event_object, handles
from teams.audit import AuditAction
from teams.services import audit_record


@handles("account.updated")
def account_updated(event: WebhookEvent) -> None:
    data = event_object(event)
    account = event_account(event, data.get("id") or "")
    if account is None:
        return  # not ours (another platform test account, or deleted): nothing to keep
    if account.synced_at and event.created < account.synced_at:
        # Stripe's times are whole seconds. An event of the same second as our last read may
        # be newer or older than it: ask Stripe for the account as it is now.
        if event.created >= account.synced_at.replace(microsecond=0):
            fresh = get_gateway().retrieve_account(event.account)
            connected_account_apply(account=account, data=fresh, as_of=timezone.now())
        return
    connected_account_apply(account=account, data=data, as_of=event.created)


@handles("account.application.deauthorized")
def account_deauthorized(event: WebhookEvent) -> None:
    account = event_account(event)
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
        AuditAction.STRIPE_DEAUTHORIZED,
        account,
        actor=None,
        data={"account": account.stripe_account_id},
    )


@handles("capability.updated")
def capability_updated(event: WebhookEvent) -> None:
    capability = event_object(event)
    account = event_account(event, _id_of(capability.get("account")))
    if account is None or (account.synced_at and event.created < account.synced_at):
        return
    name = capability.get("id")
    if name in ("card_payments", "transfers"):
        setattr(account, name, capability.get("status") or "")
        account.save(update_fields=[name])
