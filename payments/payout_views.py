"""Payout settings (flow F8): schedule, statement descriptor, payout e-mail recipients."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import recent_password_required
from teams.access import organization_view
from teams.roles import Capability


@organization_view(Capability.MANAGE_PAYOUT_SETTINGS)
@recent_password_required
def payout_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/payout_settings.html", {})
