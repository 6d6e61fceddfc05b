"""Connecting the dealership's Stripe Express account (flows F0, F1) and keeping our row of it
true; the payout settings it holds at Stripe (F8)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.tasks import email_send
from payments.dates import from_timestamp
from payments.gateway import NewAccount, PayoutInterval, WeeklyAnchor, get_gateway
from payments.gateway import stripe as gateway_stripe
from payments.gateway.requirements import onboarding_checklist
from payments.models import ConnectedAccount
from teams import selectors as team_selectors
from teams.audit import AuditAction
from teams.models import Membership, Organization
from teams.roles import Role
from teams.services import audit_record, invitation_create

if TYPE_CHECKING:
    from payments.gateway.stripe import AccountUpdateParams


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
            AuditAction.STRIPE_CONNECTED if account.is_complete else AuditAction.STRIPE_RESTRICTED,
            account,
            actor=None,
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
    data = get_gateway().create_account(
        NewAccount(
            country=account.country,
            email=actor.email,
            business_name=organization.name,
            organization_id=organization.pk,
        ),
        idempotency_key=f"connected-account-{account.pk}-{account.connect_attempt}",
    )
    with transaction.atomic():
        account = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        if account.stripe_account_id != data["id"]:
            account.stripe_account_id = data["id"]
            account.save(update_fields=["stripe_account_id"])
            audit_record(
                AuditAction.STRIPE_RECONNECT_STARTED
                if reconnect
                else AuditAction.STRIPE_CONNECT_STARTED,
                account,
                actor=actor,
                data={"account": account.stripe_account_id, "country": account.country},
                organization=organization,
            )
        connected_account_apply(account=account, data=data, as_of=timezone.now())
    return account


def connected_account_refresh(*, account: ConnectedAccount) -> ConnectedAccount:
    """Re-read the account from Stripe (after onboarding returns) and keep it."""
    if not account.stripe_account_id:
        return account
    data = get_gateway().retrieve_account(account.stripe_account_id)
    read_at = timezone.now()
    with transaction.atomic():
        locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        connected_account_apply(account=locked, data=data, as_of=read_at)
    return locked


def onboarding_link(*, account: ConnectedAccount, refresh_url: str, return_url: str) -> str:
    """A fresh, single-use Stripe onboarding link (Express accounts only take this type)."""
    assert account.stripe_account_id, "connect first"
    return get_gateway().create_onboarding_link(
        account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )


def express_dashboard_link(*, account: ConnectedAccount, actor: User) -> str:
    assert account.stripe_account_id, "connect first"
    url = get_gateway().create_login_link(account.stripe_account_id)
    audit_record(
        AuditAction.STRIPE_DASHBOARD_OPENED,
        account,
        actor=actor,
        data={"account": account.stripe_account_id},
    )
    return url


@transaction.atomic
def checklist_send(
    *, organization: Organization, actor: User, full_name: str, email: str, mobile_phone: str
) -> None:
    """E-mail what Stripe will ask for to the accounting contact, and invite them as Manager
    into the payments-enabled teams (or none yet), unless they are a member already."""

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
    with translation.override(organization.email_language):
        context = {
            "organization": organization,
            "actor": actor,
            "full_name": full_name,
            "checklist": onboarding_checklist(organization.country_code),
            "invited": invited,
            "site_name": settings.SITE_NAME,
        }
        subject = _("What Stripe will ask for to connect %(org)s to payments") % {
            "org": organization
        }
        text = render_to_string("payments/email/checklist.txt", context)
        html = render_to_string("payments/email/checklist.html", context)
        transaction.on_commit(
            lambda: email_send.delay(subject=subject, body=text, to=[email], html=html)
        )
    audit_record(
        AuditAction.STRIPE_CHECKLIST_SENT,
        actor=actor,
        data={"email": email, "invited": invited},
        organization=organization,
    )


def _settings_idempotency_key(account: ConnectedAccount, version: int, params: Any) -> str:
    """Our row and its settings version, plus a digest of what is sent.

    A retry of the same update (the library's network retries, a double click) replays
    Stripe's first answer. A refused update does not keep its version, and Stripe stores even
    an error under its key and refuses the key with other parameters: the digest gives the
    corrected request a key of its own."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    return f"account-{account.pk}-settings-{version}-{digest[:16]}"


def _account_settings_update(
    *, account: ConnectedAccount, params: AccountUpdateParams
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
    data = get_gateway().update_account(
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
    interval: PayoutInterval,
    weekly_anchor: WeeklyAnchor | None = None,
    monthly_anchor: int | None = None,
    delay_days: int | None = None,
) -> ConnectedAccount:
    """Set the payout schedule at Stripe; our row then shows what Stripe read back."""
    params = gateway_stripe.payout_schedule_params(
        interval=interval,
        weekly_anchor=weekly_anchor,
        monthly_anchor=monthly_anchor,
        delay_days=delay_days,
    )
    updated = _account_settings_update(account=account, params=params)
    audit_record(
        AuditAction.STRIPE_PAYOUT_SCHEDULE_UPDATED,
        updated,
        actor=actor,
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
        account=account, params=gateway_stripe.statement_descriptor_params(descriptor)
    )
    audit_record(
        AuditAction.STRIPE_STATEMENT_DESCRIPTOR_UPDATED,
        updated,
        actor=actor,
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
        AuditAction.PAYOUTS_RECIPIENTS_CHANGED,
        account,
        actor=actor,
        data={"added": added, "removed": removed},
    )
