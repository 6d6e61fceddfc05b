"""What every gateway shares: the errors a person reads, which gateway is on, and the
webhook signing secrets. Imports nothing of either gateway."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

Endpoint = Literal["platform", "connect"]


PayoutInterval = Literal["daily", "weekly", "monthly", "manual"]


WeeklyAnchor = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class GatewayError(Exception):
    """Stripe refused or could not be reached. ``message`` is fit for the person who asked."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def says_what_to_do(self) -> bool:
        """Whether ``message`` is one of our whole sentences (what happened, what to do)
        rather than Stripe's reason for a refusal, which a view puts in its own sentence."""
        return self.message in (
            UNREACHABLE,
            BUSY,
            KEYS_REFUSED,
            STRIPE_FAILED,
            REFUSED,
            BALANCE_LOW,
            ALREADY_DONE,
        )


def gateway_message(template: str, error: GatewayError) -> str:
    """What a person reads of ``error``: our whole sentence as it is, or Stripe's reason in
    ``template`` (``"Stripe could not …: %(e)s"``)."""
    return error.message if error.says_what_to_do else template % {"e": error.message}


class InvalidSignature(Exception):
    """A webhook whose Stripe-Signature does not check out."""


def demo_mode() -> bool:
    """Whether the demo gateway stands in for Stripe (``PAYMENT_GATEWAY``): the one question."""
    return settings.PAYMENT_GATEWAY == "demo"


def demo_webhook_secret() -> str:
    """The demo gateway's signing secret: this installation's own, derived from SECRET_KEY,
    never accepted with the Stripe gateway."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"demo-gateway-webhooks", hashlib.sha256
    ).hexdigest()
    return f"whsec_demo_{digest[:32]}"


def webhook_secret(endpoint: Endpoint) -> str:
    if demo_mode():
        return demo_webhook_secret()
    if endpoint == "connect":
        return settings.STRIPE_CONNECT_WEBHOOK_SECRET
    return settings.STRIPE_WEBHOOK_SECRET


# What a person reads when Stripe fails us; the exception itself goes to the log.
UNREACHABLE = "Stripe could not be reached. Nothing was changed. Try again in a minute."


BUSY = "Stripe is busy right now. Nothing was changed. Try again in a minute."


KEYS_REFUSED = (
    "Stripe refused the platform's API key. Nothing was changed. "
    "Ask the platform's operator to check the Stripe settings."
)


STRIPE_FAILED = "Stripe could not complete the request. Nothing was changed. Try again in a minute."


REFUSED = (
    "Stripe did not accept the request. Nothing was changed. Try again, or contact support "
    "if it keeps happening."
)


BALANCE_LOW = (
    "The Stripe balance is too low for this. Nothing was changed. Try again once new "
    "payments have arrived."
)


ALREADY_DONE = "Stripe says this was done already. Reload the page to see it."


# Stripe's codes with a sentence of ours; the texts behind them are written for developers.
CODE_SENTENCES = {
    "balance_insufficient": BALANCE_LOW,
    "insufficient_funds": BALANCE_LOW,
    "charge_already_refunded": ALREADY_DONE,
    "idempotency_key_in_use": BUSY,
}


# Stripe's Connect report types (the Reporting API's ``report_type``).
BALANCE_CHANGE = "connected_account_balance_change_from_activity.itemized.1"
PAYOUT_RECONCILIATION = "connected_account_payout_reconciliation.itemized.1"


# Stripe's refund failure_reason codes, as a person reads them.
FAILURE_REASONS = {
    "lost_or_stolen_card": "The card was reported lost or stolen.",
    "expired_or_canceled_card": "The card has expired or was cancelled.",
    "charge_for_pending_refund_disputed": "The customer disputed the charge meanwhile.",
    "insufficient_funds": "The dealership's Stripe balance was too low to cover the refund.",
    "declined": "The card's bank declined the refund.",
    "merchant_request": "The refund was cancelled at the dealership's request.",
    "unknown": "Stripe could not complete the refund.",
}


def failure_text(code: str | None) -> str:
    code = code or "unknown"
    return FAILURE_REASONS.get(code, f"Stripe could not complete the refund ({code}).")


# What our calls ask Stripe for, where a call takes more than a few values.
@dataclass(frozen=True, kw_only=True)
class NewAccount:
    """The dealership's Express account, as we ask Stripe to create it."""

    country: str
    email: str
    business_name: str
    organization_id: int


@dataclass(frozen=True, kw_only=True)
class NewCheckout:
    """A payment request's hosted Checkout: a destination charge to the dealership's account."""

    account_id: str
    amount_cents: int
    currency: str
    description: str
    fee_cents: int
    request_id: int
    organization_id: int
    success_url: str
    cancel_url: str
    expires_at: int
    locale: str = "auto"  # Stripe Checkout's page language (accounts.languages.STRIPE_LOCALES)


@dataclass(frozen=True, kw_only=True)
class NewReportRun:
    """A Reporting API run over the connected account's data, in [interval_start, interval_end)."""

    account_id: str
    report_type: str
    interval_start: int
    interval_end: int
    timezone: str
