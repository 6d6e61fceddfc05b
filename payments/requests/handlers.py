"""Stripe's events about payment requests: Checkout, charges and disputes (platform events)."""

from __future__ import annotations

from typing import Any

from payments.audit import money_data, payment_request_data
from payments.models import PaymentRequest, WebhookEvent
from payments.movements import dispute_recorded, dispute_won_recorded
from payments.requests.duplicates import duplicate_charge_detect
from payments.requests.services import payment_request_apply_charge, payment_request_mark_paid
from payments.timeline import payment_request_timeline
from payments.webhooks.registry import event_object, handles
from teams.audit import AuditAction
from teams.services import audit_record


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


@handles("checkout.session.completed")
def checkout_session_completed(event: WebhookEvent) -> None:
    session = event_object(event)
    payment_request = _payment_request(event, session)
    if payment_request is None:
        return
    intent_id = _id_of(session.get("payment_intent"))
    if session.get("payment_status") in ("paid", "no_payment_required"):
        if _duplicate(payment_request, intent_id, session.get("amount_total"), session.get("id")):
            return
        payment_request_mark_paid(
            payment_request=payment_request, payment_intent_id=intent_id, at=event.created
        )
        return
    # "unpaid": an asynchronous method is still on its way; the request stays open.
    if intent_id and not payment_request.payment_intent_id:
        payment_request.payment_intent_id = intent_id
        payment_request.save(update_fields=["payment_intent_id"])


@handles("checkout.session.async_payment_succeeded")
def checkout_session_async_succeeded(event: WebhookEvent) -> None:
    session = event_object(event)
    payment_request = _payment_request(event, session)
    intent_id = _id_of(session.get("payment_intent"))
    if payment_request is not None and not _duplicate(
        payment_request, intent_id, session.get("amount_total"), session.get("id")
    ):
        payment_request_mark_paid(
            payment_request=payment_request, payment_intent_id=intent_id, at=event.created
        )


def _payment_failed(payment_request: PaymentRequest, message: str, event: WebhookEvent) -> None:
    if payment_request.status != PaymentRequest.Status.OPEN:
        return  # paid meanwhile (a retry succeeded), cancelled or refunded: nothing to say
    payment_request.failure_message = message[:500]
    if payment_request.last_event_at is None or event.created > payment_request.last_event_at:
        payment_request.last_event_at = event.created
    payment_request.save(update_fields=["failure_message", "last_event_at"])
    payment_request_timeline(payment_request, "payment_request.failed", message=message)


@handles("checkout.session.async_payment_failed")
def checkout_session_async_failed(event: WebhookEvent) -> None:
    session = event_object(event)
    payment_request = _payment_request(event, session)
    if payment_request is not None:
        _payment_failed(payment_request, "The payment did not go through.", event)


@handles("checkout.session.expired")
def checkout_session_expired(event: WebhookEvent) -> None:
    """The session ended unpaid. The request stays open: the link makes a new session. A late
    "expired" never touches a paid request, nor a session that was replaced already."""
    session = event_object(event)
    payment_request = _payment_request(event, session)
    if payment_request is None or payment_request.status != PaymentRequest.Status.OPEN:
        return
    if payment_request.checkout_session_id != session.get("id"):
        return
    payment_request.checkout_session_id = payment_request.checkout_url = ""
    payment_request.checkout_expires_at = None
    payment_request.save(
        update_fields=["checkout_session_id", "checkout_url", "checkout_expires_at"]
    )
    payment_request_timeline(payment_request, "payment_request.expired", session=session.get("id"))


@handles("payment_intent.payment_failed")
def payment_intent_failed(event: WebhookEvent) -> None:
    intent = event_object(event)
    payment_request = _payment_request(event, intent)
    if payment_request is None:
        return
    error = intent.get("last_payment_error") or {}
    _payment_failed(payment_request, error.get("message") or "The card was declined.", event)


def _duplicate(
    payment_request: PaymentRequest, intent_id: str, amount: Any, session_id: Any = ""
) -> bool:
    """A payment by another PaymentIntent of a request paid already: recorded and refunded
    (``duplicate_charge_detect``), never applied to the request."""
    return duplicate_charge_detect(
        payment_request=payment_request,
        payment_intent_id=intent_id,
        amount_cents=int(amount or 0),
        session_id=str(session_id or ""),
    )


@handles("charge.succeeded")
def charge_succeeded(event: WebhookEvent) -> None:
    charge = event_object(event)
    payment_request = _payment_request(event, charge)
    if payment_request is None or _duplicate(
        payment_request, _id_of(charge.get("payment_intent")), charge.get("amount")
    ):
        return
    payment_request_apply_charge(payment_request=payment_request, charge=charge, at=event.created)


@handles("charge.dispute.created")
def charge_dispute_created(event: WebhookEvent) -> None:
    dispute = event_object(event)
    payment_request = _payment_request(event, dispute)
    if payment_request is None or payment_request.status in (
        PaymentRequest.Status.DISPUTED,
        PaymentRequest.Status.REFUNDED,
    ):
        return
    payment_request.status = PaymentRequest.Status.DISPUTED
    payment_request.disputed_at = event.created
    payment_request.save(update_fields=["status", "disputed_at"])
    reason = dispute.get("reason") or ""
    dispute_recorded(payment=payment_request, dispute=dispute, at=event.created)
    payment_request_timeline(payment_request, "payment_request.disputed", reason=reason)
    amount_cents = int(dispute.get("amount") or payment_request.amount_cents)
    currency = str(dispute.get("currency") or payment_request.currency)
    audit_record(
        AuditAction.PAYMENT_REQUEST_DISPUTED,
        payment_request,
        actor=None,
        data=payment_request_data(
            payment_request, reason=reason, **money_data(amount_cents, currency)
        ),
    )


@handles("charge.dispute.closed")
def charge_dispute_closed(event: WebhookEvent) -> None:
    """A dispute won: the money is the dealership's again (lost: it stays out, as written
    when the dispute opened)."""
    dispute = event_object(event)
    payment_request = _payment_request(event, dispute)
    if payment_request is None or dispute.get("status") != "won":
        return
    if not dispute_won_recorded(payment=payment_request, dispute=dispute, at=event.created):
        return
    if payment_request.status == PaymentRequest.Status.DISPUTED:
        payment_request.status = PaymentRequest.Status.PAID
        payment_request.save(update_fields=["status"])
    payment_request_timeline(payment_request, "payment_request.dispute_won")
    amount_cents = int(dispute.get("amount") or payment_request.amount_cents)
    currency = str(dispute.get("currency") or payment_request.currency)
    audit_record(
        AuditAction.PAYMENT_REQUEST_DISPUTE_WON,
        payment_request,
        actor=None,
        data=payment_request_data(payment_request, **money_data(amount_cents, currency)),
    )
