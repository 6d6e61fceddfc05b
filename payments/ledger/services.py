"""Reconciliation with the dealership's business system (F6): posting to the DBS, and undoing it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from payments.audit import payment_request_data
from payments.models import PaymentRequest
from payments.scope import COLLECTED_STATUSES
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
    locked = _held(payment)
    if locked.status not in COLLECTED_STATUSES:
        raise ValidationError(_("Only a payment the customer made can be posted to the DBS."))
    if locked.posted_at is not None:
        raise ValidationError(_("This payment is posted to the DBS already."))
    return _posting_written(locked, actor=actor, posted=True, reference=reference)


@transaction.atomic
def payment_unpost(*, payment: PaymentRequest, actor: User) -> PaymentRequest:
    """Undo "posted to the DBS" (a posting made by mistake); the audit log keeps both."""
    locked = _held(payment)
    if locked.posted_at is None:
        raise ValidationError(_("This payment is not posted to the DBS."))
    return _posting_written(locked, actor=actor, posted=False, reference=locked.posted_reference)


def _held(payment: PaymentRequest) -> PaymentRequest:
    return PaymentRequest.objects.select_for_update().select_related("ticket").get(pk=payment.pk)


def _posting_written(
    locked: PaymentRequest, *, actor: User, posted: bool, reference: str
) -> PaymentRequest:
    """The posting (or its undoing) on the held row, on the ticket's timeline and in the
    audit log, each naming ``reference``."""
    locked.posted_at = timezone.now() if posted else None
    locked.posted_by = actor if posted else None
    locked.posted_reference = reference if posted else ""
    locked.save(update_fields=["posted_at", "posted_by", "posted_reference"])
    event = "payment_request.posted" if posted else "payment_request.unposted"
    payment_request_timeline(locked, event, author=actor, posted_reference=reference)
    action = AuditAction.PAYMENT_REQUEST_POSTED if posted else AuditAction.PAYMENT_REQUEST_UNPOSTED
    audit_record(
        action, locked, actor=actor, data=payment_request_data(locked, reference=reference)
    )
    return locked
