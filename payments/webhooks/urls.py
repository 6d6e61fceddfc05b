"""Stripe's two webhook endpoints: the platform's events and the connected accounts'."""

from django.urls import path

from payments.webhooks import views

urlpatterns = [
    path("", views.stripe_platform, name="stripe_webhook"),
    path("connect/", views.stripe_connect, name="stripe_webhook_connect"),
]
