"""Stripe's refund events: a refund moves along, whichever order its events come in."""

from __future__ import annotations

from typing import Any

from payments.gateway import failure_text
from payments.models import DuplicateCharge, PaymentRequest, Refund, WebhookEvent
from payments.refunds.services import (
    payment_refunded,
    refund_apply,
    refund_find,
    refund_outcome,
)
from payments.requests.duplicates import duplicate_charge_refund_failed, duplicate_charge_refunded
from payments.requests.handlers import _id_of, _payment_request
from payments.requests.services import payment_request_apply_charge
from payments.webhooks.registry import event_object, handles


@handles("charge.refunded")
def charge_refunded(event: WebhookEvent) -> None:
    """The charge's refunds as Stripe sees them. Fully refunded (``amount_refunded`` equal
    to the amount): the request is refunded, once, and so is its refund."""
    charge = event_object(event)
    if _duplicate_refunded(event, charge):
        return
    payment_request = _payment_request(event, charge)
    if payment_request is None:
        return
    payment_request_apply_charge(payment_request=payment_request, charge=charge, at=event.created)
    for obj in (charge.get("refunds") or {}).get("data") or []:
        if isinstance(obj, dict):
            refund = refund_find(obj, payment_request.organization_id)
            if refund is not None and refund.payment_id == payment_request.pk:
                refund = Refund.objects.select_for_update().get(pk=refund.pk)
                refund.payment = payment_request  # the row we hold: one object, one truth
                refund_apply(refund=refund, obj=obj, at=event.created)
    amount = int(charge.get("amount") or payment_request.amount_cents)
    refunded = int(charge.get("amount_refunded") or 0)
    if refunded < amount:
        return  # a partial refund (made in Stripe's dashboard): the payment stays paid
    live = (
        Refund.objects.select_for_update()
        .filter(payment=payment_request)
        .exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED])
        .first()
    )
    if live is None:
        # Refunded outside the app (Stripe's dashboard): keep a record for the reports.
        objs = [o for o in (charge.get("refunds") or {}).get("data") or [] if isinstance(o, dict)]
        stripe_id = objs[0].get("id") if objs else None
        if stripe_id and Refund.objects.filter(stripe_refund_id=stripe_id).exists():
            stripe_id = None
        made = Refund.objects.create(
            organization=payment_request.organization,
            payment=payment_request,
            stripe_refund_id=stripe_id,
            amount_cents=refunded,
            currency=payment_request.currency,
            status=Refund.Status.SUCCEEDED,
            last_event_at=event.created,
        )
        refund_outcome(refund=made, before="", at=event.created)
    elif live.status != Refund.Status.SUCCEEDED:
        before = live.status
        live.status = Refund.Status.SUCCEEDED
        live.last_event_at = max(live.last_event_at or event.created, event.created)
        live.save(update_fields=["status", "last_event_at", "updated_at"])
        live.payment = payment_request  # the row we hold
        refund_outcome(refund=live, before=before, at=event.created)
    payment_refunded(payment=payment_request, amount_cents=refunded, at=event.created)


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


@handles("refund.updated", "refund.failed")
def refund_changed(event: WebhookEvent) -> None:
    """``refund.updated`` and ``refund.failed``: a refund's progress (platform events)."""
    if event.account:
        return  # a Connect event: never about our platform refunds
    obj = event_object(event)
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
