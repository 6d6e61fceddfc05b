"""The demo's Stripe report files: Stripe's CSV columns, built from our own payments."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from payments.models import ConnectedAccount, PaymentRequest, Payout, Refund
from payments.reports.stripe_runs import BALANCE_CHANGE

BALANCE_COLUMNS = [
    "balance_transaction_id",
    "created_utc",
    "created",
    "available_on_utc",
    "currency",
    "gross",
    "fee",
    "net",
    "reporting_category",
    "source_id",
    "description",
    "payment_intent_id",
    "charge_id",
]


PAYOUT_COLUMNS = [
    "automatic_payout_id",
    "automatic_payout_effective_at_utc",
    "balance_transaction_id",
    "created_utc",
    "created",
    "currency",
    "gross",
    "fee",
    "net",
    "reporting_category",
    "source_id",
    "description",
    "payment_intent_id",
    "charge_id",
]


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def demo_report_csv(
    *, account_id: str, report_type: str, interval_start: int, interval_end: int, timezone: str
) -> str:
    """The demo's report file: paid payments, refunds and payouts of the account's
    organization in [interval_start, interval_end), times in UTC and in ``timezone``."""
    account = ConnectedAccount.objects.filter(stripe_account_id=account_id).first()
    tz = ZoneInfo(timezone)
    begin = datetime.fromtimestamp(interval_start, UTC)
    finish = datetime.fromtimestamp(interval_end, UTC)
    rows: list[dict[str, str]] = []

    def when(at: datetime) -> tuple[str, str]:
        return (
            at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
        )

    if account is not None:
        org = account.organization_id
        for payment in PaymentRequest.objects.filter(
            organization_id=org, paid_at__gte=begin, paid_at__lt=finish
        ).order_by("paid_at", "pk"):
            assert payment.paid_at is not None
            utc, local = when(payment.paid_at)
            fee = payment.fee_cents or 0
            rows.append(
                {
                    "balance_transaction_id": f"txn_demo_py{payment.pk}",
                    "created_utc": utc,
                    "created": local,
                    "available_on_utc": utc,
                    "currency": payment.currency,
                    "gross": _amount(payment.amount_cents),
                    "fee": _amount(fee),
                    "net": _amount(payment.amount_cents - fee),
                    "reporting_category": "charge",
                    "source_id": payment.charge_id or "",
                    "description": payment.description,
                    "payment_intent_id": payment.payment_intent_id or "",
                    "charge_id": payment.charge_id or "",
                }
            )
        for refund in Refund.objects.filter(
            organization_id=org,
            status=Refund.Status.SUCCEEDED,
            created_at__gte=begin,
            created_at__lt=finish,
        ).select_related("payment"):
            utc, local = when(refund.created_at)
            rows.append(
                {
                    "balance_transaction_id": f"txn_demo_re{refund.pk}",
                    "created_utc": utc,
                    "created": local,
                    "available_on_utc": utc,
                    "currency": refund.currency,
                    "gross": _amount(-refund.amount_cents),
                    "fee": _amount(0),
                    "net": _amount(-refund.amount_cents),
                    "reporting_category": "refund",
                    "source_id": refund.stripe_refund_id or "",
                    "description": f"Refund of {refund.payment.description}",
                    "payment_intent_id": refund.payment.payment_intent_id or "",
                    "charge_id": refund.payment.charge_id or "",
                }
            )
        if report_type == BALANCE_CHANGE:
            for payout in Payout.objects.filter(
                organization_id=org, stripe_created__gte=begin, stripe_created__lt=finish
            ):
                utc, local = when(payout.stripe_created)
                rows.append(
                    {
                        "balance_transaction_id": f"txn_demo_po{payout.pk}",
                        "created_utc": utc,
                        "created": local,
                        "available_on_utc": utc,
                        "currency": payout.currency,
                        "gross": _amount(-payout.amount_cents),
                        "fee": _amount(0),
                        "net": _amount(-payout.amount_cents),
                        "reporting_category": "payout",
                        "source_id": payout.stripe_payout_id,
                        "description": "STRIPE PAYOUT",
                        "payment_intent_id": "",
                        "charge_id": "",
                    }
                )
    rows.sort(key=lambda r: r["created_utc"])
    columns = BALANCE_COLUMNS if report_type == BALANCE_CHANGE else PAYOUT_COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"automatic_payout_id": "", "automatic_payout_effective_at_utc": "", **row})
    return out.getvalue()
