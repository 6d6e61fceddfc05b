"""Local pages of the demo gateway, standing in for Stripe's hosted onboarding and the Express
dashboard. They answer 404 whenever real Stripe keys are configured."""

from __future__ import annotations

urlpatterns = [
    # Filled in by the demo gateway's pages (onboarding, Express dashboard).
]
