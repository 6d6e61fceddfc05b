"""The advisor's side of payment requests (F4): the panel on the ticket page, request,
cancel and resend.

The panel is an htmx partial. The ticket page loads it (and would poll it every 5 s): the
first answer is 286, which tells htmx to stop that polling, so a form being typed in is
never replaced; inside, only the list of requests polls itself."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.formats import format_money
from accounts.forms import add_errors
from payments.badges import request_badge
from payments.models import PaymentRequest, RepairOrder
from payments.requests import checkout as requests_checkout
from payments.requests import repair_orders
from payments.requests import services as requests_services
from payments.requests.forms import PaymentRequestForm, RepairOrderForm
from payments.scope import payment_for, payments_scoped
from teams.access import OrganizationRequest, organization_view
from teams.models import Membership
from teams.roles import Capability
from tickets.models import Ticket
from tickets.selectors import ticket_get

STOP_POLLING = 286  # htmx: swap this answer and stop polling the element that asked
CONVERSATION_CHANGED = "conversation-changed"  # templates/tickets/ticket_detail.html listens


def _rows(ticket: Ticket, membership: Membership) -> list[dict[str, Any]]:
    """The ticket's requests the member may see: none of a team whose payments they don't."""
    rows = []
    payments = (
        payments_scoped(PaymentRequest.objects.filter(ticket=ticket), membership=membership)
        .select_related("sms", "created_by")
        .order_by("-created_at", "-pk")
    )
    for payment in payments:
        label, tone = request_badge(payment)
        rows.append(
            {
                "payment": payment,
                "badge": label,
                "tone": tone,
                "amount": format_money(payment.amount_cents, payment.currency),
                "fee": format_money(payment.fee_cents, payment.currency),
                "net": format_money(payment.dealership_net_cents, payment.currency),
                "paid_at": payment.paid_at,
                "link": requests_services.payment_request_link(payment),
                "open": payment.status == PaymentRequest.Status.OPEN,
            }
        )
    return rows


def _orders(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's repair orders with their balances (a constant number of queries)."""
    orders = repair_orders.repair_orders_of(ticket)
    balances = repair_orders.repair_order_balances(orders)
    return [{"order": order, "balance": balances[order.pk]} for order in orders]


def _request_form(
    request: OrganizationRequest, orders: list[dict[str, Any]], data=None
) -> PaymentRequestForm:
    open_orders = {
        row["order"].pk: (row["order"], row["balance"])
        for row in orders
        if row["order"].status == RepairOrder.Status.OPEN
    }
    return PaymentRequestForm(
        data, currency=request.organization.currency or "usd", orders=open_orders
    )


def _panel(
    request: OrganizationRequest,
    ticket: Ticket,
    *,
    form: PaymentRequestForm | None = None,
    order_form: RepairOrderForm | None = None,
    status: int = 200,
    error: str = "",
    notice: str = "",
    part: str = "",
) -> HttpResponse:
    organization = request.organization
    membership = request.membership
    reason = requests_services.payment_request_unavailable(ticket=ticket, membership=membership)
    zone = organization.time_zone
    orders = _orders(ticket) if part != "list" else []
    context = {
        "ticket": ticket,
        "organization": organization,
        "rows": _rows(ticket, membership),
        "orders": orders,
        "unavailable": reason,
        "form": form or _request_form(request, orders),
        "form_open": form is not None and form.is_bound and bool(form.errors),
        "order_form": order_form or RepairOrderForm(currency=organization.currency or "usd"),
        "order_form_open": order_form is not None and bool(order_form.errors),
        "error": error,
        "notice": notice,
        "opted_out": ticket.customer.opted_out,
        "currency": (organization.currency or "usd").upper(),
        "zone_name": str(getattr(zone, "key", zone)),
    }
    template = "payments/requests/_list.html" if part == "list" else "payments/requests/_panel.html"
    return render(request, template, context, status=status)


def _ticket(request: OrganizationRequest, pk: int) -> Ticket:
    return ticket_get(
        organization=request.organization,
        membership=request.membership,
        pk=pk,
    )


@organization_view()
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_payment_requests(request: OrganizationRequest, pk: int) -> HttpResponse:
    """GET: the panel (or just its list, ``?part=list``). POST: request a payment."""
    ticket = _ticket(request, pk)
    if request.method != "POST":
        part = request.GET.get("part", "")
        polling_container = request.headers.get("HX-Request") == "true" and part != "list"
        return _panel(request, ticket, part=part, status=STOP_POLLING if polling_container else 200)
    form = _request_form(request, _orders(ticket), request.POST)
    if not form.is_valid():
        return _panel(request, ticket, form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        created = requests_services.payment_request_create(
            ticket=ticket,
            actor=request.user,
            amount_cents=form.cleaned_data["amount"],
            description=form.cleaned_data["description"],
            reference=form.cleaned_data["reference"],
            submission_key=form.cleaned_data["submission"],
            repair_order=form.cleaned_data["repair_order"],
        )
    except ValidationError as exc:
        add_errors(form, exc)
        return _panel(request, ticket, form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    amount = format_money(created.amount_cents, created.currency)
    notice = (
        _("Requested %(amount)s: texted to the customer.") % {"amount": amount}
        if created.sms_id
        else _("Request created. The customer replied STOP: copy the link below and share it.")
    )
    return _done(request, ticket, notice)


@organization_view()
@require_POST
def ticket_repair_orders(request: OrganizationRequest, pk: int) -> HttpResponse:
    """Open a repair order on the ticket (who may request payments there may)."""
    ticket = _ticket(request, pk)
    reason = requests_services.payment_request_unavailable(
        ticket=ticket, membership=request.membership
    )
    if reason:
        return _panel(request, ticket, error=reason, status=HTTPStatus.FORBIDDEN)
    form = RepairOrderForm(request.POST, currency=request.organization.currency or "usd")
    if form.is_valid():
        try:
            order = repair_orders.repair_order_create(
                ticket=ticket,
                actor=request.user,
                number=form.cleaned_data["number"],
                total_cents=form.cleaned_data["total"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            notice = _("Repair order %(order)s opened for %(amount)s.") % {
                "order": order,
                "amount": format_money(order.total_cents, order.currency),
            }
            return _done(request, ticket, notice)
    return _panel(request, ticket, order_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)


def _done(request: OrganizationRequest, ticket: Ticket, notice: str) -> HttpResponse:
    """htmx swaps the panel in place; a plain form post goes back to the ticket page."""
    if request.headers.get("HX-Request") == "true":
        # The conversation shows the text at once, not at its next poll.
        return trigger_client_event(_panel(request, ticket, notice=notice), CONVERSATION_CHANGED)
    flash.success(request, notice)
    return redirect("ticket_detail", org=ticket.organization.slug, pk=ticket.pk)


def _payment_request(request: OrganizationRequest, ticket: Ticket, pk: int) -> PaymentRequest:
    """The ticket's request ``pk`` for cancel or resend: 404 when the member does not see it,
    403 when they may not send requests for its team."""
    return payment_for(
        membership=request.membership,
        pk=pk,
        capability=Capability.SEND_PAYMENT_REQUEST,
        queryset=PaymentRequest.objects.filter(ticket=ticket).select_related("team"),
    )


@organization_view()
@require_POST
def payment_request_cancel(request: OrganizationRequest, ticket_pk: int, pk: int) -> HttpResponse:
    return _act(
        request,
        ticket_pk,
        pk,
        requests_checkout.payment_request_cancel,
        _("%(number)s cancelled: the link now says so."),
    )


@organization_view()
@require_POST
def payment_request_resend(request: OrganizationRequest, ticket_pk: int, pk: int) -> HttpResponse:
    return _act(
        request,
        ticket_pk,
        pk,
        requests_services.payment_request_resend,
        _("%(number)s texted again (same link)."),
    )


def _act(
    request: OrganizationRequest,
    ticket_pk: int,
    pk: int,
    service: Callable[..., PaymentRequest],
    done: str,
) -> HttpResponse:
    """Do ``service`` to the ticket's request ``pk``: the panel again with the reason when it
    refuses (422), else the panel saying ``done``."""
    ticket = _ticket(request, ticket_pk)
    payment = _payment_request(request, ticket, pk)
    try:
        service(payment_request=payment, actor=request.user)
    except ValidationError as exc:
        return _panel(
            request, ticket, error=" ".join(exc.messages), status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    return _done(request, ticket, done % {"number": payment.display_number})
