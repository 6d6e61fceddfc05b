"""The demo's payouts: simulated from the dashboard, and what each contains."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.db import transaction

from payments.gateway.base import GatewayError
from payments.gateway.demo.base import DemoBase
from payments.models import DemoStripeCheckout, LedgerEntry
from payments.movements import (
    Movements,
    charge_movements,
    dispute_movements,
    refund_movements,
)

Kind = LedgerEntry.Kind

# What marks each movement of a demo charge as held by a (paid) payout.
PAID_OUT = {"payment": "paid_out", "refund": "refund_paid_out", "dispute": "dispute_paid_out"}


def _movements(demo: dict[str, Any]) -> list[tuple[str, Movements]]:
    """The money a demo charge moved on the dealership's balance, per event (its payment,
    its refund, its dispute), keyed by the flag that marks the event paid out."""
    charge = demo["charge"]
    fee = int(charge.get("application_fee_amount") or 0)
    found = [(PAID_OUT["payment"], charge_movements(amount_cents=charge["amount"], fee_cents=fee))]
    if charge.get("refunded"):
        refund = _refund(demo)
        found.append(
            (
                PAID_OUT["refund"],
                refund_movements(
                    amount_cents=int(refund.get("amount") or charge["amount"]),
                    fee_cents=fee,
                    fee_returned=_fee_returned(demo),
                ),
            )
        )
    dispute = demo.get("dispute")
    if dispute:
        found.append(
            (
                PAID_OUT["dispute"],
                dispute_movements(
                    amount_cents=int(dispute["amount"]),
                    fee_cents=sum(
                        int(t.get("fee") or 0) for t in dispute.get("balance_transactions") or []
                    ),
                ),
            )
        )
    return found


def _refund(demo: dict[str, Any]) -> dict[str, Any]:
    return ((demo["charge"].get("refunds") or {}).get("data") or [{}])[0]


def _fee_returned(demo: dict[str, Any]) -> bool:
    """Whether the refund returned our fee (``refund_application_fee`` on its create)."""
    if "refund_fee_returned" in demo:
        return bool(demo["refund_fee_returned"])
    return any(r.get("refund_application_fee") for r in (demo.get("refunds") or {}).values())


def _txn(
    type_: str,
    amount: int,
    created: int,
    source: Any,
    currency: str,
    *,
    fee: int = 0,
    description: str | None = None,
    reporting_category: str | None = None,
) -> dict[str, Any]:
    """A balance transaction as Stripe lists it: net is the amount less the fee."""
    return {
        "id": "txn_demo" + secrets.token_hex(12),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "created": created,
        "currency": currency,
        "description": description,
        "fee": fee,
        "fee_details": (
            [{"amount": fee, "currency": currency, "description": None, "type": "application_fee"}]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": reporting_category or type_,
        "source": source,
        "status": "available",
        "type": type_,
    }


def _transactions(
    demo: dict[str, Any],
    event: str,
    moves: Movements,
    py_id: str,
    currency: str,
    payout: dict[str, Any],
) -> list[dict[str, Any]]:
    """One event's balance transactions, made of the ledger's amounts: a payment is one line
    (the amount, our fee, the net); a refund, the fee returned, a dispute and its fee are
    each one line, each naming the connected-account payment (py_...) it belongs to."""
    charge = demo["charge"]
    cents = dict(moves)
    if event == PAID_OUT["payment"]:
        gross, fee = cents[Kind.CHARGE], -cents[Kind.PLATFORM_FEE]
        source = {
            "id": py_id,
            "object": "charge",
            "amount": gross,
            "currency": currency,
            "source_transfer": {
                "id": "tr_demo" + secrets.token_hex(12),
                "object": "transfer",
                "amount": gross - fee,
                "destination": charge.get("on_behalf_of"),
                "source_transaction": charge["id"],
            },
        }
        return [
            _txn(
                "payment",
                gross,
                charge["created"],
                source,
                currency,
                fee=fee,
                reporting_category="charge",
            )
        ]
    lines = []
    if event == PAID_OUT["refund"]:
        refund = _refund(demo)
        created = refund.get("created") or payout["created"]
        source = {
            "id": "pyr_demo" + secrets.token_hex(12),
            "object": "refund",
            "amount": -cents[Kind.REFUND],
            "charge": py_id,
            "currency": currency,
        }
        lines.append(
            _txn(
                "payment_refund",
                cents[Kind.REFUND],
                created,
                source,
                currency,
                reporting_category="refund",
            )
        )
        if Kind.FEE_RETURNED in cents:
            source = {
                "id": "fr_demo" + secrets.token_hex(12),
                "object": "fee_refund",
                "amount": cents[Kind.FEE_RETURNED],
                "charge": py_id,
                "currency": currency,
            }
            lines.append(
                _txn(
                    "application_fee_refund",
                    cents[Kind.FEE_RETURNED],
                    created,
                    source,
                    currency,
                    description="Platform fee returned",
                    reporting_category="fee",
                )
            )
        return lines
    dispute = demo["dispute"]
    source = {
        "id": dispute["id"],
        "object": "dispute",
        "amount": -cents[Kind.DISPUTE],
        "charge": py_id,
        "currency": currency,
    }
    lines.append(
        _txn(
            "adjustment",
            cents[Kind.DISPUTE],
            dispute["created"],
            source,
            currency,
            description=f"Chargeback withdrawal for {charge['id']}",
            reporting_category="dispute",
        )
    )
    if Kind.DISPUTE_FEE in cents:
        lines.append(
            _txn(
                "stripe_fee",
                cents[Kind.DISPUTE_FEE],
                dispute["created"],
                source,
                currency,
                description="Dispute fee",
                reporting_category="dispute",
            )
        )
    return lines


class DemoPayouts(DemoBase):
    def simulate_payout(
        self, account_id: str, *, amount: int | None = None, outcome: str
    ) -> dict[str, Any]:
        """A payout to the dealership's bank: payout.created, then payout.paid or .failed.

        It contains the account's paid demo charges, refunds and disputes not yet paid out;
        without ``amount`` it pays what they add up to. With an amount that differs, the
        payout does not add up (no line makes up the difference): the payout page says so.
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

    def payout_balance(self, account_id: str) -> int:
        """What the account's charges, refunds and disputes not yet paid out add up to: the
        amount of a payout whose lines add up."""
        with transaction.atomic():
            return self._payout_contents(account_id)[1]

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
        """The account's paid demo checkouts (locked) with a charge, refund or dispute that no
        payout holds yet, and the balance they add up to: each movement's amounts are the
        ledger's own (payments.movements), so the payout's lines add up by construction."""

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
            owed = [(event, moves) for event, moves in _movements(demo) if not demo.get(event)]
            if owed:
                held.append((row, owed))
                net += sum(cents for _event, moves in owed for _kind, cents in moves)
        return held, net

    def _payout_record(
        self, data: dict[str, Any], payout: dict[str, Any], held: list[Any], net: int
    ) -> None:
        """Keep the payout's balance transactions, shaped like Stripe's, on the demo account:
        a payment (its amount, our fee, the net), a refund, the fee returned, a dispute and
        its fee, each its own line; no line balances them. A paid payout marks what it holds
        as paid out."""
        paid = payout["status"] == "paid"
        currency = payout["currency"]
        lines = []
        for row, owed in held:
            demo = row.data["_demo"]
            py_id = demo.setdefault("connected_payment_id", "py_demo" + secrets.token_hex(12))
            for event, moves in owed:
                lines.extend(_transactions(demo, event, moves, py_id, currency, payout))
                if paid:
                    demo[event] = payout["id"]
            row.save(update_fields=["data"])
        lines.append(
            _txn(
                "payout",
                -payout["amount"],
                payout["created"],
                payout["id"],
                currency,
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
