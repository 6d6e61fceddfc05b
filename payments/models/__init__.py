"""The payments app's data, one module per part; every model is importable from here (the
migrations name ``payments.models``)."""

from payments.models.connect import ConnectedAccount
from payments.models.demo import DemoStripeAccount, DemoStripeCheckout
from payments.models.ledger import LedgerEntry
from payments.models.payouts import Payout, PayoutLine, PayoutNotification
from payments.models.refunds import Refund
from payments.models.repair_orders import RepairOrder
from payments.models.reports import DailyReport, DailyReportLine, StripeReportRun
from payments.models.requests import (
    DuplicateCharge,
    PaymentCounters,
    PaymentRequest,
    display_number,
)
from payments.models.webhooks import WebhookEvent

__all__ = [
    "ConnectedAccount",
    "DailyReport",
    "DailyReportLine",
    "DemoStripeAccount",
    "DemoStripeCheckout",
    "DuplicateCharge",
    "LedgerEntry",
    "PaymentCounters",
    "PaymentRequest",
    "Payout",
    "PayoutLine",
    "PayoutNotification",
    "Refund",
    "RepairOrder",
    "StripeReportRun",
    "WebhookEvent",
    "display_number",
]
