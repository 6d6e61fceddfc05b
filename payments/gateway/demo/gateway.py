"""The demo gateway: stands in for Stripe with PAYMENT_GATEWAY=demo (never in production).

The same interface as ``StripeGateway``, backed by a table, with local pages standing in for
Stripe's hosted onboarding, Checkout and Express dashboard, and Stripe-shaped events signed
with Stripe's scheme and delivered to our own webhook endpoints, so the demo runs the
production pipeline. Only ``get_gateway`` imports it."""

from __future__ import annotations

from payments.gateway.demo.accounts import DemoAccounts
from payments.gateway.demo.base import DEMO_CARD_DECLINE, DEMO_CARD_SUCCESS
from payments.gateway.demo.checkout import DemoCheckout
from payments.gateway.demo.disputes import DemoDisputes
from payments.gateway.demo.payouts import DemoPayouts
from payments.gateway.demo.reports import DemoReports

__all__ = ["DEMO_CARD_DECLINE", "DEMO_CARD_SUCCESS", "DemoGateway"]


class DemoGateway(DemoAccounts, DemoCheckout, DemoDisputes, DemoPayouts, DemoReports):
    """Stands in for Stripe with PAYMENT_GATEWAY=demo. Same interface, no real money."""

    name = "demo"
    livemode = False
