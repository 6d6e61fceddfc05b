"""Stripe itself, through the official library: the only module of the project that imports
``stripe`` (``StripeClient``, API version pinned), and the parameters of our Stripe calls,
typed with the library's own ``*Params``."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import requests
import stripe
from django.conf import settings

from payments.gateway.base import (
    BUSY,
    CODE_SENTENCES,
    KEYS_REFUSED,
    REFUSED,
    STRIPE_FAILED,
    UNREACHABLE,
    GatewayError,
    InvalidSignature,
    NewAccount,
    NewCheckout,
    NewReportRun,
    PayoutInterval,
    WeeklyAnchor,
)

if TYPE_CHECKING:
    from stripe.params import AccountCreateParams, AccountUpdateParams, RefundCreateParams
    from stripe.params.checkout import SessionCreateParams

logger = logging.getLogger(__name__)


API_VERSION = "2026-10-28.endive"


def verify_event(payload: bytes, sig_header: str | None, secret: str) -> dict[str, Any]:
    """Check Stripe-Signature (default tolerance, 300 s) and answer the event as a dict."""
    if not sig_header or not secret:
        raise InvalidSignature("Missing Stripe-Signature header or signing secret.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), sig_header, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise InvalidSignature(str(exc)) from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise InvalidSignature("The payload is not JSON.") from exc
    if not isinstance(event, dict) or event.get("object") != "event" or "id" not in event:
        raise InvalidSignature("The payload is not a Stripe event.")
    return event


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for ``payload``, by Stripe's scheme (HMAC-SHA256, v1)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _error(exc: stripe.StripeError) -> GatewayError:
    """Stripe's failure as a sentence for a person; the exception goes to the log.

    Network, rate-limit, key and server errors get our sentences, and so do refusals whose
    text Stripe writes for developers ("No such destination: 'acct_…'"). Stripe's own words
    are kept where they are meant for the person: a declined card, and a refused field the
    person typed (the error names its ``param``: "The statement descriptor must contain at
    least one letter.")."""
    logger.warning("Stripe call failed: %r", exc, exc_info=exc)
    code = getattr(exc, "code", "") or ""
    if isinstance(exc, stripe.APIConnectionError):
        return GatewayError(UNREACHABLE, code=code or "unreachable")
    if isinstance(exc, stripe.RateLimitError):
        return GatewayError(BUSY, code=code or "rate_limit")
    if isinstance(exc, stripe.AuthenticationError):
        return GatewayError(KEYS_REFUSED, code=code or "authentication")
    status = getattr(exc, "http_status", None) or 0
    if not 400 <= status < 500:
        return GatewayError(STRIPE_FAILED, code=code)
    if code in CODE_SENTENCES:
        return GatewayError(CODE_SENTENCES[code], code=code)
    message = (exc.user_message or "").strip()
    for_the_person = isinstance(exc, stripe.CardError) or bool(getattr(exc, "param", None))
    return GatewayError(message if message and for_the_person else REFUSED, code=code)


class StripeGateway:
    """Stripe itself, through the official library."""

    name = "stripe"

    def __init__(self) -> None:
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            stripe_version=API_VERSION,
            max_network_retries=2,
            # Connect 5 s, read 20 s (the library waits 80 s): a press of Pay holds its
            # request's row while Stripe answers, so a hung Stripe must give up soon.
            http_client=stripe.RequestsClient(timeout=(5, 20)),
        )

    @property
    def livemode(self) -> bool:
        return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))

    def create_account(self, account: NewAccount, *, idempotency_key: str) -> dict[str, Any]:
        params: AccountCreateParams = {
            "type": "express",
            "country": account.country,
            "email": account.email,
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "business_type": "company",
            "business_profile": {
                "name": account.business_name,
                "mcc": "5511",  # Car and truck dealers (new and used): sales, service, parts
                "product_description": "Vehicle service, repairs, parts and sales",
            },
            "metadata": {"organization_id": str(account.organization_id)},
        }
        try:
            created = self.client.v1.accounts.create(
                params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return created.to_dict()

    def retrieve_account(self, account_id: str) -> dict[str, Any]:
        try:
            return self.client.v1.accounts.retrieve(account_id).to_dict()
        except stripe.StripeError as exc:
            raise _error(exc) from exc

    def create_onboarding_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        try:
            link = self.client.v1.account_links.create(
                {
                    "account": account_id,
                    "type": "account_onboarding",
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "collection_options": {"fields": "eventually_due"},
                }
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return link.url

    def create_login_link(self, account_id: str) -> str:
        try:
            return self.client.v1.accounts.login_links.create(account_id).url
        except stripe.StripeError as exc:
            raise _error(exc) from exc

    def update_account(
        self, account_id: str, *, params: AccountUpdateParams, idempotency_key: str
    ) -> dict[str, Any]:
        try:
            account = self.client.v1.accounts.update(
                account_id, params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return account.to_dict()

    # Payment requests: hosted Checkout ----------------------------------------------------
    def create_checkout_session(
        self, checkout: NewCheckout, *, idempotency_key: str
    ) -> dict[str, Any]:
        """A Checkout Session for a destination charge to the dealership's account."""
        params = checkout_session_params(checkout)
        try:
            session = self.client.v1.checkout.sessions.create(
                params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return session.to_dict()

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
        """The session with its PaymentIntent and latest charge (card, receipt) expanded."""
        try:
            session = self.client.v1.checkout.sessions.retrieve(
                session_id, {"expand": ["payment_intent.latest_charge"]}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return session.to_dict()

    def expire_checkout_session(self, session_id: str) -> dict[str, Any]:
        """Close an open session at once (a cancelled request, or one about to be replaced)."""
        try:
            return self.client.v1.checkout.sessions.expire(session_id).to_dict()
        except stripe.StripeError as exc:
            raise _error(exc) from exc

    def retrieve_balance_transaction(self, transaction_id: str) -> dict[str, Any]:
        try:
            return self.client.v1.balance_transactions.retrieve(transaction_id).to_dict()
        except stripe.StripeError as exc:
            raise _error(exc) from exc

    # Refunds (F7) ---------------------------------------------------------------------------
    def create_refund(
        self,
        *,
        payment_intent_id: str,
        refund_application_fee: bool,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]:
        """A full refund of the destination charge, its transfer reversed."""
        params: RefundCreateParams = {
            "payment_intent": payment_intent_id,
            "reverse_transfer": True,
            "refund_application_fee": refund_application_fee,
            "metadata": dict(metadata),
        }
        try:
            refund = self.client.v1.refunds.create(
                params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return refund.to_dict()

    # Payout composition -------------------------------------------------------------------
    def list_payout_transactions(self, *, account_id: str, payout_id: str) -> list[dict[str, Any]]:
        """The connected account's balance transactions a payout contains (all pages), each
        payment's transfer expanded to reach our platform charge."""
        try:
            page = self.client.v1.balance_transactions.list(
                {"payout": payout_id, "limit": 100, "expand": ["data.source.source_transfer"]},
                options={"stripe_account": account_id},
            )
            return [txn.to_dict() for txn in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            raise _error(exc) from exc

    # Reports from Stripe (Reporting API) ----------------------------------------------------
    def create_report_run(self, run: NewReportRun, *, idempotency_key: str) -> dict[str, Any]:
        """A report run on the connected account's data; Stripe prepares the file later."""
        try:
            created = self.client.v1.reporting.report_runs.create(
                {
                    "report_type": run.report_type,
                    "parameters": {
                        "interval_start": run.interval_start,
                        "interval_end": run.interval_end,
                        "connected_account": run.account_id,
                        "timezone": run.timezone,
                    },
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _error(exc) from exc
        return created.to_dict()

    def retrieve_report_run(self, run_id: str) -> dict[str, Any]:
        try:
            return self.client.v1.reporting.report_runs.retrieve(run_id).to_dict()
        except stripe.StripeError as exc:
            raise _error(exc) from exc

    def download_report_file(self, url: str) -> str:
        """The run's ``result.url`` (files.stripe.com), fetched with the secret key."""

        try:
            response = requests.get(url, auth=(settings.STRIPE_SECRET_KEY, ""), timeout=60)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise GatewayError(f"The report file could not be downloaded: {exc}") from exc
        response.encoding = "utf-8"
        return response.text


def checkout_session_params(checkout: NewCheckout) -> SessionCreateParams:
    """Stripe's parameters for a payment request's hosted Checkout.

    Session metadata is not copied to the PaymentIntent: it is set on both, so charge and
    refund events lead back to our request. Payment methods come from settings
    (cards only); API versions from 2026-09-30 take ``allowed_payment_method_types``."""
    metadata = {
        "organization_id": str(checkout.organization_id),
        "payment_request_id": str(checkout.request_id),
    }
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": checkout.currency,
                    "unit_amount": checkout.amount_cents,
                    "product_data": {"name": checkout.description},
                },
            }
        ],
        "payment_intent_data": {
            "application_fee_amount": checkout.fee_cents,
            "transfer_data": {"destination": checkout.account_id},
            "on_behalf_of": checkout.account_id,
            "description": checkout.description,
            "metadata": metadata,
        },
        "allowed_payment_method_types": list(settings.PAYMENT_METHOD_TYPES),  # type: ignore[typeddict-item]
        "metadata": metadata,
        "client_reference_id": str(checkout.request_id),
        "success_url": checkout.success_url,
        "cancel_url": checkout.cancel_url,
        "expires_at": checkout.expires_at,
        "locale": checkout.locale,  # type: ignore[typeddict-item]  # one of Stripe's codes
    }
    return params


def payout_schedule_params(
    *,
    interval: PayoutInterval,
    weekly_anchor: WeeklyAnchor | None = None,
    monthly_anchor: int | None = None,
    delay_days: int | None = None,
) -> AccountUpdateParams:
    schedule: dict[str, Any] = {"interval": interval}
    if interval == "weekly" and weekly_anchor:
        schedule["weekly_anchor"] = weekly_anchor
    if interval == "monthly" and monthly_anchor:
        schedule["monthly_anchor"] = monthly_anchor
    if interval != "manual":
        # Without a number, ask for the shortest delay Stripe allows in the account's country.
        schedule["delay_days"] = delay_days if delay_days is not None else "minimum"
    params: AccountUpdateParams = {"settings": {"payouts": {"schedule": schedule}}}  # type: ignore[typeddict-item]
    return params


def statement_descriptor_params(descriptor: str) -> AccountUpdateParams:
    return {"settings": {"payments": {"statement_descriptor": descriptor}}}
