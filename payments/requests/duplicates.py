"""A second charge for a request paid already (two sessions paid at once, a customer who
paid twice): recorded and refunded automatically, never counted as a payment."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.formats import format_money
from payments.audit import money_data, payment_request_data
from payments.gateway import failure_text, get_gateway
from payments.models import DuplicateCharge, PaymentRequest
from payments.requests.tasks import duplicate_charge_refund_task
from payments.timeline import payment_request_timeline
from teams.audit import AuditAction
from teams.services import audit_record

PAID_STATUSES = (
    PaymentRequest.Status.PAID,
    PaymentRequest.Status.REFUNDED,
    PaymentRequest.Status.DISPUTED,
)


def duplicate_charge_detect(
    *,
    payment_request: PaymentRequest,
    payment_intent_id: str,
    amount_cents: int,
    session_id: str = "",
) -> bool:
    """Whether ``payment_intent_id`` paid ``request`` (held) a second time. If so it is
    recorded once, audited and on the ticket's timeline, and its refund is queued."""
    if (
        not payment_intent_id
        or not payment_request.payment_intent_id
        or payment_intent_id == payment_request.payment_intent_id
        or payment_request.status not in PAID_STATUSES
    ):
        return False
    duplicate, created = DuplicateCharge.objects.get_or_create(
        payment_intent_id=payment_intent_id,
        defaults={
            "organization_id": payment_request.organization_id,
            "payment": payment_request,
            "checkout_session_id": session_id,
            "amount_cents": amount_cents or payment_request.amount_cents,
            "currency": payment_request.currency,
        },
    )
    if duplicate.payment_id != payment_request.pk:
        return True  # recorded under its own request already: nothing more to do here
    if session_id and not duplicate.checkout_session_id:
        duplicate.checkout_session_id = session_id
        duplicate.save(update_fields=["checkout_session_id"])
    if created:
        data = payment_request_data(
            payment_request,
            duplicate_charge_id=duplicate.pk,
            payment_intent=payment_intent_id,
            **money_data(duplicate.amount_cents, duplicate.currency),
        )
        audit_record(AuditAction.PAYMENT_DUPLICATE_DETECTED, payment_request, actor=None, data=data)
        payment_request_timeline(
            payment_request,
            "payment_request.duplicate_charged",
            duplicate=format_money(duplicate.amount_cents, duplicate.currency),
            duplicate_charge_id=duplicate.pk,
        )

        transaction.on_commit(lambda: duplicate_charge_refund_task.delay(duplicate.pk))
    return True


def duplicate_charge_refund(*, duplicate_id: int) -> DuplicateCharge:
    """Refund a duplicate charge in full, our application fee included (the dealership
    keeps nothing of a payment it never asked for). Idempotent: one Stripe refund per
    duplicate whatever the retries (its id is the idempotency key)."""
    duplicate = DuplicateCharge.objects.select_related("payment").get(pk=duplicate_id)
    if duplicate.status == DuplicateCharge.Status.REFUNDED:
        return duplicate
    answer = get_gateway().create_refund(
        payment_intent_id=duplicate.payment_intent_id,
        refund_application_fee=True,
        metadata={
            "organization_id": str(duplicate.organization_id),
            "payment_request_id": str(duplicate.payment_id),
            "duplicate_charge_id": str(duplicate.pk),
        },
        idempotency_key=f"duplicate-charge-{duplicate.pk}-refund",
    )
    with transaction.atomic():
        PaymentRequest.objects.select_for_update().filter(pk=duplicate.payment_id).first()
        duplicate = DuplicateCharge.objects.select_for_update().get(pk=duplicate.pk)
        duplicate.stripe_refund_id = duplicate.stripe_refund_id or str(answer.get("id") or "")
        duplicate.save(update_fields=["stripe_refund_id"])
        status = answer.get("status")
        if status == "succeeded":
            duplicate_charge_refunded(duplicate=duplicate, at=timezone.now())
        elif status in ("failed", "canceled"):
            duplicate_charge_refund_failed(
                duplicate=duplicate, reason=failure_text(answer.get("failure_reason"))
            )
    return duplicate


def duplicate_charge_refunded(*, duplicate: DuplicateCharge, at: datetime) -> bool:
    """The duplicate's money is back with the customer (held row): once."""
    if duplicate.status == DuplicateCharge.Status.REFUNDED:
        return False
    duplicate.status = DuplicateCharge.Status.REFUNDED
    duplicate.refunded_at = at
    duplicate.failure_reason = ""
    duplicate.save(update_fields=["status", "refunded_at", "failure_reason"])
    amount = format_money(duplicate.amount_cents, duplicate.currency)
    audit_record(
        AuditAction.PAYMENT_DUPLICATE_REFUNDED,
        duplicate.payment,
        actor=None,
        data=payment_request_data(
            duplicate.payment,
            duplicate_charge_id=duplicate.pk,
            refund=duplicate.stripe_refund_id,
            **money_data(duplicate.amount_cents, duplicate.currency),
        ),
    )
    payment_request_timeline(
        duplicate.payment,
        "payment_request.duplicate_refunded",
        duplicate=amount,
        duplicate_charge_id=duplicate.pk,
    )
    return True


def duplicate_charge_refund_failed(*, duplicate: DuplicateCharge, reason: str) -> None:
    """Stripe could not refund the duplicate: staff see it on the payment's page."""
    if duplicate.status != DuplicateCharge.Status.REFUND_PENDING:
        return
    duplicate.status = DuplicateCharge.Status.REFUND_FAILED
    duplicate.failure_reason = reason[:255]
    duplicate.save(update_fields=["status", "failure_reason"])
    payment_request_timeline(
        duplicate.payment,
        "payment_request.duplicate_refund_failed",
        duplicate=format_money(duplicate.amount_cents, duplicate.currency),
        reason=duplicate.failure_reason,
    )
