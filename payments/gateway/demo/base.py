"""What every part of the demo gateway shares: its accounts' table, and Stripe-shaped events
signed with Stripe's scheme and delivered to our own webhook endpoints."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from payments.gateway.base import GatewayError
from payments.gateway.demo.tasks import demo_deliver_event
from payments.gateway.stripe import API_VERSION
from payments.models import DemoStripeAccount, DemoStripeCheckout

DEMO_LINK_TTL = 300  # seconds: Stripe's account links are short-lived and single-use


DEMO_LOGIN_TTL = 600  # seconds: the demo dashboard's signed login token


DEMO_LOGIN_SALT = "payments.demo_stripe_dashboard"


DEMO_CARD_SUCCESS = "4242424242424242"


DEMO_CARD_DECLINE = "4000000000000002"


_REQUIRED_EVERYWHERE = [
    "business_profile.url",
    "company.address.line1",
    "company.tax_id",
    "external_account",
    "representative.dob.day",
    "representative.first_name",
    "tos_acceptance.date",
]
DEMO_REQUIREMENTS = {
    "US": sorted([*_REQUIRED_EVERYWHERE, "representative.ssn_last_4"]),
    "CA": _REQUIRED_EVERYWHERE,
}


class DemoBase:
    """Stands in for Stripe with PAYMENT_GATEWAY=demo: no real money."""

    # Stripe's side --------------------------------------------------------------------
    def _load(self, account_id: str, *, for_update: bool = False):
        accounts = DemoStripeAccount.objects.all()
        if for_update:  # the caller is inside transaction.atomic()
            accounts = accounts.select_for_update()
        try:
            return accounts.get(stripe_id=account_id)
        except DemoStripeAccount.DoesNotExist as exc:
            raise GatewayError(f"No such account: '{account_id}'", code="resource_missing") from exc

    @staticmethod
    def _charged(payment_intent_id: str) -> DemoStripeCheckout:
        """The demo checkout whose charge is ``payment_intent_id``'s, locked (inside a
        transaction); Stripe's resource_missing error when nothing was charged."""
        record = (
            DemoStripeCheckout.objects.select_for_update()
            .filter(data__contains={"_demo": {"payment_intent": {"id": payment_intent_id}}})
            .first()
        )
        if record is None or not record.data["_demo"].get("charge"):
            raise GatewayError(
                f"No such payment_intent: '{payment_intent_id}'", code="resource_missing"
            )
        return record

    @staticmethod
    def _public(data: dict[str, Any]) -> dict[str, Any]:
        """The account as Stripe's API shows it: without the demo's own bookkeeping."""
        return {k: v for k, v in data.items() if not k.startswith("_demo")}

    def _site(self, path: str) -> str:
        return settings.SITE_URL + path

    def send_platform_event(
        self, event_type: str, obj: dict[str, Any], *, created: int | None = None
    ) -> dict[str, Any]:
        """Deliver an event about the platform's own objects (charges, Checkout) to the
        platform endpoint: no ``account``, as Stripe sends them."""
        return self._deliver(event_type, obj, account=None, created=created)

    def send_event(
        self, event_type: str, obj: dict[str, Any], *, account: str, created: int | None = None
    ) -> dict[str, Any]:
        """Deliver a Stripe-shaped event to our Connect endpoint, signed like Stripe signs."""
        return self._deliver(event_type, obj, account=account, created=created)

    def _deliver(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        account: str | None,
        created: int | None = None,
    ) -> dict[str, Any]:

        public = copy.deepcopy({k: v for k, v in obj.items() if not k.startswith("_demo")})
        event: dict[str, Any] = {
            "id": "evt_demo" + secrets.token_hex(12),
            "object": "event",
            "api_version": API_VERSION,
            "created": created or int(time.time()),
            "data": {"object": public},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if account is not None:
            event["account"] = account
            url = self._site(reverse("stripe_webhook_connect"))
        else:
            url = self._site(reverse("stripe_webhook"))
        transaction.on_commit(lambda: demo_deliver_event.delay(url, event))
        return event
