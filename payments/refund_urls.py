"""Refunds (F7), beside the Payments tab's own URLs; tests/payments/test_refunds.py holds
their role and tenancy table."""

from django.urls import path

from payments import refund_views

urlpatterns = [
    path("payments/<int:pk>/refund/", refund_views.payment_refund, name="payment_refund"),
]
