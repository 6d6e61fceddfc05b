from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from teams.access import organization_view
from teams.roles import Capability


@organization_view(Capability.VIEW_PAYMENTS)
def payment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/payment_list.html", {})
