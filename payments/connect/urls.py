"""The Admin tab: the Stripe connection (F0, F1) and payout settings (F8)."""

from django.urls import path

from payments.connect import payout_settings, views

urlpatterns = [
    path("admin/", views.admin_tab, name="admin_tab"),
    path("admin/stripe/connect/", views.stripe_connect, name="stripe_connect"),
    path("admin/stripe/return/", views.stripe_return, name="stripe_return"),
    path("admin/stripe/refresh/", views.stripe_refresh, name="stripe_refresh"),
    path("admin/stripe/dashboard/", views.stripe_dashboard, name="stripe_dashboard"),
    path("admin/stripe/checklist/", views.stripe_checklist, name="stripe_checklist"),
    path("admin/payouts/", payout_settings.payout_settings, name="payout_settings"),
]
