"""Full refunds of paid requests (F7): asked here, confirmed by Stripe's webhooks.

A refund is a Stripe refund of the destination charge with the transfer reversed, so the
money comes back out of the dealership's balance. Whether our application fee goes back to
the dealership too is ``settings.REFUND_APPLICATION_FEE`` (default False: the fee is charged
per successful charge and kept). Stripe never returns its own processing fee.

A payment is refunded at most once: the request row is locked while we check, and the
``refund_one_live_per_payment`` constraint refuses a second live refund even so. The Refund
row is committed before Stripe is called, and its primary key makes the idempotency key, so
a retried call never refunds twice; a refusal marks it failed, and a new refund may be asked.

Webhooks move a refund along (``refund.updated``, ``refund.failed``, ``charge.refunded``):
see ``refund_apply`` and ``payment_refunded``; each is idempotent and tolerant of order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.formats import format_money
from accounts.models import User
from payments.audit import money_data, payment_request_data
from payments.dates import from_timestamp
from payments.gateway import GatewayError, failure_text, get_gateway
from payments.models import PaymentRequest, Refund
from payments.movements import refund_recorded, refund_reversed
from payments.scope import payment_allows
from payments.timeline import payment_request_timeline
from teams.audit import AuditAction
from teams.models import Membership
from teams.roles import Capability
from teams.services import audit_record

LIVE_STATUSES = (Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION, Refund.Status.SUCCEEDED)


ENDED_STATUSES = (Refund.Status.FAILED, Refund.Status.CANCELED)


ALREADY_REFUNDED = "This payment was refunded already."


IN_PROGRESS = "A refund is in progress."


def refund_unavailable(payment: PaymentRequest) -> str:
    """Why ``payment`` cannot be refunded now ("" when it can). The caller may hold the row."""
    live = payment.refunds.filter(status__in=LIVE_STATUSES).order_by("-pk").first()
    if payment.status == PaymentRequest.Status.REFUNDED or (
        live is not None and live.status == Refund.Status.SUCCEEDED
    ):
        return ALREADY_REFUNDED
    if live is not None:
        return IN_PROGRESS
    if payment.status != PaymentRequest.Status.PAID or not payment.payment_intent_id:
        return "Only a paid payment can be refunded."
    return ""


def may_refund(membership: Membership, payment: PaymentRequest) -> bool:
    """Whether ``membership`` may refund ``payment`` now: the two refusals of the refund view
    (``payment_allows`` with REFUND_PAYMENT, then ``refund_unavailable``) as one answer, so
    the payment's page offers Refund exactly when the refund would be done."""
    allowed = payment_allows(membership, payment, Capability.REFUND_PAYMENT)
    return allowed and not refund_unavailable(payment)


def refund_request(*, payment: PaymentRequest, actor: User) -> Refund:
    """Refund ``payment`` in full. Call it outside any transaction: the Refund row is
    committed before Stripe is asked, so a crash in between leaves a trace, not a mystery.

    Raises ``ValidationError`` when the payment cannot be refunded (refunded already, a
    refund in progress, not paid), ``stripe_api.GatewayError`` when Stripe refuses (the
    refund is then failed with the reason, and may be asked again)."""
    with transaction.atomic():
        locked = (
            PaymentRequest.objects.select_for_update()
            .select_related("organization", "ticket")
            .get(pk=payment.pk)
        )
        reason = refund_unavailable(locked)
        if reason:
            raise ValidationError(reason)
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    organization=locked.organization,
                    payment=locked,
                    amount_cents=locked.amount_cents,
                    currency=locked.currency,
                    fee_returned=settings.REFUND_APPLICATION_FEE,
                    status=Refund.Status.PENDING,
                    requested_by=actor,
                )
        except IntegrityError as exc:  # another refund got in first (the constraint)
            raise ValidationError(IN_PROGRESS) from exc
        audit_record(
            AuditAction.PAYMENT_REFUND_REQUESTED,
            locked,
            actor=actor,
            data=payment_request_data(
                locked,
                refund_id=refund.pk,
                fee_returned=refund.fee_returned,
                **money_data(refund.amount_cents, refund.currency),
            ),
        )
        payment_request_timeline(
            locked,
            "payment_request.refund_requested",
            author=actor,
            refund_id=refund.pk,
            fee_returned=refund.fee_returned,
        )
    metadata = {
        "organization_id": str(locked.organization_id),
        "payment_request_id": str(locked.pk),
        "refund_id": str(refund.pk),
    }
    try:
        answer = get_gateway().create_refund(
            payment_intent_id=locked.payment_intent_id,
            refund_application_fee=refund.fee_returned,
            metadata=metadata,
            idempotency_key=f"refund-{refund.pk}",
        )
    except GatewayError as exc:
        with transaction.atomic():
            failed = Refund.objects.select_for_update().get(pk=refund.pk)
            if failed.stripe_refund_id or failed.status != Refund.Status.PENDING:
                return failed  # a webhook told us more meanwhile: Stripe did create it
            failed.status = Refund.Status.FAILED
            failed.failure_reason = exc.message[:255]
            failed.save(update_fields=["status", "failure_reason", "updated_at"])
            payment_request_timeline(
                locked, "payment_request.refund_failed", refund_id=failed.pk, reason=exc.message
            )
            failed.payment = locked
            refund_outcome(refund=failed, before=Refund.Status.PENDING, actor=actor)
        raise
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        refund.stripe_refund_id = refund.stripe_refund_id or answer.get("id") or None
        before = refund.status
        status = answer.get("status")
        if refund.last_event_at is None and status in Refund.Status.values:
            refund.status = status  # no webhook yet: Stripe's answer is the newest we know
            if status == Refund.Status.FAILED:
                refund.failure_reason = failure_text(answer.get("failure_reason"))
        refund.save(update_fields=["stripe_refund_id", "status", "failure_reason", "updated_at"])
        refund.payment = locked
        refund_outcome(
            refund=refund, before=before, actor=actor, at=from_timestamp(answer.get("created"))
        )
    return refund


REFUND_OUTCOMES: dict[str, AuditAction] = {
    Refund.Status.SUCCEEDED: AuditAction.REFUND_SUCCEEDED,
    Refund.Status.FAILED: AuditAction.REFUND_FAILED,
}


def refund_outcome(
    *, refund: Refund, before: str, actor: User | None = None, at: datetime | None = None
) -> None:
    """The refund (held) reaching succeeded or failed from ``before``: audited, and its money
    moved in the ledger as of ``at`` (Stripe's time; the refund's last event by default).
    Only a change of status is written: an event delivered again, which changes nothing,
    writes nothing. ``actor`` is None when Stripe's webhook told us."""
    action = REFUND_OUTCOMES.get(refund.status)
    if action is None or refund.status == before:
        return
    moved_at = at or refund.last_event_at or timezone.now()
    if refund.status == Refund.Status.SUCCEEDED:
        refund_recorded(refund=refund, at=moved_at)
    elif before == Refund.Status.SUCCEEDED:
        refund_reversed(refund=refund, at=moved_at)
    payment = refund.payment
    extra = {"reason": refund.failure_reason} if action == AuditAction.REFUND_FAILED else {}
    audit_record(
        action,
        refund,
        actor=actor,
        data=payment_request_data(
            payment,
            refund_id=refund.pk,
            stripe_refund_id=refund.stripe_refund_id or "",
            **money_data(refund.amount_cents, refund.currency),
            **extra,
        ),
        organization=payment.organization,
    )


def refund_find(obj: dict[str, Any], organization_id: int | None = None) -> Refund | None:
    """Our refund for Stripe's refund object: by its id, else by our metadata (a refund whose
    creation answer we never read). The metadata's organization must be the refund's."""
    found = None
    if obj.get("id"):
        found = Refund.objects.filter(stripe_refund_id=obj["id"]).first()
    metadata = obj.get("metadata") or {}
    refund_id = str(metadata.get("refund_id") or "")
    if found is None and refund_id.isdigit():
        found = Refund.objects.filter(pk=int(refund_id)).first()
        if found is not None and found.stripe_refund_id and found.stripe_refund_id != obj.get("id"):
            return None  # the metadata names a refund Stripe knows under another id
        org = str(metadata.get("organization_id") or "")
        if found is not None and org and org != str(found.organization_id):
            return None
    if found is not None and organization_id not in (None, found.organization_id):
        return None
    return found


def refund_apply(
    *, refund: Refund, obj: dict[str, Any], at: datetime, failed: bool = False
) -> bool:
    """Apply Stripe's refund ``obj`` as of ``at`` to ``refund`` (held, with its payment held
    first). An older event never rolls a newer state back; failed and canceled are final,
    except for a refund our own call marked failed without ever hearing Stripe's answer.
    Answers whether anything changed."""
    status = Refund.Status.FAILED if failed else str(obj.get("status") or "")
    if status not in Refund.Status.values:
        return False
    if refund.last_event_at and at < refund.last_event_at:
        return False
    if refund.status in ENDED_STATUSES:
        unanswered = not refund.stripe_refund_id and refund.last_event_at is None
        if not unanswered or status in ENDED_STATUSES:
            return False
        others = refund.payment.refunds.filter(status__in=LIVE_STATUSES).exclude(pk=refund.pk)
        if others.exists():
            return False  # a retry is live: this one stays failed
    if refund.status in (Refund.Status.SUCCEEDED, *ENDED_STATUSES) and status in (
        Refund.Status.PENDING,
        Refund.Status.REQUIRES_ACTION,
    ):
        return False  # same second as a final state: the final state wins
    before = refund.status
    refund.status = status
    if obj.get("id") and not refund.stripe_refund_id:
        refund.stripe_refund_id = obj["id"]
    if status == Refund.Status.FAILED:
        refund.failure_reason = failure_text(obj.get("failure_reason"))[:255]
    refund.last_event_at = at
    refund.save()
    refund_outcome(refund=refund, before=before, at=at)
    payment = refund.payment
    if status == Refund.Status.FAILED and before != status:
        if payment.status == PaymentRequest.Status.REFUNDED:
            # A refund can fail after it succeeded: the money is the dealership's again.
            payment.status = PaymentRequest.Status.PAID
            payment.refunded_cents = max(payment.refunded_cents - refund.amount_cents, 0)
            payment.refunded_at = None
            payment.save(update_fields=["status", "refunded_cents", "refunded_at"])
        payment_request_timeline(
            payment,
            "payment_request.refund_failed",
            refund_id=refund.pk,
            reason=refund.failure_reason,
        )
    if status == Refund.Status.SUCCEEDED and refund.amount_cents >= payment.amount_cents:
        payment_refunded(payment=payment, amount_cents=refund.amount_cents, at=at)
    return before != status


def payment_refunded(*, payment: PaymentRequest, amount_cents: int, at: datetime) -> bool:
    """Mark the (held) payment refunded once; answers whether it changed now."""
    if payment.status == PaymentRequest.Status.REFUNDED:
        if amount_cents > payment.refunded_cents:
            payment.refunded_cents = amount_cents
            payment.save(update_fields=["refunded_cents"])
        return False
    payment.status = PaymentRequest.Status.REFUNDED
    payment.refunded_cents = amount_cents
    payment.refunded_at = at or timezone.now()
    payment.save(update_fields=["status", "refunded_cents", "refunded_at"])
    payment_request_timeline(
        payment,
        "payment_request.refunded",
        refunded=format_money(amount_cents, payment.currency),
    )
    return True
