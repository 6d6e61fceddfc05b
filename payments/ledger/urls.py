"""The Payments tab (F6)."""

from django.urls import path

from payments.ledger import views

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
]
