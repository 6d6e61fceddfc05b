"""Writes of the payments app: connecting Stripe, keeping the account true, webhook events."""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from payments import stripe_api
from payments.models import ConnectedAccount, WebhookEvent
from teams.models import Organization
from teams.services import audit_record

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


@transaction.atomic
def connected_account_start(*, organization: Organization, actor: User) -> ConnectedAccount:
    """Create the organization's Express account at Stripe, once. Reuses an unfinished one."""
    if not organization.payments_supported:
        raise ValidationError(
            _("Payments are offered to businesses registered in the United States or Canada.")
        )
    account, _created = ConnectedAccount.objects.select_for_update().get_or_create(
        organization=organization, defaults={"country": organization.country_code}
    )
    if account.stripe_account_id and not account.deauthorized_at:
        return account
    reconnect = bool(account.deauthorized_at)
    account.connect_attempt += 1
    account.country = organization.country_code
    gateway = stripe_api.get_gateway()
    data = gateway.create_account(
        country=account.country,
        email=actor.email,
        business_name=organization.name,
        organization_id=organization.pk,
        idempotency_key=f"connected-account-{account.pk}-{account.connect_attempt}",
    )
    account.stripe_account_id = data["id"]
    account.deauthorized_at = None
    account.connected_at = None
    account.synced_at = None
    account.save()
    connected_account_apply(account=account, data=data, as_of=timezone.now())
    audit_record(
        organization=organization,
        actor=actor,
        action="stripe.reconnect_started" if reconnect else "stripe.connect_started",
        target=account,
        data={"account": account.stripe_account_id, "country": account.country},
    )
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
    """Store a verified event once and queue its processing after commit.

    Answers the row and whether it is new; a redelivery is acknowledged, not queued again."""
    from payments.tasks import webhook_event_process_task

    gateway_livemode = stripe_api.get_gateway().livemode
    status = WebhookEvent.Status.PENDING
    error = ""
    if bool(event.get("livemode")) != gateway_livemode:
        status, error = WebhookEvent.Status.IGNORED, "Event mode differs from our Stripe mode."
    try:
        with transaction.atomic():
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
            if status == WebhookEvent.Status.PENDING:
                transaction.on_commit(lambda: webhook_event_process_task.delay(stored.pk))
    except IntegrityError:
        return WebhookEvent.objects.get(stripe_id=event["id"]), False
    return stored, True


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
