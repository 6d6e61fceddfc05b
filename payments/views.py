from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from teams.access import organization_view
from teams.roles import Capability


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/payment_list.html", {})
