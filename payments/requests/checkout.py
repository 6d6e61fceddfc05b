"""The customer's Checkout (F5): at most one payable Stripe Checkout Session per request,
closing it on cancel, and reading it back when the success page comes before the webhook."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.languages import stripe_locale
from accounts.models import User
from payments.audit import payment_request_data
from payments.dates import from_timestamp
from payments.gateway import UNREACHABLE, GatewayError, NewCheckout, get_gateway
from payments.models import ConnectedAccount, PaymentRequest
from payments.requests.duplicates import duplicate_charge_detect
from payments.requests.services import (
    payment_request_apply_charge,
    payment_request_mark_paid,
)
from payments.timeline import payment_request_timeline
from teams.audit import AuditAction
from teams.services import audit_record

logger = logging.getLogger(__name__)


CHECKOUT_LIFETIME = timedelta(hours=23)  # Stripe allows 30 minutes to 24 hours


CHECKOUT_REUSE_MARGIN = timedelta(minutes=10)  # a session closer to its end is replaced


def payment_request_checkout(
    *, payment_request: PaymentRequest, success_url: str, cancel_url: str
) -> str:
    """F5: the Checkout URL for the customer's Pay button. At most one payable session per
    request at any time, whatever the concurrency.

    The request's row stays locked across the calls to Stripe, so a second press (a double
    tap, a retrying connection) waits for the first and gets the same session. The open
    session is reused while it has time left; otherwise it is closed first (if Stripe says
    it was paid meanwhile, the request is paid and no new session is made; if Stripe cannot
    say, none is made either) and a new one is created under the next attempt number, which
    makes its idempotency key. A refused or unanswered call keeps that attempt used, so the
    next press never replays a key with other parameters."""
    failure: GatewayError | None = None
    paid: PaymentRequest | None = None
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=payment_request.pk)
        if locked.status != PaymentRequest.Status.OPEN or locked.is_expired:
            raise ValidationError(_("This payment request can't be paid any more."))
        now = timezone.now()
        if (
            locked.checkout_session_id
            and locked.checkout_expires_at
            and locked.checkout_expires_at - CHECKOUT_REUSE_MARGIN > now
        ):
            return locked.checkout_url
        account = ConnectedAccount.objects.get(organization_id=locked.organization_id)
        if account.status != ConnectedAccount.Status.CONNECTED or not account.stripe_account_id:
            raise ValidationError(_("This dealership can't take payments right now."))
        if locked.checkout_session_id:
            previous = _checkout_expire_quietly(locked.checkout_session_id)
            if previous is None:
                raise GatewayError(UNREACHABLE, code="unreachable")
            if previous.get("payment_status") == "paid":
                synced = payment_request_sync_session(payment_request=locked, session=previous)
                paid = synced if synced.status != PaymentRequest.Status.OPEN else None
        if paid is None:
            failure = _checkout_session_create(
                locked,
                account_id=account.stripe_account_id,
                success_url=success_url,
                cancel_url=cancel_url,
            )
    if paid is not None:
        raise ValidationError(_("This payment request was paid already."))
    if failure is not None:
        raise failure
    return locked.checkout_url


def _checkout_session_create(
    locked: PaymentRequest, *, account_id: str, success_url: str, cancel_url: str
) -> GatewayError | None:
    """A new session under the next attempt number, saved on the held row; answers Stripe's
    refusal, if any (the attempt stays used all the same)."""
    failure: GatewayError | None = None
    locked.checkout_attempt += 1
    expires_at = timezone.now() + CHECKOUT_LIFETIME
    try:
        session = get_gateway().create_checkout_session(
            NewCheckout(
                account_id=account_id,
                amount_cents=locked.amount_cents,
                currency=locked.currency,
                description=locked.description,
                fee_cents=locked.fee_cents,
                request_id=locked.pk,
                organization_id=locked.organization_id,
                success_url=success_url,
                cancel_url=cancel_url,
                expires_at=int(expires_at.timestamp()),
                locale=stripe_locale(locked.reads_in),
            ),
            idempotency_key=f"payment-request-{locked.pk}-checkout-{locked.checkout_attempt}",
        )
    except GatewayError as exc:
        failure = exc
        locked.checkout_session_id = locked.checkout_url = ""
        locked.checkout_expires_at = None
    else:
        locked.checkout_session_id = session["id"]
        locked.checkout_url = session["url"]
        locked.checkout_expires_at = from_timestamp(session.get("expires_at")) or expires_at
    locked.save(
        update_fields=[
            "checkout_attempt",
            "checkout_session_id",
            "checkout_url",
            "checkout_expires_at",
        ]
    )
    return failure


def _checkout_expire_quietly(session_id: str) -> dict[str, Any] | None:
    """Close a session at Stripe; answers the session as Stripe last showed it."""
    gateway = get_gateway()
    try:
        return gateway.expire_checkout_session(session_id)
    except GatewayError:
        try:
            return gateway.retrieve_checkout_session(session_id)
        except GatewayError:
            logger.warning("Could not expire or read Checkout Session %s", session_id)
            return None


def payment_request_cancel(*, payment_request: PaymentRequest, actor: User) -> PaymentRequest:
    """Cancel before payment: the open Checkout Session is closed first, so nothing can be
    paid afterwards, and the row stays held meanwhile, so a press of Pay cannot open another
    session beside it. A session that turns out paid makes the request paid instead."""
    paid = False
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=payment_request.pk)
        if locked.status != PaymentRequest.Status.OPEN:
            raise ValidationError(_("Only an unpaid request can be cancelled."))
        session_id = locked.checkout_session_id
        session = _checkout_expire_quietly(session_id) if session_id else None
        if session and session.get("payment_status") == "paid":
            locked = payment_request_sync_session(payment_request=locked, session=session)
            paid = True
        else:
            _cancelled(locked, actor=actor)
    if paid:  # raised after the commit, so the payment found is kept
        raise ValidationError(_("The customer has just paid: the request can't be cancelled."))
    return locked


def _cancelled(locked: PaymentRequest, *, actor: User) -> None:
    locked.status = PaymentRequest.Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.checkout_session_id = locked.checkout_url = ""
    locked.checkout_expires_at = None
    locked.save(
        update_fields=[
            "status",
            "cancelled_at",
            "checkout_session_id",
            "checkout_url",
            "checkout_expires_at",
        ]
    )
    payment_request_timeline(locked, "payment_request.cancelled", author=actor)
    audit_record(
        AuditAction.PAYMENT_REQUEST_CANCELLED,
        locked,
        actor=actor,
        data=payment_request_data(locked),
    )


def payment_request_sync_session(
    *, payment_request: PaymentRequest, session: dict[str, Any]
) -> PaymentRequest:
    """The success page read the session from Stripe before the webhook came: apply it."""
    if str(session.get("client_reference_id")) != str(payment_request.pk):
        return payment_request
    if (session.get("metadata") or {}).get("payment_request_id") not in (
        None,
        str(payment_request.pk),
    ):
        return payment_request
    if session.get("payment_status") != "paid":
        return payment_request
    intent = session.get("payment_intent")
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=payment_request.pk)
        intent_id = str((intent.get("id") if isinstance(intent, dict) else intent) or "")
        if duplicate_charge_detect(
            payment_request=locked,
            payment_intent_id=intent_id,
            amount_cents=int(session.get("amount_total") or 0),
            session_id=str(session.get("id") or ""),
        ):
            return locked  # paid meanwhile by another session: this one is refunded
        charge = intent.get("latest_charge") if isinstance(intent, dict) else None
        if isinstance(charge, dict):
            locked.payment_intent_id = locked.payment_intent_id or intent_id
            payment_request_apply_charge(payment_request=locked, charge=charge)
        else:
            payment_request_mark_paid(payment_request=locked, payment_intent_id=intent_id)
    return locked
