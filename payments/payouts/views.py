"""Payouts (flow F8, and reconciliation): the list, and what each payout contains."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from payments.gateway import GatewayError, gateway_message
from payments.models import PaymentRequest, Payout, PayoutLine
from payments.payouts import services as payouts_services
from payments.payouts.selectors import payout_line_label, payout_reconciliation
from payments.scope import payments_scoped, payout_for
from teams.access import OrganizationRequest, organization_view, payment_teams_seen
from teams.roles import Capability

PAGE = 50


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payout_list(request: OrganizationRequest) -> HttpResponse:
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
def payout_detail(request: OrganizationRequest, pk: int) -> HttpResponse:
    payout = payout_for(membership=request.membership, pk=pk)
    lines = list(payout.lines.select_related("payment").order_by("created", "pk"))
    if lines:
        return _lines_page(request, payout, lines)
    every = PaymentRequest.objects.filter(organization=request.organization, payout=payout)
    payments = (
        payments_scoped(every, membership=request.membership)
        .select_related("ticket__customer", "team")
        .order_by("paid_at", "pk")
    )
    zero = 0
    sums = {
        "count": Count("pk"),
        "gross": Coalesce(Sum("amount_cents"), zero),
        "fees": Coalesce(Sum("fee_cents"), zero),
    }
    totals = every.aggregate(**sums)
    totals["net"] = totals["gross"] - totals["fees"]
    seen = payment_teams_seen(request.membership)
    hidden = every.exclude(team_id__in=seen).aggregate(**sums) if seen is not None else None
    if hidden and hidden["count"]:
        hidden["net"] = hidden["gross"] - hidden["fees"]
    else:
        hidden = None
    # Not read from Stripe yet: its payments are what we know it holds; anything else the
    # payout took (refunds, disputes, fees) shows as the difference, never as a line.
    difference = totals["net"] - payout.amount_cents
    context = {
        "payout": payout,
        "payments": payments,
        "other_teams": hidden,
        "line_totals": totals,
        "difference": difference,
        "difference_abs": abs(difference),
    }
    return render(request, "payments/payout_detail.html", context)


def _lines_page(
    request: OrganizationRequest, payout: Payout, lines: list[PayoutLine]
) -> HttpResponse:
    """The payout as Stripe composed it: one row per balance transaction with its gross, fee
    and net, a subtotal per kind and a total; a total that is not the payout amount is said
    in red. Lines of payments of teams the member does not see are one "Other teams" row."""
    seen = payment_teams_seen(request.membership)
    hidden = [
        line
        for line in lines
        if seen is not None and line.payment is not None and line.payment.team_id not in seen
    ]
    hidden_ids = {line.pk for line in hidden}  # a set: a payout can hold thousands of lines
    other_teams = (
        {
            "count": len(hidden),
            "gross": sum(line.amount_cents for line in hidden),
            "fees": sum(line.fee_cents for line in hidden),
            "net": sum(line.net_cents for line in hidden),
        }
        if hidden
        else None
    )
    for line in lines:
        line.label = payout_line_label(line)  # type: ignore[attr-defined]
    reconciliation = payout_reconciliation(payout=payout, lines=lines)
    context = {
        "payout": payout,
        "lines": [line for line in lines if line.pk not in hidden_ids],
        "other_teams": other_teams,
        "line_kinds": reconciliation["groups"],
        "line_totals": reconciliation["totals"],
        "difference": reconciliation["difference"],
        "difference_abs": reconciliation["difference_abs"],
    }
    return render(request, "payments/payout_detail.html", context)


@require_POST
@organization_view(Capability.VIEW_PAYMENTS)
def payout_refresh(request: OrganizationRequest, pk: int) -> HttpResponse:
    """Read the payout's balance transactions from Stripe again (replaces its lines)."""
    payout = payout_for(membership=request.membership, pk=pk)
    try:
        lines = payouts_services.payout_refresh(payout=payout, actor=request.user)
    except GatewayError as exc:
        messages.error(request, gateway_message(_("Stripe could not be read: %(e)s"), exc))
    else:
        messages.success(
            request, _("Refreshed from Stripe: %(count)d lines.") % {"count": len(lines)}
        )
    return redirect("payout_detail", org=request.organization.slug, pk=payout.pk)
