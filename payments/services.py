"""Writes of the payments app: connecting Stripe, keeping the account true, webhook events."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DurationField, F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from payments import stripe_api
from payments.models import ConnectedAccount, PaymentRequest, WebhookEvent
from payments.money import MAX_AMOUNT_CENTS, MIN_AMOUNT_CENTS, format_money, platform_fee
from payments.selectors import keyset_after
from teams.models import Membership, Organization
from teams.services import audit_record
from tickets.carrier import automated_text_at
from tickets.models import Ticket

logger = logging.getLogger(__name__)


def from_timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


# The connected account --------------------------------------------------------------------


def connected_account_apply(
    *, account: ConnectedAccount, data: dict[str, Any], as_of: datetime
) -> bool:
    """Copy Stripe's account object onto our row unless newer data was applied already.

    Answers whether anything was applied. The caller holds the row (select_for_update)."""
    if account.synced_at and as_of < account.synced_at:
        return False
    requirements = data.get("requirements") or {}
    capabilities = data.get("capabilities") or {}
    account_settings = data.get("settings") or {}
    schedule = (account_settings.get("payouts") or {}).get("schedule") or {}
    payments = account_settings.get("payments") or {}
    was_complete = account.is_complete
    account.livemode = bool(data.get("livemode", False))
    account.country = data.get("country") or account.country
    account.default_currency = data.get("default_currency") or account.default_currency
    account.details_submitted = bool(data.get("details_submitted"))
    account.charges_enabled = bool(data.get("charges_enabled"))
    account.payouts_enabled = bool(data.get("payouts_enabled"))
    account.card_payments = capabilities.get("card_payments") or ""
    account.transfers = capabilities.get("transfers") or ""
    account.currently_due = requirements.get("currently_due") or []
    account.past_due = requirements.get("past_due") or []
    account.eventually_due = requirements.get("eventually_due") or []
    account.pending_verification = requirements.get("pending_verification") or []
    account.disabled_reason = requirements.get("disabled_reason") or ""
    account.current_deadline = from_timestamp(requirements.get("current_deadline"))
    account.payout_interval = schedule.get("interval") or ""
    account.payout_weekly_anchor = schedule.get("weekly_anchor") or ""
    account.payout_monthly_anchor = schedule.get("monthly_anchor")
    account.payout_delay_days = schedule.get("delay_days")
    account.statement_descriptor = payments.get("statement_descriptor") or ""
    account.synced_at = as_of
    if account.is_complete and not was_complete and not account.connected_at:
        account.connected_at = timezone.now()
    account.save()
    if account.is_complete != was_complete:
        audit_record(
            organization=account.organization,
            actor=None,
            action="stripe.connected" if account.is_complete else "stripe.restricted",
            target=account,
            data={"account": account.stripe_account_id, "status": account.status},
        )
    return True


def connected_account_start(*, organization: Organization, actor: User) -> ConnectedAccount:
    """Create the organization's Express account at Stripe, once. Reuses an unfinished one.

    Our row and its attempt number are committed before Stripe is called, so a retry after a
    lost answer sends the same idempotency key and Stripe answers the same account."""
    if not organization.payments_supported:
        raise ValidationError(
            _("Payments are offered to businesses registered in the United States or Canada.")
        )
    with transaction.atomic():
        account, _created = ConnectedAccount.objects.select_for_update().get_or_create(
            organization=organization, defaults={"country": organization.country_code}
        )
        if account.stripe_account_id and not account.deauthorized_at:
            return account
        reconnect = bool(account.deauthorized_at)
        if reconnect or not account.connect_attempt:
            account.connect_attempt += 1
            account.stripe_account_id = None
            account.deauthorized_at = account.connected_at = account.synced_at = None
        account.country = organization.country_code
        account.save()
    data = stripe_api.get_gateway().create_account(
        country=account.country,
        email=actor.email,
        business_name=organization.name,
        organization_id=organization.pk,
        idempotency_key=f"connected-account-{account.pk}-{account.connect_attempt}",
    )
    with transaction.atomic():
        account = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        if account.stripe_account_id != data["id"]:
            account.stripe_account_id = data["id"]
            account.save(update_fields=["stripe_account_id"])
            audit_record(
                organization=organization,
                actor=actor,
                action="stripe.reconnect_started" if reconnect else "stripe.connect_started",
                target=account,
                data={"account": account.stripe_account_id, "country": account.country},
            )
        connected_account_apply(account=account, data=data, as_of=timezone.now())
    return account


def connected_account_refresh(*, account: ConnectedAccount) -> ConnectedAccount:
    """Re-read the account from Stripe (after onboarding returns) and keep it."""
    if not account.stripe_account_id:
        return account
    data = stripe_api.get_gateway().retrieve_account(account.stripe_account_id)
    read_at = timezone.now()
    with transaction.atomic():
        locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        connected_account_apply(account=locked, data=data, as_of=read_at)
    return locked


def onboarding_link(*, account: ConnectedAccount, refresh_url: str, return_url: str) -> str:
    """A fresh, single-use Stripe onboarding link (Express accounts only take this type)."""
    assert account.stripe_account_id, "connect first"
    return stripe_api.get_gateway().create_onboarding_link(
        account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )


def express_dashboard_link(*, account: ConnectedAccount, actor: User) -> str:
    assert account.stripe_account_id, "connect first"
    url = stripe_api.get_gateway().create_login_link(account.stripe_account_id)
    audit_record(
        organization=account.organization,
        actor=actor,
        action="stripe.dashboard_opened",
        target=account,
        data={"account": account.stripe_account_id},
    )
    return url


# Webhook events ---------------------------------------------------------------------------


def webhook_event_store(*, event: dict[str, Any], endpoint: str) -> tuple[WebhookEvent, bool]:
    """Store a verified event once and wake the dispatch after commit.

    Answers the row and whether it is new; a redelivery is acknowledged, not queued again."""
    gateway_livemode = stripe_api.get_gateway().livemode
    status = WebhookEvent.Status.PENDING
    error = ""
    if bool(event.get("livemode")) != gateway_livemode:
        status, error = WebhookEvent.Status.IGNORED, "Event mode differs from our Stripe mode."
    # One INSERT in autocommit (one round trip, where BEGIN/INSERT/COMMIT take three): the
    # row is committed when create() returns, so the task is queued right after it. Inside
    # a caller's transaction, a savepoint keeps a refused duplicate from spoiling it.
    in_transaction = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic() if in_transaction else contextlib.nullcontext():
            stored = WebhookEvent.objects.create(
                stripe_id=event["id"],
                endpoint=endpoint,
                type=str(event.get("type", "")),
                account=str(event.get("account") or ""),
                livemode=bool(event.get("livemode")),
                created=from_timestamp(event.get("created")) or timezone.now(),
                payload=event,
                status=status,
                error=error,
            )
    except IntegrityError:  # a redelivery: the unique stripe_id refused it
        return WebhookEvent.objects.get(stripe_id=event["id"]), False
    if status == WebhookEvent.Status.PENDING:
        transaction.on_commit(webhook_events_wake)
    return stored, True


# Events reach their processing tasks through one dispatch per burst, not one Celery message
# per request: publishing a task costs the request more than storing the event
# (bench/RESULTS.md, scenario 1). A request sets a flag in the shared cache; the first one
# to set it queues the dispatch task, which clears the flag, claims every pending event not
# yet queued and queues them in batches. An event stored after the claim's query finds the
# flag clear and queues the next dispatch, so none is left behind; the beat runs a dispatch
# every minute as well, for events whose task was lost (never published while the broker
# was down, or held by a worker that died). DISPATCH_STALE: a claimed event not processed
# after 50 s is queued again by the next sweep, so a killed worker's events go out again
# within 50 + 60 s (the beat's period). A live one queued again is skipped by
# webhook_event_process (row lock with skip_locked, then its status), never done twice.
DISPATCH_FLAG = "payments:webhooks:dispatch-queued"
DISPATCH_BATCH = 50
DISPATCH_STALE = timedelta(seconds=50)


def webhook_events_wake() -> None:
    from payments.tasks import webhook_events_dispatch_task

    if cache.add(DISPATCH_FLAG, 1, timeout=60):
        webhook_events_dispatch_task.delay()


def webhook_events_dispatch(*, now: datetime | None = None) -> int:
    """Claim the pending events not queued yet (and those queued more than DISPATCH_STALE
    ago, whose task was lost) and queue their processing in batches; answer how many."""
    from payments.tasks import webhook_events_process_task

    cache.delete(DISPATCH_FLAG)
    now = now or timezone.now()
    queued = 0
    while True:
        with transaction.atomic():
            ids = list(
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(status=WebhookEvent.Status.PENDING)
                .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - DISPATCH_STALE))
                .order_by("pk")
                .values_list("pk", flat=True)[:1000]
            )
            if not ids:
                return queued
            WebhookEvent.objects.filter(pk__in=ids).update(queued_at=now)
            for start in range(0, len(ids), DISPATCH_BATCH):
                transaction.on_commit(
                    partial(webhook_events_process_task.delay, ids[start : start + DISPATCH_BATCH])
                )
        queued += len(ids)


class HandlerFailed(Exception):
    pass


def webhook_event_process(*, event_id: int) -> str:
    """Process one stored event exactly once, whatever the number of workers.

    The row is locked while its handler runs; another worker skips it. A handler's failure
    rolls its writes back, marks the event failed with the traceback and raises
    ``HandlerFailed`` so the task retries with backoff."""
    from payments.handlers import HANDLERS

    failure: BaseException | None = None
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(
                pk=event_id, status__in=[WebhookEvent.Status.PENDING, WebhookEvent.Status.FAILED]
            )
            .first()
        )
        if event is None:
            return "skipped"  # processed already, ignored, or in another worker's hands
        handler = HANDLERS.get(event.type)
        event.attempts += 1
        if handler is None:
            event.status = WebhookEvent.Status.IGNORED
            event.processed_at = timezone.now()
        else:
            try:
                with transaction.atomic():
                    handler(event)
            except Exception as exc:
                logger.exception("Stripe event %s (%s) failed", event.stripe_id, event.type)
                event.status = WebhookEvent.Status.FAILED
                event.error = "".join(traceback.format_exception(exc))[-4000:]
                failure = exc
            else:
                event.status = WebhookEvent.Status.PROCESSED
                event.error = ""
                event.processed_at = timezone.now()
        event.save(update_fields=["status", "attempts", "error", "processed_at"])
        result = event.status
    if failure is not None:
        raise HandlerFailed(str(failure)) from failure
    return result


def webhook_event_replay(*, event: WebhookEvent) -> None:
    """Queue a failed (or pending) event again, e.g. after fixing its cause."""
    from payments.tasks import webhook_event_process_task

    if event.status in (WebhookEvent.Status.FAILED, WebhookEvent.Status.PENDING):
        transaction.on_commit(lambda: webhook_event_process_task.delay(event.pk))


# Flow F0: the onboarding checklist for accounting -----------------------------------------


@transaction.atomic
def checklist_send(
    *, organization: Organization, actor: User, full_name: str, email: str, mobile_phone: str
) -> None:
    """E-mail what Stripe will ask for to the accounting contact, and invite them as Manager
    into the payments-enabled teams (or none yet), unless they are a member already."""
    from django.conf import settings
    from django.template.loader import render_to_string

    from accounts.tasks import email_send
    from payments.requirements import onboarding_checklist
    from teams import selectors as team_selectors
    from teams.roles import Role
    from teams.services import invitation_create

    invited = not team_selectors.is_member(
        organization=organization, email=email
    ) and not team_selectors.open_invitation_exists(organization=organization, email=email)
    if invited:
        invitation_create(
            organization=organization,
            actor=actor,
            full_name=full_name,
            email=email,
            mobile_phone=mobile_phone,
            role=Role.MANAGER,
            teams=organization.teams.filter(payments_enabled=True),
        )
    context = {
        "organization": organization,
        "actor": actor,
        "full_name": full_name,
        "checklist": onboarding_checklist(organization.country_code),
        "invited": invited,
        "site_name": settings.SITE_NAME,
    }
    subject = _("What Stripe will ask for to connect %(org)s to payments") % {"org": organization}
    text = render_to_string("payments/email/checklist.txt", context)
    html = render_to_string("payments/email/checklist.html", context)
    transaction.on_commit(
        lambda: email_send.delay(subject=subject, body=text, to=[email], html=html)
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="stripe.checklist_sent",
        data={"email": email, "invited": invited},
    )


# Flow F8: payout settings -----------------------------------------------------------------


def _settings_idempotency_key(account: ConnectedAccount, version: int, params: Any) -> str:
    """Our row and its settings version, plus a digest of what is sent.

    A retry of the same update (the library's network retries, a double click) replays
    Stripe's first answer. A refused update does not keep its version, and Stripe stores even
    an error under its key and refuses the key with other parameters: the digest gives the
    corrected request a key of its own."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    return f"account-{account.pk}-settings-{version}-{digest[:16]}"


def _account_settings_update(
    *, account: ConnectedAccount, params: stripe_api.AccountUpdateParams
) -> ConnectedAccount:
    """Send ``params`` to Stripe and keep Stripe's answer on our row (the caller's transaction).

    A ``GatewayError`` leaves everything as it was: the settings version is counted only
    when Stripe took the update."""
    if not account.stripe_account_id:
        raise ValidationError(_("Connect Stripe first."))
    locked = (
        ConnectedAccount.objects.select_for_update()
        .select_related("organization")
        .get(pk=account.pk)
    )
    assert locked.stripe_account_id
    version = locked.settings_version + 1
    data = stripe_api.get_gateway().update_account(
        locked.stripe_account_id,
        params=params,
        idempotency_key=_settings_idempotency_key(locked, version, params),
    )
    locked.settings_version = version
    if not connected_account_apply(account=locked, data=data, as_of=timezone.now()):
        locked.save(update_fields=["settings_version"])
    return locked


@transaction.atomic
def payout_schedule_update(
    *,
    account: ConnectedAccount,
    actor: User,
    interval: stripe_api.PayoutInterval,
    weekly_anchor: stripe_api.WeeklyAnchor | None = None,
    monthly_anchor: int | None = None,
    delay_days: int | None = None,
) -> ConnectedAccount:
    """Set the payout schedule at Stripe; our row then shows what Stripe read back."""
    params = stripe_api.payout_schedule_params(
        interval=interval,
        weekly_anchor=weekly_anchor,
        monthly_anchor=monthly_anchor,
        delay_days=delay_days,
    )
    updated = _account_settings_update(account=account, params=params)
    audit_record(
        organization=updated.organization,
        actor=actor,
        action="stripe.payout_schedule_updated",
        target=updated,
        data={
            "account": updated.stripe_account_id,
            "interval": updated.payout_interval,
            "weekly_anchor": updated.payout_weekly_anchor or None,
            "monthly_anchor": updated.payout_monthly_anchor,
            "delay_days": updated.payout_delay_days,
            "requested_delay_days": delay_days,
        },
    )
    return updated


@transaction.atomic
def statement_descriptor_update(
    *, account: ConnectedAccount, actor: User, descriptor: str
) -> ConnectedAccount:
    """Set the text on customers' card statements at Stripe (already checked by the form)."""
    previous = account.statement_descriptor
    updated = _account_settings_update(
        account=account, params=stripe_api.statement_descriptor_params(descriptor)
    )
    audit_record(
        organization=updated.organization,
        actor=actor,
        action="stripe.statement_descriptor_updated",
        target=updated,
        data={
            "account": updated.stripe_account_id,
            "descriptor": updated.statement_descriptor,
            "previous": previous,
        },
    )
    return updated


@transaction.atomic
def payout_recipients_set(
    *, account: ConnectedAccount, actor: User, members: Iterable[Membership]
) -> None:
    """Choose who gets payout e-mails: members of the account's organization only."""
    chosen = {m.pk: m for m in members}
    if any(m.organization_id != account.organization_id for m in chosen.values()):
        raise ValidationError(_("Payout e-mails go to members of this organization only."))
    ConnectedAccount.objects.select_for_update().only("pk").get(pk=account.pk)  # one at a time
    current = {m.pk: m for m in account.payout_recipients.select_related("user")}
    added = sorted(chosen[pk].user.email for pk in chosen.keys() - current.keys())
    removed = sorted(current[pk].user.email for pk in current.keys() - chosen.keys())
    if not added and not removed:
        return
    account.payout_recipients.set(list(chosen.values()))
    audit_record(
        organization=account.organization,
        actor=actor,
        action="payouts.recipients_changed",
        target=account,
        data={"added": added, "removed": removed},
    )


# Flows F4 and F5: payment requests --------------------------------------------------------

CHECKOUT_LIFETIME = timedelta(hours=23)  # Stripe allows 30 minutes to 24 hours
CHECKOUT_REUSE_MARGIN = timedelta(minutes=10)  # a session closer to its end is replaced


def payment_request_link(request: PaymentRequest) -> str:
    """The customer's short link: our own page, which outlives any Checkout Session."""
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL + reverse("payment_public", args=[request.token])


def payment_request_unavailable(*, ticket: Ticket, membership: Membership | None) -> str:
    """Why ``membership`` can't request a payment in ``ticket`` (in words), or ""."""
    return _unavailable(ticket=ticket, membership=membership)[1]


def _unavailable(*, ticket: Ticket, membership: Membership | None) -> tuple[str, str]:
    from teams.roles import Capability, has_capability

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


def _request_sms_body(request: PaymentRequest) -> str:
    return _("%(org)s: %(amount)s for %(description)s. Pay securely: %(link)s") % {
        "org": request.organization.name,
        "amount": format_money(request.amount_cents, request.currency),
        "description": request.description,
        "link": payment_request_link(request),
    }


def _request_event_data(request: PaymentRequest, **extra: Any) -> dict[str, Any]:
    return {
        "payment_request_id": request.pk,
        "number": request.display_number,
        "amount": format_money(request.amount_cents, request.currency),
        "amount_cents": request.amount_cents,
        "currency": request.currency,
        "description": request.description,
        "reference": request.reference,
        **extra,
    }


def payment_request_timeline(
    request: PaymentRequest, event: str, author: User | None = None, **extra
):
    from tickets.models import TimelineEntry
    from tickets.services import timeline_add

    return timeline_add(
        ticket=request.ticket,
        kind=TimelineEntry.Kind.EVENT,
        event=event,
        data=_request_event_data(request, **extra),
        author=author,
    )


@transaction.atomic
def payment_request_create(
    *,
    ticket: Ticket,
    actor: User,
    amount_cents: int,
    description: str,
    reference: str = "",
    submission_key: str = "",
) -> PaymentRequest:
    """F4: ask the ticket's customer for ``amount_cents``; text them the link after commit.

    A customer who replied STOP gets no text: the request is created and the panel offers
    its link to copy. The Checkout Session is created when the customer presses Pay.

    ``submission_key`` (the form's) makes it once per submission: the same key again, even
    at the same moment, answers the request the first made, and texts nothing more."""
    from django.core.exceptions import PermissionDenied

    from accounts.services import sms_queue

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
        try:
            with transaction.atomic():
                request = PaymentRequest.objects.create(
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
            request.sms = sms_queue(to=str(customer.mobile_phone), body=_request_sms_body(request))
            request.save(update_fields=["sms"])
        payment_request_timeline(request, "payment_request.sent", author=actor, texted=texted)
        audit_record(
            organization=organization,
            actor=actor,
            action="payment_request.created",
            target=request,
            data={
                "ticket": ticket.pk,
                "amount_cents": amount_cents,
                "currency": request.currency,
                "fee_cents": request.fee_cents,
                "texted": texted,
            },
        )
    return request


def _submitted(ticket: Ticket, submission_key: str) -> PaymentRequest | None:
    found = PaymentRequest.objects.filter(
        organization_id=ticket.organization_id, submission_key=submission_key
    ).first()
    if found is not None and found.ticket_id != ticket.pk:
        raise ValidationError(_("This form was sent already. Reload the page and try again."))
    return found


def payment_request_checkout(*, request: PaymentRequest, success_url: str, cancel_url: str) -> str:
    """F5: the Checkout URL for the customer's Pay button. At most one payable session per
    request at any time, whatever the concurrency.

    The request's row stays locked across the calls to Stripe, so a second press (a double
    tap, a retrying connection) waits for the first and gets the same session. The open
    session is reused while it has time left; otherwise it is closed first (if Stripe says
    it was paid meanwhile, the request is paid and no new session is made; if Stripe cannot
    say, none is made either) and a new one is created under the next attempt number, which
    makes its idempotency key. A refused or unanswered call keeps that attempt used, so the
    next press never replays a key with other parameters."""
    failure: stripe_api.GatewayError | None = None
    paid: PaymentRequest | None = None
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != PaymentRequest.Status.OPEN:
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
                raise stripe_api.GatewayError(stripe_api.UNREACHABLE, code="unreachable")
            if previous.get("payment_status") == "paid":
                synced = payment_request_sync_session(request=locked, session=previous)
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
) -> stripe_api.GatewayError | None:
    """A new session under the next attempt number, saved on the held row; answers Stripe's
    refusal, if any (the attempt stays used all the same)."""
    failure: stripe_api.GatewayError | None = None
    locked.checkout_attempt += 1
    expires_at = timezone.now() + CHECKOUT_LIFETIME
    try:
        session = stripe_api.get_gateway().create_checkout_session(
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
            idempotency_key=f"payment-request-{locked.pk}-checkout-{locked.checkout_attempt}",
        )
    except stripe_api.GatewayError as exc:
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
    gateway = stripe_api.get_gateway()
    try:
        return gateway.expire_checkout_session(session_id)
    except stripe_api.GatewayError:
        try:
            return gateway.retrieve_checkout_session(session_id)
        except stripe_api.GatewayError:
            logger.warning("Could not expire or read Checkout Session %s", session_id)
            return None


def payment_request_cancel(*, request: PaymentRequest, actor: User) -> PaymentRequest:
    """Cancel before payment: the open Checkout Session is closed first, so nothing can be
    paid afterwards, and the row stays held meanwhile, so a press of Pay cannot open another
    session beside it. A session that turns out paid makes the request paid instead."""
    paid = False
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != PaymentRequest.Status.OPEN:
            raise ValidationError(_("Only an unpaid request can be cancelled."))
        session_id = locked.checkout_session_id
        session = _checkout_expire_quietly(session_id) if session_id else None
        if session and session.get("payment_status") == "paid":
            locked = payment_request_sync_session(request=locked, session=session)
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
        organization=locked.organization,
        actor=actor,
        action="payment_request.cancelled",
        target=locked,
        data={"amount_cents": locked.amount_cents},
    )


@transaction.atomic
def payment_request_resend(*, request: PaymentRequest, actor: User) -> PaymentRequest:
    """Text the same link again (a new SMS), while the request is unpaid."""
    from accounts.services import sms_queue

    locked = (
        PaymentRequest.objects.select_for_update()
        .select_related("organization", "ticket__customer")
        .get(pk=request.pk)
    )
    if locked.status != PaymentRequest.Status.OPEN:
        raise ValidationError(_("Only an unpaid request can be sent again."))
    customer = locked.ticket.customer
    if customer.opted_out:
        raise ValidationError(
            _("%(name)s replied STOP: copy the link and share it another way.") % {"name": customer}
        )
    locked.sms = sms_queue(to=str(customer.mobile_phone), body=_request_sms_body(locked))
    locked.save(update_fields=["sms"])
    payment_request_timeline(locked, "payment_request.resent", author=actor)
    audit_record(
        organization=locked.organization,
        actor=actor,
        action="payment_request.resent",
        target=locked,
        data={"sms": locked.sms.pk},
    )
    return locked


def payment_request_mark_opened(*, request: PaymentRequest) -> bool:
    """The customer opened the link: recorded once, whatever the number of visits."""
    with transaction.atomic():
        now = timezone.now()
        updated = PaymentRequest.objects.filter(pk=request.pk, opened_at__isnull=True).update(
            opened_at=now
        )
        if updated:
            request.opened_at = now
            payment_request_timeline(request, "payment_request.opened")
    return bool(updated)


# What Stripe tells us (webhooks and the success page) -------------------------------------


def _note_event_time(request: PaymentRequest, at: datetime | None) -> None:
    if at and (request.last_event_at is None or at > request.last_event_at):
        request.last_event_at = at


def payment_request_mark_paid(
    *, request: PaymentRequest, payment_intent_id: str = "", at: datetime | None = None
) -> bool:
    """Open (or cancelled: the money was taken anyway) → paid, once. Answers whether it
    changed. The caller holds the row."""
    if payment_intent_id and not request.payment_intent_id:
        request.payment_intent_id = payment_intent_id
    _note_event_time(request, at)
    changed = request.status in (PaymentRequest.Status.OPEN, PaymentRequest.Status.CANCELLED)
    if changed:
        request.status = PaymentRequest.Status.PAID
        request.paid_at = request.paid_at or at or timezone.now()
        request.failure_message = ""
        request.checkout_url = ""
    request.save()
    if changed:
        payment_request_timeline(
            request,
            "payment_request.paid",
            paid_at=request.paid_at.isoformat() if request.paid_at else None,
        )
    return changed


def payment_request_apply_charge(
    *, request: PaymentRequest, charge: dict[str, Any], at: datetime | None = None
) -> None:
    """Copy a charge's card, receipt and fees onto the request (and make it paid when the
    charge succeeded). The caller holds the row."""
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    request.charge_id = charge.get("id") or request.charge_id
    request.card_brand = card.get("brand") or request.card_brand
    request.card_last4 = card.get("last4") or request.card_last4
    request.receipt_url = charge.get("receipt_url") or request.receipt_url
    request.receipt_number = charge.get("receipt_number") or request.receipt_number
    if charge.get("payment_intent") and isinstance(charge["payment_intent"], str):
        request.payment_intent_id = request.payment_intent_id or charge["payment_intent"]
    if charge.get("created") and charge.get("status") == "succeeded":
        request.paid_at = from_timestamp(charge["created"])
    transaction_ = charge.get("balance_transaction")
    if isinstance(transaction_, str) and transaction_ and request.stripe_fee_cents is None:
        try:
            transaction_ = stripe_api.get_gateway().retrieve_balance_transaction(transaction_)
        except stripe_api.GatewayError:
            transaction_ = None  # fees come later (reconciliation); never fail the event
    if isinstance(transaction_, dict) and transaction_.get("fee") is not None:
        request.stripe_fee_cents = int(transaction_["fee"])
    request.net_cents = request.amount_cents - request.fee_cents
    if charge.get("status") == "succeeded" and charge.get("paid", True):
        payment_request_mark_paid(
            request=request, payment_intent_id=request.payment_intent_id, at=at
        )
    else:
        _note_event_time(request, at)
        request.save()


def payment_request_sync_session(
    *, request: PaymentRequest, session: dict[str, Any]
) -> PaymentRequest:
    """The success page read the session from Stripe before the webhook came: apply it."""
    if str(session.get("client_reference_id")) != str(request.pk):
        return request
    if (session.get("metadata") or {}).get("payment_request_id") not in (None, str(request.pk)):
        return request
    if session.get("payment_status") != "paid":
        return request
    intent = session.get("payment_intent")
    with transaction.atomic():
        from payments.refunds import duplicate_charge_detect

        locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        intent_id = str((intent.get("id") if isinstance(intent, dict) else intent) or "")
        if duplicate_charge_detect(
            request=locked,
            payment_intent_id=intent_id,
            amount_cents=int(session.get("amount_total") or 0),
            session_id=str(session.get("id") or ""),
        ):
            return locked  # paid meanwhile by another session: this one is refunded
        charge = intent.get("latest_charge") if isinstance(intent, dict) else None
        if isinstance(charge, dict):
            locked.payment_intent_id = locked.payment_intent_id or intent_id
            payment_request_apply_charge(request=locked, charge=charge)
        else:
            payment_request_mark_paid(request=locked, payment_intent_id=intent_id)
    return locked


# Reminders --------------------------------------------------------------------------------


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
    from accounts.services import sms_queue

    now = now or timezone.now()
    request = (
        PaymentRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("organization", "ticket__customer")
        .filter(pk=request_id, status=PaymentRequest.Status.OPEN, reminder_sent_at__isnull=True)
        .first()
    )
    if request is None:
        return False
    request.reminder_sent_at = now
    customer = request.ticket.customer
    if customer.opted_out:
        request.save(update_fields=["reminder_sent_at"])
        return False
    phone = str(customer.mobile_phone)
    if automated_text_at(phone=phone, organization=request.organization, now=now) > now:
        return False  # the customer's quiet hours: held, not claimed (nothing is saved)
    body = _("Reminder from %(sms)s") % {"sms": _request_sms_body(request)}
    request.sms = sms_queue(to=str(customer.mobile_phone), body=body)
    request.save(update_fields=["reminder_sent_at", "sms"])
    payment_request_timeline(request, "payment_request.reminded")
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
            organization=account.organization,
            actor=actor,
            action="payments.reminders_changed",
            target=account,
            data={"from": before, "to": after_hours},
        )
    return account


# Reconciliation with the dealership's business system (F6) --------------------------------


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
        action="payment_request.posted",
        target=locked,
        data={"reference": reference},
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
        action="payment_request.unposted",
        target=locked,
        data={"reference": before},
    )
    return locked
