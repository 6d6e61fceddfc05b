"""The demo's Stripe report files: Stripe's CSV columns, built from our own payments."""

from __future__ import annotations

import csv
import io
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from payments.gateway.base import BALANCE_CHANGE, GatewayError, NewReportRun
from payments.gateway.demo.base import DemoBase
from payments.models import ConnectedAccount, DemoStripeAccount, PaymentRequest, Payout, Refund
from payments.money import decimal_string

# Stripe's itemized report columns: the balance change report's, and the payout
# reconciliation's, which name the payout first and leave out when the money is available.
_TRANSACTION_COLUMNS = [
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
BALANCE_COLUMNS = [*_TRANSACTION_COLUMNS[:3], "available_on_utc", *_TRANSACTION_COLUMNS[3:]]
PAYOUT_COLUMNS = [
    "automatic_payout_id",
    "automatic_payout_effective_at_utc",
    *_TRANSACTION_COLUMNS,
]


def demo_report_csv(run: NewReportRun) -> str:
    """The demo's report file: paid payments, refunds and payouts of the account's
    organization in [interval_start, interval_end), times in UTC and in ``timezone``."""
    account = ConnectedAccount.objects.filter(stripe_account_id=run.account_id).first()
    tz = ZoneInfo(run.timezone)
    begin = datetime.fromtimestamp(run.interval_start, UTC)
    finish = datetime.fromtimestamp(run.interval_end, UTC)
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
                    "gross": decimal_string(payment.amount_cents),
                    "fee": decimal_string(fee),
                    "net": decimal_string(payment.amount_cents - fee),
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
                    "gross": decimal_string(-refund.amount_cents),
                    "fee": decimal_string(0),
                    "net": decimal_string(-refund.amount_cents),
                    "reporting_category": "refund",
                    "source_id": refund.stripe_refund_id or "",
                    "description": f"Refund of {refund.payment.description}",
                    "payment_intent_id": refund.payment.payment_intent_id or "",
                    "charge_id": refund.payment.charge_id or "",
                }
            )
        if run.report_type == BALANCE_CHANGE:
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
                        "gross": decimal_string(-payout.amount_cents),
                        "fee": decimal_string(0),
                        "net": decimal_string(-payout.amount_cents),
                        "reporting_category": "payout",
                        "source_id": payout.stripe_payout_id,
                        "description": "STRIPE PAYOUT",
                        "payment_intent_id": "",
                        "charge_id": "",
                    }
                )
    rows.sort(key=lambda r: r["created_utc"])
    columns = BALANCE_COLUMNS if run.report_type == BALANCE_CHANGE else PAYOUT_COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"automatic_payout_id": "", "automatic_payout_effective_at_utc": "", **row})
    return out.getvalue()


class DemoReports(DemoBase):
    # Reports from Stripe: built at once from the demo's (our) payments ---------------------
    def create_report_run(self, run: NewReportRun, *, idempotency_key: str) -> dict[str, Any]:
        with transaction.atomic():
            record = self._load(run.account_id, for_update=True)
            runs: dict[str, Any] = record.data.setdefault("_demo_report_runs", {})
            for earlier in runs.values():
                if earlier.get("_demo_key") == idempotency_key:
                    return self._public(earlier)
            run_id = "frr_demo" + secrets.token_hex(8)
            file_id = "file_demo" + secrets.token_hex(8)
            now = int(time.time())
            csv_text = demo_report_csv(run)
            runs[run_id] = {
                "id": run_id,
                "object": "reporting.report_run",
                "created": now,
                "livemode": False,
                "parameters": {
                    "interval_start": run.interval_start,
                    "interval_end": run.interval_end,
                    "connected_account": run.account_id,
                    "timezone": run.timezone,
                },
                "report_type": run.report_type,
                "status": "succeeded",
                "succeeded_at": now,
                "error": None,
                "result": {
                    "id": file_id,
                    "object": "file",
                    "filename": f"{file_id}.csv",
                    "purpose": "finance_report_run",
                    "size": len(csv_text.encode()),
                    "type": "csv",
                    "url": f"https://files.stripe.com/v1/files/{file_id}/contents",
                },
                "_demo_key": idempotency_key,
            }
            record.data.setdefault("_demo_report_files", {})[file_id] = csv_text
            record.save(update_fields=["data"])
        return self._public(runs[run_id])

    def retrieve_report_run(self, run_id: str) -> dict[str, Any]:
        record = DemoStripeAccount.objects.filter(data___demo_report_runs__has_key=run_id).first()
        if record is None:
            raise GatewayError(f"No such report run: '{run_id}'", code="resource_missing")
        return self._public(record.data["_demo_report_runs"][run_id])

    def download_report_file(self, url: str) -> str:
        parts = url.rstrip("/").split("/")
        file_id = parts[-2] if parts[-1] == "contents" else parts[-1]
        record = DemoStripeAccount.objects.filter(data___demo_report_files__has_key=file_id).first()
        if record is None:
            raise GatewayError(f"No such file: '{file_id}'", code="resource_missing")
        return str(record.data["_demo_report_files"][file_id])
