"""How a payment's status reads on every page: one status → badge table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _lazy

from payments.models import PaymentRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STATUS_BADGES: dict[str, tuple[StrOrPromise, str]] = {
    PaymentRequest.Status.PAID: (_lazy("Paid"), "text-bg-success"),
    PaymentRequest.Status.REFUNDED: (_lazy("Refunded"), "text-bg-secondary"),
    PaymentRequest.Status.DISPUTED: (_lazy("Disputed"), "text-bg-danger"),
    PaymentRequest.Status.OPEN: (_lazy("Unpaid"), "text-bg-light border"),
    PaymentRequest.Status.CANCELLED: (_lazy("Cancelled"), "text-bg-light border"),
}
