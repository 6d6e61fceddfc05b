"""Refunds (F7), beside the Payments tab's own URLs."""

from django.urls import path

from payments.refunds import views

urlpatterns = [
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment_refund"),
]
