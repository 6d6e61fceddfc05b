"""Payouts: the list and what each contains."""

from django.urls import path

from payments.payouts import views

urlpatterns = [
    path("payouts/", views.payout_list, name="payout_list"),
    path("payouts/<int:pk>/", views.payout_detail, name="payout_detail"),
    path("payouts/<int:pk>/refresh/", views.payout_refresh, name="payout_refresh"),
]
