"""Reminder texts for unpaid requests, sent once, inside the customer's hours."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import DurationField, F, Func, Q
from django.utils import timezone

from accounts.models import User
from accounts.services import sms_queue
from payments.models import ConnectedAccount, PaymentRequest, RepairOrder
from payments.requests.services import request_sms_body
from payments.scope import keyset_after
from payments.timeline import payment_request_timeline
from teams.audit import AuditAction
from teams.services import audit_record
from tickets.carrier import automated_text_at


def payment_reminders_due(
    *, now=None, after: tuple[datetime, int] | None = None, limit: int = 1000
) -> list[tuple[datetime, int]]:
    """Unpaid requests whose organization's reminder delay has passed, not reminded yet: a
    keyset page of their keys (created_at, id), oldest first, after the key ``after``.

    Served by the partial index ``payment_request_reminder_due`` (created_at of the open,
    unreminded requests): each page is a range scan of it from ``after``."""
    now = now or timezone.now()
    delay = Func(
        F("organization__connected_account__reminder_after_hours"),
        template="make_interval(hours => %(expressions)s)",
        output_field=DurationField(),
    )
    due = PaymentRequest.objects.filter(
        status=PaymentRequest.Status.OPEN,
        reminder_sent_at__isnull=True,
        organization__connected_account__reminder_after_hours__isnull=False,
        ticket__customer__opted_out_at__isnull=True,
    ).exclude(  # nothing to remind of: the link expired, or its repair order is paid
        Q(expires_at__lte=now)
        | Q(repair_order__status__in=[RepairOrder.Status.PAID, RepairOrder.Status.CLOSED])
    )
    if after is not None:
        due = due.filter(keyset_after(*after, newest_first=False))
    return list(
        due.annotate(due_at=F("created_at") + delay)
        .filter(due_at__lte=now)
        .order_by("created_at", "pk")
        .values_list("created_at", "pk")[:limit]
    )


@transaction.atomic
def payment_reminder_send(*, request_id: int, now: datetime | None = None) -> bool:
    """Text one reminder for an unpaid request, once. The claim (``reminder_sent_at`` set on
    the row locked while still open and unreminded) commits with the SMS row, so overlapping
    beat runs and two workers never send the same reminder twice. A row another transaction
    holds is skipped, not waited for: that one reminds it, or a retry or the next beat run
    does, so two workers given the same ids share them instead of queueing on each row.

    Outside the hours automated texts may go to the customer (8 a.m. to 8 p.m. their time,
    tickets/carrier.py) the request is not claimed: the first beat run after 8 a.m. sends it."""

    now = now or timezone.now()
    payment_request = (
        PaymentRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("organization", "ticket__customer")
        .filter(pk=request_id, status=PaymentRequest.Status.OPEN, reminder_sent_at__isnull=True)
        .first()
    )
    if payment_request is None or payment_request.is_expired:
        return False
    payment_request.reminder_sent_at = now
    customer = payment_request.ticket.customer
    if customer.opted_out:
        payment_request.save(update_fields=["reminder_sent_at"])
        return False
    phone = str(customer.mobile_phone)
    if automated_text_at(phone=phone, organization=payment_request.organization, now=now) > now:
        return False  # the customer's quiet hours: held, not claimed (nothing is saved)
    body = request_sms_body(payment_request, reminder=True)
    payment_request.sms = sms_queue(to=str(customer.mobile_phone), body=body)
    payment_request.save(update_fields=["reminder_sent_at", "sms"])
    payment_request_timeline(payment_request, "payment_request.reminded")
    return True


@transaction.atomic
def reminder_settings_update(
    *, account: ConnectedAccount, actor: User, after_hours: int | None
) -> ConnectedAccount:
    before = account.reminder_after_hours
    account.reminder_after_hours = after_hours
    account.save(update_fields=["reminder_after_hours"])
    if before != after_hours:
        audit_record(
            AuditAction.PAYMENTS_REMINDERS_CHANGED,
            account,
            actor=actor,
            data={"from": before, "to": after_hours},
        )
    return account
