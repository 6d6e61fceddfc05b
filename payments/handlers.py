"""Stripe event handlers: idempotent, and never rolled back by an older event.

Each takes the stored ``WebhookEvent`` and runs inside a transaction; raising rolls its
writes back and leaves the event failed for a retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from payments import stripe_api
from payments.models import (
    ConnectedAccount,
    DuplicateCharge,
    PaymentRequest,
    Payout,
    PayoutNotification,
    Refund,
    WebhookEvent,
)
from payments.refunds import (
    duplicate_charge_detect,
    duplicate_charge_refund_failed,
    duplicate_charge_refunded,
    failure_text,
    payment_refunded,
    refund_apply,
    refund_find,
)
from payments.services import (
    connected_account_apply,
    payment_request_apply_charge,
    payment_request_mark_paid,
    payment_request_timeline,
)
from teams.services import audit_record

logger = logging.getLogger(__name__)


def _account(event: WebhookEvent, named: str | None = None) -> ConnectedAccount | None:
    """The connected account the event came from (its signed ``account``), held for update.

    Only that account: an event whose object names another account (``named``) changes
    nothing, so one dealership's Express account can never write to another's."""
    if not event.account or (named is not None and named != event.account):
        if event.account or named:
            logger.warning(
                "Stripe event %s (%s) of account %r names account %r: not applied.",
                event.stripe_id,
                event.type,
                event.account,
                named,
            )
        return None
    return (
        ConnectedAccount.objects.select_for_update()
        .select_related("organization")
        .filter(stripe_account_id=event.account)
        .first()
    )


def _object(event: WebhookEvent) -> dict[str, Any]:
    return event.payload["data"]["object"]


def account_updated(event: WebhookEvent) -> None:
    data = _object(event)
    account = _account(event, data.get("id") or "")
    if account is None:
        return  # not ours (another platform test account, or deleted): nothing to keep
    if account.synced_at and event.created < account.synced_at:
        # Stripe's times are whole seconds. An event of the same second as our last read may
        # be newer or older than it: ask Stripe for the account as it is now.
        if event.created >= account.synced_at.replace(microsecond=0):
            fresh = stripe_api.get_gateway().retrieve_account(event.account)
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
    account = _account(event, _id_of(capability.get("account")))
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
    if applied and payout.status == "paid":
        from payments.tasks import payout_composition_sync_task

        payout_id = payout.pk
        transaction.on_commit(lambda: payout_composition_sync_task.delay(payout_id))


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


# Payment requests (platform events: the charge lives on the platform) ---------------------


def _id_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _payment_request(event: WebhookEvent, obj: dict[str, Any]) -> PaymentRequest | None:
    """Our request named by the object's metadata (or client_reference_id), held for update.

    Only platform events count, and the metadata's organization must be the request's: an
    object of another platform test account, or of another tenant, changes nothing."""
    if event.account:
        return None  # a Connect event: never about our platform charges
    requests = PaymentRequest.objects.select_for_update().select_related("organization", "ticket")
    metadata = obj.get("metadata") or {}
    request_id = str(metadata.get("payment_request_id") or obj.get("client_reference_id") or "")
    if request_id.isdigit():
        found = requests.filter(pk=int(request_id)).first()
        organization_id = str(metadata.get("organization_id") or "")
        if found is not None and organization_id and organization_id != str(found.organization_id):
            return None
        return found
    # Objects without our metadata (a dispute): follow the charge or the payment intent.
    charge_id = obj.get("id") if obj.get("object") == "charge" else _id_of(obj.get("charge"))
    if charge_id:
        found = requests.filter(charge_id=charge_id).first()
        if found is not None:
            return found
    intent_id = (
        obj.get("id")
        if obj.get("object") == "payment_intent"
        else _id_of(obj.get("payment_intent"))
    )
    if intent_id:
        return requests.filter(payment_intent_id=intent_id).first()
    return None


def checkout_session_completed(event: WebhookEvent) -> None:
    session = _object(event)
    request = _payment_request(event, session)
    if request is None:
        return
    intent_id = _id_of(session.get("payment_intent"))
    if session.get("payment_status") in ("paid", "no_payment_required"):
        if _duplicate(request, intent_id, session.get("amount_total"), session.get("id")):
            return
        payment_request_mark_paid(request=request, payment_intent_id=intent_id, at=event.created)
        return
    # "unpaid": an asynchronous method is still on its way; the request stays open.
    if intent_id and not request.payment_intent_id:
        request.payment_intent_id = intent_id
        request.save(update_fields=["payment_intent_id"])


def checkout_session_async_succeeded(event: WebhookEvent) -> None:
    session = _object(event)
    request = _payment_request(event, session)
    intent_id = _id_of(session.get("payment_intent"))
    if request is not None and not _duplicate(
        request, intent_id, session.get("amount_total"), session.get("id")
    ):
        payment_request_mark_paid(request=request, payment_intent_id=intent_id, at=event.created)


def _payment_failed(request: PaymentRequest, message: str, event: WebhookEvent) -> None:
    if request.status != PaymentRequest.Status.OPEN:
        return  # paid meanwhile (a retry succeeded), cancelled or refunded: nothing to say
    request.failure_message = message[:500]
    if request.last_event_at is None or event.created > request.last_event_at:
        request.last_event_at = event.created
    request.save(update_fields=["failure_message", "last_event_at"])
    payment_request_timeline(request, "payment_request.failed", message=message)


def checkout_session_async_failed(event: WebhookEvent) -> None:
    session = _object(event)
    request = _payment_request(event, session)
    if request is not None:
        _payment_failed(request, "The payment did not go through.", event)


def checkout_session_expired(event: WebhookEvent) -> None:
    """The session ended unpaid. The request stays open: the link makes a new session. A late
    "expired" never touches a paid request, nor a session that was replaced already."""
    session = _object(event)
    request = _payment_request(event, session)
    if request is None or request.status != PaymentRequest.Status.OPEN:
        return
    if request.checkout_session_id != session.get("id"):
        return
    request.checkout_session_id = request.checkout_url = ""
    request.checkout_expires_at = None
    request.save(update_fields=["checkout_session_id", "checkout_url", "checkout_expires_at"])
    payment_request_timeline(request, "payment_request.expired", session=session.get("id"))


def payment_intent_failed(event: WebhookEvent) -> None:
    intent = _object(event)
    request = _payment_request(event, intent)
    if request is None:
        return
    error = intent.get("last_payment_error") or {}
    _payment_failed(request, error.get("message") or "The card was declined.", event)


def _duplicate(request: PaymentRequest, intent_id: str, amount: Any, session_id: Any = "") -> bool:
    """A payment by another PaymentIntent of a request paid already: recorded and refunded
    (``duplicate_charge_detect``), never applied to the request."""
    return duplicate_charge_detect(
        request=request,
        payment_intent_id=intent_id,
        amount_cents=int(amount or 0),
        session_id=str(session_id or ""),
    )


def charge_succeeded(event: WebhookEvent) -> None:
    charge = _object(event)
    request = _payment_request(event, charge)
    if request is None or _duplicate(
        request, _id_of(charge.get("payment_intent")), charge.get("amount")
    ):
        return
    payment_request_apply_charge(request=request, charge=charge, at=event.created)


def charge_refunded(event: WebhookEvent) -> None:
    """The charge's refunds as Stripe sees them. Fully refunded (``amount_refunded`` equal
    to the amount): the request is refunded, once, and so is its refund."""
    charge = _object(event)
    if _duplicate_refunded(event, charge):
        return
    request = _payment_request(event, charge)
    if request is None:
        return
    payment_request_apply_charge(request=request, charge=charge, at=event.created)
    for obj in (charge.get("refunds") or {}).get("data") or []:
        if isinstance(obj, dict):
            refund = refund_find(obj, request.organization_id)
            if refund is not None and refund.payment_id == request.pk:
                refund = Refund.objects.select_for_update().get(pk=refund.pk)
                refund.payment = request  # the row we hold: one object, one truth
                refund_apply(refund=refund, obj=obj, at=event.created)
    amount = int(charge.get("amount") or request.amount_cents)
    refunded = int(charge.get("amount_refunded") or 0)
    if refunded < amount:
        return  # a partial refund (made in Stripe's dashboard): the payment stays paid
    live = (
        Refund.objects.select_for_update()
        .filter(payment=request)
        .exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED])
        .first()
    )
    if live is None:
        # Refunded outside the app (Stripe's dashboard): keep a record for the reports.
        objs = [o for o in (charge.get("refunds") or {}).get("data") or [] if isinstance(o, dict)]
        stripe_id = objs[0].get("id") if objs else None
        if stripe_id and Refund.objects.filter(stripe_refund_id=stripe_id).exists():
            stripe_id = None
        Refund.objects.create(
            organization=request.organization,
            payment=request,
            stripe_refund_id=stripe_id,
            amount_cents=refunded,
            currency=request.currency,
            status=Refund.Status.SUCCEEDED,
            last_event_at=event.created,
        )
    elif live.status != Refund.Status.SUCCEEDED:
        live.status = Refund.Status.SUCCEEDED
        live.last_event_at = max(live.last_event_at or event.created, event.created)
        live.save(update_fields=["status", "last_event_at", "updated_at"])
    payment_refunded(payment=request, amount_cents=refunded, at=event.created)


def _duplicate_refunded(event: WebhookEvent, charge: dict[str, Any]) -> bool:
    """``charge.refunded`` of a duplicate charge: its refund went through. Never the
    request's own refund, whatever the charge's metadata says."""
    if event.account:
        return False
    intent_id = _id_of(charge.get("payment_intent"))
    found = (
        DuplicateCharge.objects.filter(payment_intent_id=intent_id).first() if intent_id else None
    )
    if found is None:
        return False
    PaymentRequest.objects.select_for_update().filter(pk=found.payment_id).first()
    duplicate = (
        DuplicateCharge.objects.select_for_update().select_related("payment").get(pk=found.pk)
    )
    if int(charge.get("amount_refunded") or 0) >= duplicate.amount_cents:
        duplicate_charge_refunded(duplicate=duplicate, at=event.created)
    return True


def refund_changed(event: WebhookEvent) -> None:
    """``refund.updated`` and ``refund.failed``: a refund's progress (platform events)."""
    if event.account:
        return  # a Connect event: never about our platform refunds
    obj = _object(event)
    found = refund_find(obj)
    if found is None:
        _duplicate_refund_changed(event, obj)
        return
    # The payment first, then the refund: the order charge.refunded takes them in.
    PaymentRequest.objects.select_for_update().filter(pk=found.payment_id).first()
    refund = Refund.objects.select_for_update().select_related("payment__ticket").get(pk=found.pk)
    refund_apply(refund=refund, obj=obj, at=event.created, failed=event.type == "refund.failed")


def _duplicate_refund_changed(event: WebhookEvent, obj: dict[str, Any]) -> None:
    """The refund of a duplicate charge moved on (its metadata names the duplicate, and the
    PaymentIntent must be the duplicate's): refunded, or failed for staff to see."""
    duplicate_id = str((obj.get("metadata") or {}).get("duplicate_charge_id") or "")
    intent_id = _id_of(obj.get("payment_intent"))
    if not duplicate_id.isdigit() or not intent_id:
        return
    found = DuplicateCharge.objects.filter(
        pk=int(duplicate_id), payment_intent_id=intent_id
    ).first()
    if found is None:
        return
    # The payment first, then the duplicate: the order the other handlers take them in.
    PaymentRequest.objects.select_for_update().filter(pk=found.payment_id).first()
    duplicate = (
        DuplicateCharge.objects.select_for_update().select_related("payment").get(pk=found.pk)
    )
    if obj.get("id") and not duplicate.stripe_refund_id:
        duplicate.stripe_refund_id = str(obj["id"])
        duplicate.save(update_fields=["stripe_refund_id"])
    status = "failed" if event.type == "refund.failed" else obj.get("status")
    if status == "succeeded":
        duplicate_charge_refunded(duplicate=duplicate, at=event.created)
    elif status in ("failed", "canceled"):
        duplicate_charge_refund_failed(
            duplicate=duplicate, reason=failure_text(obj.get("failure_reason"))
        )


def charge_dispute_created(event: WebhookEvent) -> None:
    dispute = _object(event)
    request = _payment_request(event, dispute)
    if request is None or request.status in (
        PaymentRequest.Status.DISPUTED,
        PaymentRequest.Status.REFUNDED,
    ):
        return
    request.status = PaymentRequest.Status.DISPUTED
    request.disputed_at = event.created
    request.save(update_fields=["status", "disputed_at"])
    payment_request_timeline(
        request, "payment_request.disputed", reason=dispute.get("reason") or ""
    )


HANDLERS: dict[str, Callable[[WebhookEvent], None]] = {
    "checkout.session.completed": checkout_session_completed,
    "checkout.session.async_payment_succeeded": checkout_session_async_succeeded,
    "checkout.session.async_payment_failed": checkout_session_async_failed,
    "checkout.session.expired": checkout_session_expired,
    "payment_intent.payment_failed": payment_intent_failed,
    "charge.succeeded": charge_succeeded,
    "charge.refunded": charge_refunded,
    "refund.updated": refund_changed,
    "refund.failed": refund_changed,
    "charge.dispute.created": charge_dispute_created,
    "account.updated": account_updated,
    "account.application.deauthorized": account_deauthorized,
    "capability.updated": capability_updated,
    "payout.created": payout_changed,
    "payout.updated": payout_changed,
    "payout.paid": payout_changed,
    "payout.failed": payout_changed,
    "payout.canceled": payout_changed,
}
