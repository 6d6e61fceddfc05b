"""The payment gateway: Stripe, or the demo standing in for it.

``get_gateway()`` answers the real ``StripeGateway`` (``gateway/stripe.py``, the only module
that imports ``stripe``) when ``PAYMENT_GATEWAY`` is "stripe", and the ``DemoGateway``
(``gateway/demo/``) when it is "demo" (never in production, which refuses to start with it).
Both answer plain dicts shaped as Stripe's API objects and raise ``GatewayError`` with a
message fit to show a person when Stripe refuses.
"""

from __future__ import annotations

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
    Gateway,
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
    "demo_webhook_secret",
    "failure_text",
    "gateway_message",
    "get_gateway",
    "webhook_secret",
]


def get_gateway() -> Gateway:
    if demo_mode():
        from payments.gateway.demo.gateway import DemoGateway

        return DemoGateway()
    return StripeGateway()
