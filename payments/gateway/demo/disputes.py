"""The demo's chargebacks: a customer disputes a paid demo charge, as Stripe reports it."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.db import transaction

from payments.gateway.base import GatewayError
from payments.gateway.demo.base import DemoBase
from payments.movements import STRIPE_DISPUTE_FEE_CENTS


class DemoDisputes(DemoBase):
    def simulate_dispute(self, payment_intent_id: str, *, reason: str = "fraudulent") -> dict:
        """The cardholder disputes the charge: Stripe takes the amount and its dispute fee
        from the balance (two balance transactions, listed in the next payout) and sends
        ``charge.dispute.created`` to the platform endpoint after commit."""

        with transaction.atomic():
            record = self._charged(payment_intent_id)
            demo = record.data["_demo"]
            charge = demo["charge"]
            if charge.get("refunded") or charge.get("disputed"):
                raise GatewayError(
                    f"Charge {charge['id']} is refunded or disputed already.",
                    code="charge_already_refunded",
                )
            now = int(time.time())
            dispute_id = "du_demo" + secrets.token_hex(12)
            dispute: dict[str, Any] = {
                "id": dispute_id,
                "object": "dispute",
                "amount": charge["amount"],
                "balance_transactions": [
                    {
                        "id": "txn_demo" + secrets.token_hex(12),
                        "object": "balance_transaction",
                        "amount": -charge["amount"],
                        "created": now,
                        "currency": charge["currency"],
                        "fee": STRIPE_DISPUTE_FEE_CENTS,
                        "net": -charge["amount"] - STRIPE_DISPUTE_FEE_CENTS,
                        "reporting_category": "dispute",
                        "source": dispute_id,
                        "type": "adjustment",
                    }
                ],
                "charge": charge["id"],
                "created": now,
                "currency": charge["currency"],
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "payment_intent": payment_intent_id,
                "reason": reason,
                "status": "needs_response",
            }
            charge["disputed"] = True
            demo["dispute"] = dispute
            record.save(update_fields=["data"])
            self.send_platform_event("charge.dispute.created", dispute, created=now)
        return dispute
