"""Tickets: the customer conversations (HTTP only; tickets.services writes)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.languages import autonym, customer_languages
from teams.access import OrganizationRequest, organization_view
from tickets import selectors, services
from tickets.forms import MessageForm, NewTicketForm
from tickets.models import Ticket

UNPROCESSABLE = 422


@require_safe
@organization_view()
def ticket_list(request: OrganizationRequest) -> HttpResponse:
    status = request.GET.get("status", Ticket.Status.OPEN)
    if status not in Ticket.Status.values:
        status = Ticket.Status.OPEN
    tickets = selectors.ticket_list(
        organization=request.organization, membership=request.membership, status=status
    )
    return render(request, "tickets/ticket_list.html", {"tickets": tickets, "status": status})


@require_http_methods(["GET", "POST"])
@organization_view()
def ticket_new(request: OrganizationRequest) -> HttpResponse:
    teams = selectors.visible_teams(membership=request.membership)
    form = NewTicketForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            customer = services.customer_get_or_create(
                organization=request.organization,
                name=data["name"],
                mobile_phone=data["mobile_phone"],
            )
            ticket = services.ticket_open(
                organization=request.organization,
                team=data["team"],
                customer=customer,
                advisor=request.membership,
                subject=data["subject"],
            )
            if data["body"]:
                services.ticket_send_message(ticket=ticket, actor=request.user, body=data["body"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("ticket_detail", org=request.organization.slug, pk=ticket.pk)
    status = UNPROCESSABLE if form.errors else 200
    return render(request, "tickets/ticket_new.html", {"form": form}, status=status)


def _detail_context(
    request: OrganizationRequest, ticket: Ticket, form: MessageForm | None = None
) -> dict:
    return {
        "ticket": ticket,
        "entries": selectors.conversation(ticket=ticket, membership=request.membership),
        "form": form or MessageForm(),
        "customer_languages": customer_languages(first=request.organization.customer_language),
        "dealership_customer_language": autonym(request.organization.customer_language),
    }


@require_safe
@organization_view()
def ticket_detail(request: OrganizationRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(
        organization=request.organization, membership=request.membership, pk=pk
    )
    template = (
        "tickets/ticket_detail.html#timeline" if request.htmx else "tickets/ticket_detail.html"
    )
    return render(request, template, _detail_context(request, ticket))


@require_POST
@organization_view()
def ticket_message(request: OrganizationRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(
        organization=request.organization, membership=request.membership, pk=pk
    )
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_send_message(
                ticket=ticket, actor=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            form.add_error("body" if hasattr(error, "error_dict") else None, error)
        else:
            if request.htmx:
                return render(
                    request,
                    "tickets/ticket_detail.html#conversation",
                    _detail_context(request, ticket),
                )
            return redirect("ticket_detail", org=request.organization.slug, pk=ticket.pk)
    template = (
        "tickets/ticket_detail.html#conversation" if request.htmx else "tickets/ticket_detail.html"
    )
    return render(request, template, _detail_context(request, ticket, form), status=UNPROCESSABLE)


@require_POST
@organization_view()
def ticket_close(request: OrganizationRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(
        organization=request.organization, membership=request.membership, pk=pk
    )
    services.ticket_close(ticket=ticket, actor=request.user)
    messages.success(request, _("Ticket closed."))
    return redirect("ticket_list", org=request.organization.slug)


@require_POST
@organization_view()
def ticket_customer_language(request: OrganizationRequest, pk: int) -> HttpResponse:
    """The advisor sets the language the customer reads their texts and pages in."""
    ticket = selectors.ticket_get(
        organization=request.organization, membership=request.membership, pk=pk
    )
    try:
        services.customer_set_language(
            customer=ticket.customer, language=request.POST.get("language", "")
        )
    except ValidationError as error:
        return HttpResponseBadRequest(error.messages[0])
    messages.success(request, _("Language saved."))
    return redirect("ticket_detail", org=request.organization.slug, pk=ticket.pk)
