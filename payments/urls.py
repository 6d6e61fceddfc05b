from django.urls import path

from payments import payout_views, views

urlpatterns = [
    path("payments/", views.payment_list, name="payment_list"),
    path(
        "payments/export.csv",
        views.payment_export,
        {"fmt": "csv"},
        name="payment_export_csv",
    ),
    path(
        "payments/export.xlsx",
        views.payment_export,
        {"fmt": "xlsx"},
        name="payment_export_xlsx",
    ),
    path("payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/post/", views.payment_post, name="payment_post"),
    path("payments/<int:pk>/unpost/", views.payment_unpost, name="payment_unpost"),
    path("admin/", views.admin_tab, name="admin_tab"),
    path("admin/stripe/connect/", views.stripe_connect, name="stripe_connect"),
    path("admin/stripe/return/", views.stripe_return, name="stripe_return"),
    path("admin/stripe/refresh/", views.stripe_refresh, name="stripe_refresh"),
    path("admin/stripe/dashboard/", views.stripe_dashboard, name="stripe_dashboard"),
    path("admin/stripe/checklist/", views.stripe_checklist, name="stripe_checklist"),
    path("admin/payouts/", payout_views.payout_settings, name="payout_settings"),
]
