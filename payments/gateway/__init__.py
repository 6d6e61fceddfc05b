"""The payment gateway: Stripe, or the demo standing in for it.

``get_gateway()`` answers the real ``StripeGateway`` (``gateway/stripe.py``, the only module
that imports ``stripe``) when ``PAYMENT_GATEWAY`` is "stripe", and the ``DemoGateway``
(``gateway/demo/``) when it is "demo" (never in production, which refuses to start with it).
Both answer plain dicts shaped as Stripe's API objects and raise ``GatewayError`` with a
message fit to show a person when Stripe refuses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from payments.gateway.base import (
    ALREADY_DONE,
    BALANCE_CHANGE,
    BALANCE_LOW,
    BUSY,
    KEYS_REFUSED,
    PAYOUT_RECONCILIATION,
    REFUSED,
    STRIPE_FAILED,
    UNREACHABLE,
    Endpoint,
    GatewayError,
    InvalidSignature,
    NewAccount,
    NewCheckout,
    NewReportRun,
    PayoutInterval,
    WeeklyAnchor,
    demo_mode,
    demo_webhook_secret,
    failure_text,
    gateway_message,
    webhook_secret,
)
from payments.gateway.stripe import StripeGateway

if TYPE_CHECKING:
    from payments.gateway.stripe import AccountUpdateParams

__all__ = [
    "ALREADY_DONE",
    "BALANCE_CHANGE",
    "BALANCE_LOW",
    "BUSY",
    "KEYS_REFUSED",
    "PAYOUT_RECONCILIATION",
    "REFUSED",
    "STRIPE_FAILED",
    "UNREACHABLE",
    "Endpoint",
    "Gateway",
    "GatewayError",
    "InvalidSignature",
    "NewAccount",
    "NewCheckout",
    "NewReportRun",
    "PayoutInterval",
    "WeeklyAnchor",
    "demo_mode",
    "demo_onboarding_finish",
    "demo_webhook_secret",
    "failure_text",
    "gateway_message",
    "get_gateway",
    "webhook_secret",
]


class Gateway(Protocol):
    """What the product asks of Stripe; ``StripeGateway`` and the demo's ``DemoGateway`` both
    answer it, with plain dicts shaped as Stripe's API objects, and raise ``GatewayError``."""

    name: str

    @property
    def livemode(self) -> bool: ...

    def create_account(self, account: NewAccount, *, idempotency_key: str) -> dict[str, Any]: ...

    def retrieve_account(self, account_id: str) -> dict[str, Any]: ...

    def create_onboarding_link(
        self, *, account_id: str, refresh_url: str, return_url: str
    ) -> str: ...

    def create_login_link(self, account_id: str) -> str: ...

    def update_account(
        self, account_id: str, *, params: AccountUpdateParams, idempotency_key: str
    ) -> dict[str, Any]: ...

    def create_checkout_session(
        self, checkout: NewCheckout, *, idempotency_key: str
    ) -> dict[str, Any]: ...

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]: ...

    def expire_checkout_session(self, session_id: str) -> dict[str, Any]: ...

    def retrieve_balance_transaction(self, transaction_id: str) -> dict[str, Any]: ...

    def create_refund(
        self,
        *,
        payment_intent_id: str,
        refund_application_fee: bool,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]: ...

    def list_payout_transactions(
        self, *, account_id: str, payout_id: str
    ) -> list[dict[str, Any]]: ...

    def create_report_run(self, run: NewReportRun, *, idempotency_key: str) -> dict[str, Any]: ...

    def retrieve_report_run(self, run_id: str) -> dict[str, Any]: ...

    def download_report_file(self, url: str) -> str: ...


def get_gateway() -> Gateway:
    if demo_mode():
        from payments.gateway.demo.gateway import DemoGateway

        return DemoGateway()
    return StripeGateway()


def demo_onboarding_finish(account_id: str, *, business_name: str) -> None:
    """Submit the demo's hosted onboarding for an account, as its "Submit and finish" button
    does (demo gateway only): what seeding the demo dealership connects it with. No
    account.updated is sent: no server listens yet, and the caller reads the account back."""
    assert demo_mode(), "the demo gateway only"
    from payments.gateway.demo.gateway import DemoGateway

    DemoGateway().complete_onboarding(
        account_id, business_name=business_name, finish=True, notify=False
    )
