"""The demo's payouts: simulated from the dashboard, and what each contains."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.db import transaction

from payments.gateway.base import GatewayError
from payments.gateway.demo.base import DemoBase
from payments.models import DemoStripeCheckout


class DemoPayouts(DemoBase):
    def simulate_payout(
        self, account_id: str, *, amount: int | None = None, outcome: str
    ) -> dict[str, Any]:
        """A payout to the dealership's bank: payout.created, then payout.paid or .failed.

        It contains the account's paid demo charges (and refunds) not yet paid out; without
        ``amount`` it pays their net, with one any difference is an adjustment line.
        Kept on the demo account (the dashboard lists the latest) and delivered as events."""

        if amount is not None and (
            not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0
        ):
            raise GatewayError("The payout amount must be a positive number of cents.")
        if outcome not in ("paid", "failed"):
            raise GatewayError(f"Unknown payout outcome: {outcome!r}.")
        with transaction.atomic():
            record = self._load(account_id, for_update=True)
            lines, net = self._payout_contents(account_id)
            if amount is None:
                if net <= 0:
                    raise GatewayError("There is nothing to pay out.")
                amount = net
            payout = self._payout(account_id, record.data, amount=amount, outcome=outcome)
            self._payout_record(record.data, payout, lines, net)
            record.data["_demo_payouts"] = [payout, *record.data.get("_demo_payouts", [])][:20]
            record.save(update_fields=["data"])
        return payout

    def _payout(
        self, account_id: str, data: dict[str, Any], *, amount: int, outcome: str
    ) -> dict[str, Any]:
        now = int(time.time())
        payout = {
            "id": "po_demo" + secrets.token_hex(8),
            "object": "payout",
            "amount": amount,
            "arrival_date": now - now % 86400 + 86400,
            "automatic": True,
            "created": now,
            "currency": data.get("default_currency", "usd"),
            "description": "STRIPE PAYOUT",
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": {},
            "method": "standard",
            "status": "in_transit",
            "type": "bank_account",
        }
        self.send_event("payout.created", dict(payout), account=account_id)
        if outcome == "failed":
            payout.update(
                status="failed",
                failure_code="account_closed",
                failure_message="The bank account has been closed.",
            )
            self.send_event("payout.failed", payout, account=account_id, created=now + 1)
        else:
            payout["status"] = "paid"
            self.send_event("payout.paid", payout, account=account_id, created=now + 1)
        return payout

    # Payout composition -------------------------------------------------------------------
    def _payout_contents(self, account_id: str) -> tuple[list[Any], int]:
        """The account's paid demo checkouts (locked) whose charge or refund no payout holds
        yet, and their net: charges less our fee, less refunds of them."""

        held = []
        net = 0
        rows = DemoStripeCheckout.objects.select_for_update().filter(
            data__contains={"_demo": {"account_id": account_id}}
        )
        for row in rows.order_by("pk"):
            demo = row.data["_demo"]
            charge = demo.get("charge")
            if not charge:
                continue
            kept = charge["amount"] - (charge.get("application_fee_amount") or 0)
            payment = not demo.get("paid_out")
            refund = bool(charge.get("refunded")) and not demo.get("refund_paid_out")
            if payment or refund:
                held.append((row, payment, refund, kept))
                net += (kept if payment else 0) - (kept if refund else 0)
        return held, net

    def _payout_record(
        self, data: dict[str, Any], payout: dict[str, Any], held: list[Any], net: int
    ) -> None:
        """Keep the payout's balance transactions, shaped like Stripe's, on the demo account;
        a paid payout marks the charges and refunds it holds as paid out."""
        paid = payout["status"] == "paid"
        currency = payout["currency"]

        def txn(type_: str, amount: int, created: int, source: Any, **extra: Any):
            return {
                "id": "txn_demo" + secrets.token_hex(12),
                "object": "balance_transaction",
                "amount": amount,
                "available_on": created,
                "created": created,
                "currency": currency,
                "description": extra.pop("description", None),
                "fee": 0,
                "fee_details": [],
                "net": amount,
                "reporting_category": extra.pop("reporting_category", type_),
                "source": source,
                "status": "available",
                "type": type_,
            }

        lines = []
        for row, payment, refund, kept in held:
            demo = row.data["_demo"]
            charge = demo["charge"]
            py_id = demo.setdefault("connected_payment_id", "py_demo" + secrets.token_hex(12))
            if payment:
                source = {
                    "id": py_id,
                    "object": "charge",
                    "amount": kept,
                    "currency": currency,
                    "source_transfer": {
                        "id": "tr_demo" + secrets.token_hex(12),
                        "object": "transfer",
                        "amount": kept,
                        "destination": charge.get("on_behalf_of"),
                        "source_transaction": charge["id"],
                    },
                }
                lines.append(
                    txn("payment", kept, charge["created"], source, reporting_category="charge")
                )
            if refund:
                refunded = (charge.get("refunds") or {}).get("data") or [{}]
                source = {
                    "id": "pyr_demo" + secrets.token_hex(12),
                    "object": "refund",
                    "amount": kept,
                    "charge": py_id,
                    "currency": currency,
                }
                created = refunded[0].get("created") or payout["created"]
                lines.append(
                    txn("payment_refund", -kept, created, source, reporting_category="refund")
                )
            if paid:
                if payment:
                    demo["paid_out"] = payout["id"]
                if refund:
                    demo["refund_paid_out"] = payout["id"]
            row.save(update_fields=["data"])
        if payout["amount"] != net:
            lines.append(
                txn(
                    "adjustment",
                    payout["amount"] - net,
                    payout["created"],
                    None,
                    description="Demo balance adjustment",
                )
            )
        lines.append(
            txn(
                "payout",
                -payout["amount"],
                payout["created"],
                payout["id"],
                description="STRIPE PAYOUT",
            )
        )
        data.setdefault("_demo_payout_transactions", {})[payout["id"]] = lines

    def list_payout_transactions(self, *, account_id: str, payout_id: str) -> list[dict[str, Any]]:
        record = self._load(account_id)
        found = record.data.get("_demo_payout_transactions", {}).get(payout_id)
        if found is None:
            return []
        return [dict(line) for line in found]
