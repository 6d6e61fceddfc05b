"""The demo gateway's stand-ins for Stripe's hosted pages."""

from django.urls import path

from payments.gateway.demo import views

urlpatterns = [
    path("checkout/<str:session_id>/", views.checkout, name="demo_stripe_checkout"),
    path("receipts/<str:charge_id>/", views.receipt, name="demo_stripe_receipt"),
    path(
        "<str:account_id>/onboarding/<str:token>/",
        views.onboarding,
        name="demo_stripe_onboarding",
    ),
    path(
        "<str:account_id>/link-expired/",
        views.onboarding_expired,
        name="demo_stripe_onboarding_expired",
    ),
    path("<str:account_id>/dashboard/", views.dashboard, name="demo_stripe_dashboard"),
]
