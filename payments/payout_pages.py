"""Payouts (flow F8, and reconciliation): the list, and what each payout contains."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.http import require_safe

from payments.models import PaymentRequest, Payout
from teams.access import organization_view
from teams.roles import Capability

PAGE = 50


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payout_list(request: HttpRequest) -> HttpResponse:
    payouts = (
        Payout.objects.filter(organization=request.organization)
        .annotate(payment_count=Count("payments"))
        .order_by("-arrival_date", "-pk")
    )
    before = request.GET.get("before", "")
    if before.isdigit():
        cursor = Payout.objects.filter(organization=request.organization, pk=int(before)).first()
        if cursor is not None:
            payouts = payouts.filter(
                Q(arrival_date__lt=cursor.arrival_date)
                | Q(arrival_date=cursor.arrival_date, pk__lt=cursor.pk)
            )
    page = list(payouts[: PAGE + 1])
    context = {
        "payouts": page[:PAGE],
        "older": page[PAGE - 1].pk if len(page) > PAGE else None,
    }
    return render(request, "payments/payout_list.html", context)


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payout = get_object_or_404(Payout.objects.filter(organization=request.organization), pk=pk)
    payments = (
        PaymentRequest.objects.filter(organization=request.organization, payout=payout)
        .select_related("ticket__customer", "team")
        .order_by("paid_at", "pk")
    )
    zero = 0
    totals = payments.aggregate(
        count=Count("pk"),
        gross=Coalesce(Sum("amount_cents"), zero),
        fees=Coalesce(Sum("fee_cents"), zero),
    )
    kept = totals["gross"] - totals["fees"]
    # Refunds taken from this payout's balance: what the dealership kept minus what arrived.
    other = kept - payout.amount_cents
    context = {
        "payout": payout,
        "payments": payments,
        "totals": totals,
        "kept": kept,
        "other": other,
        "other_abs": abs(other),
    }
    return render(request, "payments/payout_detail.html", context)


urlpatterns = [
    path("payouts/", payout_list, name="payout_list"),
    path("payouts/<int:pk>/", payout_detail, name="payout_detail"),
]
