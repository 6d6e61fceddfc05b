"""Reconciliation with the dealership's business system (F6): posting to the DBS, and undoing it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from payments.audit import payment_request_data
from payments.models import PaymentRequest
from payments.timeline import payment_request_timeline
from teams.audit import AuditAction
from teams.services import audit_record


@transaction.atomic
def payment_post_to_dbs(*, payment: PaymentRequest, actor: User, reference: str) -> PaymentRequest:
    """Mark a collected payment posted to the DBS, with the DBS reference, who and when."""
    reference = " ".join((reference or "").split())
    if not reference:
        raise ValidationError(_("Enter the DBS reference the payment was posted under."))
    if len(reference) > 64:
        raise ValidationError(_("The DBS reference has at most 64 characters."))
    locked = PaymentRequest.objects.select_for_update().select_related("ticket").get(pk=payment.pk)
    if locked.status not in (
        PaymentRequest.Status.PAID,
        PaymentRequest.Status.REFUNDED,
        PaymentRequest.Status.DISPUTED,
    ):
        raise ValidationError(_("Only a payment the customer made can be posted to the DBS."))
    if locked.posted_at is not None:
        raise ValidationError(_("This payment is posted to the DBS already."))
    locked.posted_at = timezone.now()
    locked.posted_by = actor
    locked.posted_reference = reference
    locked.save(update_fields=["posted_at", "posted_by", "posted_reference"])
    payment_request_timeline(
        locked, "payment_request.posted", author=actor, posted_reference=reference
    )
    audit_record(
        organization=locked.organization,
        actor=actor,
        action=AuditAction.PAYMENT_REQUEST_POSTED,
        target=locked,
        data=payment_request_data(locked, reference=reference),
    )
    return locked


@transaction.atomic
def payment_unpost(*, payment: PaymentRequest, actor: User) -> PaymentRequest:
    """Undo "posted to the DBS" (a posting made by mistake); the audit log keeps both."""
    locked = PaymentRequest.objects.select_for_update().select_related("ticket").get(pk=payment.pk)
    if locked.posted_at is None:
        raise ValidationError(_("This payment is not posted to the DBS."))
    before = locked.posted_reference
    locked.posted_at = None
    locked.posted_by = None
    locked.posted_reference = ""
    locked.save(update_fields=["posted_at", "posted_by", "posted_reference"])
    payment_request_timeline(
        locked, "payment_request.unposted", author=actor, posted_reference=before
    )
    audit_record(
        organization=locked.organization,
        actor=actor,
        action=AuditAction.PAYMENT_REQUEST_UNPOSTED,
        target=locked,
        data=payment_request_data(locked, reference=before),
    )
    return locked
