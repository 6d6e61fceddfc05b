"""Hosted Checkout, played locally: sessions, the demo card page's charge, refunds, receipts."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from payments.gateway.base import GatewayError, NewCheckout
from payments.gateway.demo.base import DEMO_CARD_DECLINE, DEMO_CARD_SUCCESS, DemoBase
from payments.gateway.stripe import checkout_session_params
from payments.models import DemoStripeCheckout


class DemoCheckout(DemoBase):
    # Payment requests: hosted Checkout, played locally ------------------------------------
    def create_checkout_session(
        self, checkout: NewCheckout, *, idempotency_key: str
    ) -> dict[str, Any]:
        existing = DemoStripeCheckout.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:  # Stripe replays the first answer to a repeated key
            return self._public(existing.data)
        now = int(time.time())
        if not now + 1800 <= checkout.expires_at <= now + 86400:
            raise GatewayError(
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                code="parameter_invalid_integer",
            )
        account = self._load(checkout.account_id)
        if not account.data.get("charges_enabled"):
            raise GatewayError(
                "The destination account can't take charges yet.", code="account_invalid"
            )
        params = checkout_session_params(checkout)
        session_id = "cs_test_demo" + secrets.token_hex(12)
        data: dict[str, Any] = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": checkout.amount_cents,
            "amount_total": checkout.amount_cents,
            "cancel_url": checkout.cancel_url,
            "client_reference_id": str(checkout.request_id),
            "created": now,
            "currency": checkout.currency,
            "expires_at": checkout.expires_at,
            "livemode": False,
            "locale": checkout.locale,  # the page's language, as Stripe keeps it
            "metadata": dict(params["metadata"]),  # type: ignore[arg-type]
            "mode": "payment",
            "payment_intent": None,
            "payment_method_types": list(settings.PAYMENT_METHOD_TYPES),
            "payment_status": "unpaid",
            "status": "open",
            "success_url": checkout.success_url,
            "url": self._site(reverse("demo_stripe_checkout", args=[session_id])),
            "_demo": {
                "account_id": checkout.account_id,
                "business_name": (account.data.get("business_profile") or {}).get("name") or "",
                "description": checkout.description,
                "fee_cents": checkout.fee_cents,
                "payment_intent_data": dict(params["payment_intent_data"]),
            },
        }
        DemoStripeCheckout.objects.create(
            stripe_id=session_id, idempotency_key=idempotency_key, data=data
        )
        return self._public(data)

    def _checkout(self, session_id: str, *, for_update: bool = False):
        sessions = DemoStripeCheckout.objects.all()
        if for_update:
            sessions = sessions.select_for_update()
        try:
            return sessions.get(stripe_id=session_id)
        except DemoStripeCheckout.DoesNotExist as exc:
            raise GatewayError(
                f"No such checkout.session: '{session_id}'", code="resource_missing"
            ) from exc

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
        """As Stripe answers with ``expand=["payment_intent.latest_charge"]``."""
        data = self._checkout(session_id).data
        session = self._public(data)
        intent = data["_demo"].get("payment_intent")
        if intent:
            intent = dict(intent)
            if intent.get("latest_charge") and data["_demo"].get("charge"):
                intent["latest_charge"] = data["_demo"]["charge"]
            session["payment_intent"] = intent
        return session

    def expire_checkout_session(self, session_id: str) -> dict[str, Any]:
        with transaction.atomic():
            record = self._checkout(session_id, for_update=True)
            data = record.data
            if data["status"] != "open":
                raise GatewayError(
                    f"Only Checkout Sessions with a status of `open` can be expired. This "
                    f"session has a status of `{data['status']}`.",
                    code="checkout_session_not_open",
                )
            data["status"] = "expired"
            record.save(update_fields=["data"])
            self.send_platform_event("checkout.session.expired", data)
        return self._public(data)

    def retrieve_balance_transaction(self, transaction_id: str) -> dict[str, Any]:
        found = DemoStripeCheckout.objects.filter(
            data__contains={"_demo": {"balance_transaction": {"id": transaction_id}}}
        ).first()
        if found is None:
            raise GatewayError(
                f"No such balance transaction: '{transaction_id}'", code="resource_missing"
            )
        return found.data["_demo"]["balance_transaction"]

    def create_refund(
        self,
        *,
        payment_intent_id: str,
        refund_application_fee: bool,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Refund the demo charge in full: answers the refund ``pending``, then sends
        ``charge.refunded`` and ``refund.updated`` (succeeded) to the platform endpoint after
        commit, as Stripe would. A repeated idempotency key replays the first answer."""

        with transaction.atomic():
            record = self._charged(payment_intent_id)
            data = record.data
            demo = data["_demo"]
            refunds: dict[str, Any] = demo.setdefault("refunds", {})
            if idempotency_key in refunds:  # Stripe replays the first answer to a repeated key
                return dict(refunds[idempotency_key]["answer"])
            charge = demo["charge"]
            if charge.get("disputed"):
                raise GatewayError(
                    f"Charge {charge['id']} has been charged back; it cannot be refunded.",
                    code="charge_disputed",
                )
            if charge.get("refunded"):
                raise GatewayError(
                    f"Charge {charge['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            now = int(time.time())
            amount = charge["amount"]
            refund: dict[str, Any] = {
                "id": "re_demo" + secrets.token_hex(12),
                "object": "refund",
                "amount": amount,
                "balance_transaction": "txn_demo" + secrets.token_hex(12),
                "charge": charge["id"],
                "created": now,
                "currency": charge["currency"],
                "destination_details": {"card": {"type": "refund"}, "type": "card"},
                "metadata": dict(metadata),
                "payment_intent": payment_intent_id,
                "reason": None,
                "receipt_number": None,
                "source_transfer_reversal": None,
                "status": "pending",
                "transfer_reversal": "trr_demo" + secrets.token_hex(12),
            }
            answer = dict(refund)
            refund["status"] = "succeeded"
            charge.update(
                amount_refunded=amount,
                refunded=True,
                refunds={
                    "object": "list",
                    "data": [refund],
                    "has_more": False,
                    "total_count": 1,
                    "url": f"/v1/charges/{charge['id']}/refunds",
                },
            )
            refunds[idempotency_key] = {
                "answer": answer,
                "refund_application_fee": refund_application_fee,
            }
            demo["refund_fee_returned"] = bool(refund_application_fee)
            record.save(update_fields=["data"])
            self.send_platform_event("charge.refunded", charge, created=now)
            self.send_platform_event("refund.updated", refund, created=now)
        return answer

    # The demo checkout page calls these -----------------------------------------------
    def peek_checkout(self, session_id: str) -> dict[str, Any]:
        """The session with the demo's bookkeeping, expiring it (with its event) when due."""

        with transaction.atomic():
            record = self._checkout(session_id, for_update=True)
            data = record.data
            if data["status"] == "open" and data["expires_at"] < time.time():
                data["status"] = "expired"
                record.save(update_fields=["data"])
                self.send_platform_event("checkout.session.expired", data)
        return data

    def pay_checkout(self, session_id: str, *, card_number: str) -> dict[str, Any]:
        """The customer submits a card: 4242… succeeds, 4000 0000 0000 0002 is declined.

        Answers ``{"paid": bool, "message": str, "session": dict}``; events go to our
        platform endpoint after commit, as Stripe would send them."""

        number = "".join(card_number.split())
        with transaction.atomic():
            record = self._checkout(session_id, for_update=True)
            data = record.data
            demo = data["_demo"]
            if data["status"] != "open" or data["expires_at"] < time.time():
                return {
                    "paid": False,
                    "message": "This checkout session is no longer open.",
                    "session": data,
                }
            if number not in (DEMO_CARD_SUCCESS, DEMO_CARD_DECLINE):
                return {
                    "paid": False,
                    "message": "Use the demo card 4242 4242 4242 4242 (or 4000 0000 0000 0002 "
                    "to see a decline).",
                    "session": data,
                }
            now = int(time.time())
            pi_data = demo["payment_intent_data"]
            intent = demo.get("payment_intent") or {
                "id": "pi_demo" + secrets.token_hex(12),
                "object": "payment_intent",
                "amount": data["amount_total"],
                "application_fee_amount": demo["fee_cents"],
                "created": now,
                "currency": data["currency"],
                "description": demo["description"],
                "latest_charge": None,
                "livemode": False,
                "metadata": dict(pi_data.get("metadata") or {}),
                "on_behalf_of": demo["account_id"],
                "transfer_data": {"destination": demo["account_id"]},
            }
            demo["payment_intent"] = intent
            if number == DEMO_CARD_DECLINE:
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={
                        "code": "card_declined",
                        "decline_code": "generic_decline",
                        "message": "Your card was declined.",
                        "type": "card_error",
                    },
                )
                record.save(update_fields=["data"])
                self.send_platform_event("payment_intent.payment_failed", intent)
                return {"paid": False, "message": "Your card was declined.", "session": data}
            charge, transaction_ = self._charge(data, intent, now)
            intent.update(status="succeeded", latest_charge=charge["id"], last_payment_error=None)
            demo.update(charge=charge, balance_transaction=transaction_)
            data.update(status="complete", payment_status="paid", payment_intent=intent["id"])
            record.save(update_fields=["data"])
            self.send_platform_event("checkout.session.completed", data, created=now)
            self.send_platform_event("payment_intent.succeeded", intent, created=now)
            self.send_platform_event("charge.succeeded", charge, created=now)
        return {"paid": True, "message": "", "session": data}

    def _charge(
        self, session: dict[str, Any], intent: dict[str, Any], now: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        amount = session["amount_total"]
        stripe_fee = (amount * 29 + 500) // 1000 + 30  # Stripe's US card price: 2.9% + 30¢
        charge_id = "ch_demo" + secrets.token_hex(12)
        transaction_ = {
            "id": "txn_demo" + secrets.token_hex(12),
            "object": "balance_transaction",
            "amount": amount,
            "created": now,
            "currency": session["currency"],
            "fee": stripe_fee,
            "net": amount - stripe_fee,
            "source": charge_id,
            "status": "pending",
            "type": "charge",
        }
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "application_fee_amount": intent["application_fee_amount"],
            "balance_transaction": transaction_["id"],
            "captured": True,
            "created": now,
            "currency": session["currency"],
            "description": intent["description"],
            "disputed": False,
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "on_behalf_of": intent["on_behalf_of"],
            "paid": True,
            "payment_intent": intent["id"],
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": "visa",
                    "last4": DEMO_CARD_SUCCESS[-4:],
                    "exp_month": 12,
                    "exp_year": time.gmtime(now).tm_year + 3,
                    "funding": "credit",
                    "country": "US",
                },
            },
            "receipt_number": f"{secrets.randbelow(9000) + 1000}-{secrets.randbelow(9000) + 1000}",
            "receipt_url": self._site(reverse("demo_stripe_receipt", args=[charge_id])),
            "refunded": False,
            "status": "succeeded",
            "transfer_data": {"amount": None, "destination": intent["on_behalf_of"]},
        }
        return charge, transaction_

    def charge_for_receipt(self, charge_id: str) -> dict[str, Any] | None:
        """The charge and its session, for the demo's receipt page."""

        found = DemoStripeCheckout.objects.filter(
            data__contains={"_demo": {"charge": {"id": charge_id}}}
        ).first()
        return found.data if found else None
