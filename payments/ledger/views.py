"""The Payments tab (F6): the list, its totals and exports, and each payment's page."""

from __future__ import annotations

from datetime import UTC
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import User
from accounts.times import SHORT, local_time
from payments import scope
from payments.badges import status_badge
from payments.ledger import export as ledger_export
from payments.ledger import selectors as ledger_selectors
from payments.ledger import services as ledger_services
from payments.ledger.forms import PaymentFilterForm
from payments.models import PaymentRequest, display_number
from payments.money import format_money
from payments.refunds.services import may_refund
from payments.scope import COLLECTED_STATUSES
from payments.timeline import TIMELINE_LABELS
from teams.access import OrganizationRequest, organization_view, payment_teams_seen
from teams.models import Team
from teams.roles import Capability
from tickets.models import TimelineEntry


def _filter_form(request: OrganizationRequest) -> PaymentFilterForm:
    organization = request.organization
    membership = request.membership
    teams = Team.objects.filter(organization=organization).order_by("name")
    advisors = User.objects.filter(memberships__organization=organization)
    seen = payment_teams_seen(membership)
    if seen is not None:  # the people of the member's own teams
        teams = teams.filter(pk__in=seen)
        advisors = advisors.filter(memberships__teams__in=seen).distinct()
    advisors = advisors.order_by("full_name", "email").only("pk", "full_name", "email")
    return PaymentFilterForm(request.GET, teams=list(teams), advisors=list(advisors))


def _selection(
    request: OrganizationRequest, filters: ledger_selectors.PaymentFilters
) -> ledger_selectors.Selection:
    organization = request.organization
    queryset = scope.payments_visible(organization=organization, membership=request.membership)
    return ledger_selectors.payments_filter(queryset, organization=organization, filters=filters)


def _filter_query(request: OrganizationRequest) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    params.pop("part", None)
    return params.urlencode()


def _status(status: str) -> dict:
    label, css = status_badge(status)
    return {"badge": label, "badge_class": css, "collected": status in COLLECTED_STATUSES}


def _row(values: dict[str, Any], zone: ZoneInfo, detail_prefix: str) -> dict[str, Any]:
    """One line of the table, every text ready: the template only prints (a page is 50
    lines, and each tag or filter there costs per line). Money columns are the payment's
    ledger figures within the chosen days; an unpaid request has none."""
    status = values["status"]
    state = _status(status)
    currency = values["currency"]
    figures = ledger_selectors.Figures.from_signed(values["figures"])

    def amount(cents: int) -> str:  # the table's header names the currency
        return format_money(cents, currency).rsplit(" ", 1)[0]

    def out(cents: int) -> str:  # money out of the balance: signed, and a dash for none
        return amount(cents) if cents else "—"

    paid_at, posted_at = values["paid_at"], values["posted_at"]
    phone = values["customer_phone"]
    posted_title = ""
    if posted_at:
        posted_title = f"{values['posted_reference']} · {local_time(posted_at, zone, SHORT)}"
    moved = state["collected"]
    return {
        "pk": values["pk"],
        "url": f"{detail_prefix}{values['pk']}/",
        "number": display_number(values["number"]),
        "iso": paid_at.isoformat() if paid_at else "",
        "utc": paid_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if paid_at else "",
        "when": local_time(paid_at, zone, SHORT) if paid_at else "",
        "requested": local_time(values["created_at"], zone, SHORT),
        "customer": values["customer_name"],
        "phone": PhoneNumber.from_string(phone).as_national if phone else "",
        "team": values["team_name"],
        "advisor": values["advisor_name"] or values["advisor_email"] or "",
        "description": values["description"],
        "reference": values["reference"],
        "status": status,
        **state,
        "asked": format_money(values["amount_cents"], currency),
        "figures": figures,
        "collected": amount(figures.collected) if moved else "—",
        "refunds": out(figures.refunds) if moved else "—",
        "disputes": out(figures.disputes) if moved else "—",
        "fee": amount(figures.fees) if moved else "—",
        "net": amount(figures.net) if moved else "—",
        "posted_title": posted_title,
    }


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_list(request: OrganizationRequest) -> HttpResponse:
    """F6: every payment of the member's teams, filtered, totalled, newest first, in pages.

    The table part refreshes itself every 10 s (htmx) with the same filters."""
    organization = request.organization
    membership = request.membership
    form = _filter_form(request)
    zone = str(organization.time_zone)
    filters = form.filters(zone)
    selection = _selection(request, filters)
    rows, next_cursor = ledger_selectors.payments_page(
        selection, cursor=request.GET.get("cursor", "")
    )
    seen = payment_teams_seen(membership)
    seen_scope = "all" if seen is None else sorted(seen)
    tz = ZoneInfo(zone)
    # payment_detail is payment_list's URL + "<pk>/": one reverse() a page, not one a row
    detail_prefix = reverse("payment_list", args=[organization.slug])
    totals = ledger_selectors.payments_totals_cached(
        selection, organization_id=organization.pk, scope=f"{seen_scope}|{filters!r}|{zone}"
    )
    currency = organization.currency or "usd"
    context = {
        "form": form,
        "options": form.options(),
        "rows": [_row(r, tz, detail_prefix) for r in rows],
        "next_cursor": next_cursor,
        "paged": bool(request.GET.get("cursor")),
        "collected": selection.collected,
        "totals": totals,
        # the cards: the organization's currency, then any other its history holds
        "cards": [
            (c, totals.figures(c)) for c in dict.fromkeys([currency.lower(), *totals.by_currency])
        ],
        "currency": currency,
        "zone_name": zone,
        "filter_query": _filter_query(request),
    }
    template = "payments/payment_list.html"
    if request.htmx and request.GET.get("part") == "table":
        template += "#payment-table"
    return render(request, template, context)


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_export(request: OrganizationRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The filtered set as CSV (streamed) or XLSX (written to a temporary file)."""
    organization = request.organization
    zone = str(organization.time_zone)
    selection = _selection(request, _filter_form(request).filters(zone))
    if fmt == "xlsx":
        return ledger_export.xlsx_response(selection, zone=zone, organization=organization)
    return ledger_export.csv_response(selection, zone=zone, organization=organization)


def _payment_for(request: OrganizationRequest, pk: int, capability: Capability) -> PaymentRequest:
    return scope.payment_for(
        membership=request.membership,
        pk=pk,
        capability=capability,
        queryset=PaymentRequest.objects.select_related(
            "ticket__customer", "team", "created_by", "posted_by", "payout"
        ),
    )


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_detail(request: OrganizationRequest, pk: int) -> HttpResponse:
    payment = _payment_for(request, pk, Capability.VIEW_PAYMENTS)
    return _render_payment(request, payment)


def _render_payment(
    request: OrganizationRequest, payment: PaymentRequest, *, error: str = "", status: int = 200
) -> HttpResponse:

    organization = request.organization
    membership = request.membership
    entries = list(
        TimelineEntry.objects.filter(
            ticket_id=payment.ticket_id,
            kind=TimelineEntry.Kind.EVENT,
            data__payment_request_id=payment.pk,
        )
        .select_related("author")
        .order_by("created_at", "pk")
    )
    timeline = [
        {"entry": e, "label": TIMELINE_LABELS.get(e.event) or e.event_label} for e in entries
    ]
    context = {
        "payment": payment,
        "row": _status(payment.status),
        "amounts": ledger_selectors.payment_amounts(payment),
        "timeline": timeline,
        "zone_name": str(organization.time_zone),
        "receipt_url": reverse("payment_public", kwargs={"token": payment.token}),
        # What the viewer may do here, decided as the views that do it decide.
        "may_post": scope.payment_allows(membership, payment, Capability.POST_TO_DBS),
        "may_refund": may_refund(membership, payment),
        "post_error": error,
        "reference_value": request.POST.get("reference", payment.reference)
        if request.method == "POST"
        else payment.reference,
    }
    return render(request, "payments/payment_detail.html", context, status=status)


@require_POST
@organization_view(Capability.POST_TO_DBS)
def payment_post(request: OrganizationRequest, pk: int) -> HttpResponse:
    """Mark posted to the DBS, with its reference (audited)."""
    payment = _payment_for(request, pk, Capability.POST_TO_DBS)
    try:
        ledger_services.payment_post_to_dbs(
            payment=payment, actor=request.user, reference=request.POST.get("reference", "")
        )
    except ValidationError as error:
        return _render_payment(
            request, payment, error=error.messages[0], status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    messages.success(request, _("Marked posted to the DBS."))
    return redirect("payment_detail", org=request.organization.slug, pk=payment.pk)


@require_POST
@organization_view(Capability.POST_TO_DBS)
def payment_unpost(request: OrganizationRequest, pk: int) -> HttpResponse:
    """Undo "posted to the DBS" (audited)."""
    payment = _payment_for(request, pk, Capability.POST_TO_DBS)
    try:
        ledger_services.payment_unpost(payment=payment, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Posting to the DBS undone."))
    return redirect("payment_detail", org=request.organization.slug, pk=payment.pk)
