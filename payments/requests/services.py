"""Payment requests (F4): asked in a ticket, texted to the customer, and what Stripe's charge
tells us about them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.formats import format_money
from accounts.models import User
from accounts.services import sms_queue
from payments.audit import payment_request_data
from payments.dates import from_timestamp
from payments.gateway import GatewayError, get_gateway
from payments.models import ConnectedAccount, PaymentRequest, RepairOrder
from payments.money import MAX_AMOUNT_CENTS, MIN_AMOUNT_CENTS, platform_fee
from payments.movements import charge_recorded
from payments.requests.repair_orders import (
    repair_order_check_request,
    repair_order_locked,
    repair_order_settle,
)
from payments.timeline import payment_request_timeline
from teams.access import has_capability
from teams.audit import AuditAction
from teams.models import Membership
from teams.roles import Capability
from teams.services import audit_record
from tickets.models import Ticket
from tickets.sms_length import plain_spaces


def payment_request_link(payment_request: PaymentRequest) -> str:
    """The customer's short link: our own page, which outlives any Checkout Session."""

    return settings.SITE_URL + reverse("payment_public", args=[payment_request.token])


def payment_request_unavailable(*, ticket: Ticket, membership: Membership | None) -> str:
    """Why ``membership`` can't request a payment in ``ticket`` (in words), or ""."""
    return _unavailable(ticket=ticket, membership=membership)[1]


def _unavailable(*, ticket: Ticket, membership: Membership | None) -> tuple[str, str]:
    organization = ticket.organization
    if not organization.payments_supported:
        return "country", _(
            "Payments are offered to businesses registered in the United States or Canada."
        )
    account = ConnectedAccount.objects.filter(organization=organization).first()
    if account is None or account.status != ConnectedAccount.Status.CONNECTED:
        return "account", _(
            "%(org)s is not connected to Stripe yet: an admin connects it in the Admin tab."
        ) % {"org": organization.name}
    if not ticket.team.payments_enabled:
        return "team", _(
            "The %(team)s team doesn't take payments: an admin can enable them in Team settings."
        ) % {"team": ticket.team.name}
    if membership is None or not has_capability(
        membership, Capability.SEND_PAYMENT_REQUEST, ticket.team
    ):
        return "member", _(
            "Only members of the %(team)s team can request payments in its tickets."
        ) % {"team": ticket.team.name}
    return "", ""


def request_sms_body(payment_request: PaymentRequest, *, reminder: bool = False) -> str:
    """The text carrying the link, in the customer's language; the reminder's says so first.

    Its no-break spaces (an amount's, "50 000,00 $") go as plain spaces, which GSM-7 has:
    one of them would send the whole text as UCS-2, twice the segments (tickets/sms_length.py;
    tests/tickets/test_sms_length.py measures every language's)."""
    with translation.override(payment_request.reads_in):
        body = _("%(org)s: %(amount)s for %(description)s. Pay securely: %(link)s") % {
            "org": payment_request.organization.name,
            "amount": format_money(payment_request.amount_cents, payment_request.currency),
            "description": payment_request.description,
            "link": payment_request_link(payment_request),
        }
        if reminder:
            body = _("Reminder from %(sms)s") % {"sms": body}
    return plain_spaces(body)


@transaction.atomic
def payment_request_create(
    *,
    ticket: Ticket,
    actor: User,
    amount_cents: int,
    description: str,
    reference: str = "",
    submission_key: str = "",
    repair_order: RepairOrder | None = None,
) -> PaymentRequest:
    """F4: ask the ticket's customer for ``amount_cents``; text them the link after commit.

    A customer who replied STOP gets no text: the request is created and the panel offers
    its link to copy. The Checkout Session is created when the customer presses Pay.

    ``submission_key`` (the form's) makes it once per submission: the same key again, even
    at the same moment, answers the request the first made, and texts nothing more.

    Against a ``repair_order`` of the ticket, it asks at most what the order still owes: the
    order's row is locked while that is read and the request written, so two advisors asking
    at once can never together ask more."""

    organization = ticket.organization
    membership = Membership.objects.filter(organization=organization, user=actor).first()
    code, reason = _unavailable(ticket=ticket, membership=membership)
    if code == "member":
        raise PermissionDenied(reason)
    if code:
        raise ValidationError(reason)
    description = " ".join((description or "").split())
    reference = (reference or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe what the payment is for.")})
    if not MIN_AMOUNT_CENTS <= amount_cents <= MAX_AMOUNT_CENTS:
        raise ValidationError({"amount": _("Enter an amount from 0.50 to 50,000.00.")})
    assert organization.currency
    submission_key = (submission_key or "")[:64]
    if submission_key:
        earlier = _submitted(ticket, submission_key)
        if earlier is not None:
            return earlier
    with transaction.atomic():
        if repair_order is not None:
            if repair_order.ticket_id != ticket.pk:
                raise ValidationError(_("That repair order belongs to another ticket."))
            repair_order = repair_order_locked(repair_order)
            repair_order_check_request(repair_order, amount_cents)
            reference = reference or repair_order.number
        try:
            with transaction.atomic():
                payment_request = PaymentRequest.objects.create(
                    organization=organization,
                    ticket=ticket,
                    team=ticket.team,
                    created_by=actor,
                    amount_cents=amount_cents,
                    currency=organization.currency,
                    description=description,
                    reference=reference,
                    token=secrets.token_urlsafe(24),
                    fee_cents=platform_fee(amount_cents),
                    submission_key=submission_key,
                    repair_order=repair_order,
                    expires_at=timezone.now() + timedelta(days=organization.payment_link_days),
                )
        except IntegrityError:
            # The same submission at the same moment: the other one committed first.
            earlier = _submitted(ticket, submission_key) if submission_key else None
            if earlier is None:
                raise
            return earlier
        customer = ticket.customer
        texted = not customer.opted_out
        if texted:
            payment_request.sms = sms_queue(
                to=str(customer.mobile_phone), body=request_sms_body(payment_request)
            )
            payment_request.save(update_fields=["sms"])
        payment_request_timeline(
            payment_request, "payment_request.sent", author=actor, texted=texted
        )
        audit_record(
            AuditAction.PAYMENT_REQUEST_CREATED,
            payment_request,
            actor=actor,
            data=payment_request_data(
                payment_request,
                ticket=ticket.pk,
                fee_cents=payment_request.fee_cents,
                texted=texted,
            ),
            organization=organization,
        )
    return payment_request


def _submitted(ticket: Ticket, submission_key: str) -> PaymentRequest | None:
    found = PaymentRequest.objects.filter(
        organization_id=ticket.organization_id, submission_key=submission_key
    ).first()
    if found is not None and found.ticket_id != ticket.pk:
        raise ValidationError(_("This form was sent already. Reload the page and try again."))
    return found


@transaction.atomic
def payment_request_resend(*, payment_request: PaymentRequest, actor: User) -> PaymentRequest:
    """Text the same link again (a new SMS), while the request is unpaid."""

    locked = (
        PaymentRequest.objects.select_for_update()
        .select_related("organization", "ticket__customer")
        .get(pk=payment_request.pk)
    )
    if locked.status != PaymentRequest.Status.OPEN:
        raise ValidationError(_("Only an unpaid request can be sent again."))
    renewed = locked.is_expired
    if renewed:  # a fresh link: payable again for the organization's period
        locked.expires_at = timezone.now() + timedelta(days=locked.organization.payment_link_days)
        locked.save(update_fields=["expires_at"])
    customer = locked.ticket.customer
    if customer.opted_out:
        raise ValidationError(
            _("%(name)s replied STOP: copy the link and share it another way.") % {"name": customer}
        )
    locked.sms = sms_queue(to=str(customer.mobile_phone), body=request_sms_body(locked))
    locked.save(update_fields=["sms"])
    payment_request_timeline(locked, "payment_request.resent", author=actor)
    audit_record(
        AuditAction.PAYMENT_REQUEST_RESENT,
        locked,
        actor=actor,
        data=payment_request_data(locked, sms=locked.sms.pk, renewed=renewed),
    )
    return locked


def payment_request_mark_opened(*, payment_request: PaymentRequest) -> bool:
    """The customer opened the link: recorded once, whatever the number of visits."""
    with transaction.atomic():
        now = timezone.now()
        updated = PaymentRequest.objects.filter(
            pk=payment_request.pk, opened_at__isnull=True
        ).update(opened_at=now)
        if updated:
            payment_request.opened_at = now
            payment_request_timeline(payment_request, "payment_request.opened")
    return bool(updated)


def _note_event_time(payment_request: PaymentRequest, at: datetime | None) -> None:
    if at and (payment_request.last_event_at is None or at > payment_request.last_event_at):
        payment_request.last_event_at = at


def payment_request_mark_paid(
    *, payment_request: PaymentRequest, payment_intent_id: str = "", at: datetime | None = None
) -> bool:
    """Open (or cancelled: the money was taken anyway) → paid, once. Answers whether it
    changed. The caller holds the row."""
    if payment_intent_id and not payment_request.payment_intent_id:
        payment_request.payment_intent_id = payment_intent_id
    _note_event_time(payment_request, at)
    changed = payment_request.status in (
        PaymentRequest.Status.OPEN,
        PaymentRequest.Status.CANCELLED,
    )
    if changed:
        payment_request.status = PaymentRequest.Status.PAID
        payment_request.paid_at = payment_request.paid_at or at or timezone.now()
        payment_request.failure_message = ""
        payment_request.checkout_url = ""
    payment_request.save()
    if changed:
        charge_recorded(payment=payment_request)
        if payment_request.repair_order is not None:
            repair_order_settle(repair_order_locked(payment_request.repair_order))
        paid_at = payment_request.paid_at.isoformat() if payment_request.paid_at else None
        payment_request_timeline(payment_request, "payment_request.paid", paid_at=paid_at)
        audit_record(
            AuditAction.PAYMENT_REQUEST_PAID,
            payment_request,
            actor=None,
            data=payment_request_data(payment_request, paid_at=paid_at),
        )
    return changed


def payment_request_apply_charge(
    *, payment_request: PaymentRequest, charge: dict[str, Any], at: datetime | None = None
) -> None:
    """Copy a charge's card, receipt and fees onto the request (and make it paid when the
    charge succeeded). The caller holds the row."""
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    payment_request.charge_id = charge.get("id") or payment_request.charge_id
    payment_request.card_brand = card.get("brand") or payment_request.card_brand
    payment_request.card_last4 = card.get("last4") or payment_request.card_last4
    payment_request.receipt_url = charge.get("receipt_url") or payment_request.receipt_url
    payment_request.receipt_number = charge.get("receipt_number") or payment_request.receipt_number
    if charge.get("payment_intent") and isinstance(charge["payment_intent"], str):
        payment_request.payment_intent_id = (
            payment_request.payment_intent_id or charge["payment_intent"]
        )
    if charge.get("created") and charge.get("status") == "succeeded":
        payment_request.paid_at = from_timestamp(charge["created"])
    transaction_ = charge.get("balance_transaction")
    if isinstance(transaction_, str) and transaction_ and payment_request.stripe_fee_cents is None:
        try:
            transaction_ = get_gateway().retrieve_balance_transaction(transaction_)
        except GatewayError:
            transaction_ = None  # fees come later (reconciliation); never fail the event
    if isinstance(transaction_, dict) and transaction_.get("fee") is not None:
        payment_request.stripe_fee_cents = int(transaction_["fee"])
    payment_request.net_cents = payment_request.amount_cents - payment_request.fee_cents
    if charge.get("status") == "succeeded" and charge.get("paid", True):
        payment_request_mark_paid(
            payment_request=payment_request,
            payment_intent_id=payment_request.payment_intent_id,
            at=at,
        )
    else:
        _note_event_time(payment_request, at)
        payment_request.save()
