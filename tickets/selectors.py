"""Reads of tickets. Every function takes ``organization=``; a member who does not see every
team's tickets (teams.roles.sees_every_teams_tickets) sees those of their own teams only."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from teams.access import sees_every_teams_tickets, sees_payments_of
from teams.models import Membership, Organization, Team
from tickets.models import BOOKKEEPING_EVENTS, Customer, TeamNumber, Ticket, TimelineEntry

# Who adds to the conversation's entries what they are about (payments adds each payment
# request's card to the text that carried its link): tickets never imports them.
Attacher = Callable[[Membership, Sequence[TimelineEntry]], None]
_attachers: list[Attacher] = []


def conversation_attacher(attacher: Attacher) -> Attacher:
    """Register ``attacher(membership, entries)``: it sets ``entry.attachment`` (a dict with
    the ``template`` that shows it) on the entries it knows, in a constant number of queries."""
    if attacher not in _attachers:
        _attachers.append(attacher)
    return attacher


def visible_teams(*, membership: Membership) -> QuerySet[Team]:
    """Every team, for a member who sees every team's tickets; otherwise their own teams."""
    teams = Team.objects.filter(organization_id=membership.organization_id)
    if not sees_every_teams_tickets(membership):
        teams = teams.filter(members=membership)
    return teams.order_by("name")


def ticket_list(
    *, organization: Organization, membership: Membership, status: str = "open", limit: int = 100
) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(organization=organization, status=status)
    if not sees_every_teams_tickets(membership):
        tickets = tickets.filter(team__members=membership)
    return tickets.select_related("customer", "team", "advisor__user").order_by(
        "-last_activity_at"
    )[:limit]


def ticket_get(*, organization: Organization, membership: Membership, pk: int) -> Ticket:
    tickets = Ticket.objects.filter(organization=organization).select_related(
        "customer__opt_out_message", "team", "advisor__user", "organization"
    )
    if not sees_every_teams_tickets(membership):
        tickets = tickets.filter(team__members=membership)
    return get_object_or_404(tickets, pk=pk)


def timeline(*, ticket: Ticket, membership: Membership) -> QuerySet[TimelineEntry]:
    """The ticket's conversation and events; payment events only for a member who sees the
    team's payments (teams.roles.sees_payments_of)."""
    entries = TimelineEntry.objects.filter(ticket=ticket).select_related("author", "sms")
    if not sees_payments_of(membership, ticket.team_id):
        entries = entries.exclude(event__startswith="payment_request.")
    return entries


def conversation(*, ticket: Ticket, membership: Membership) -> list[TimelineEntry]:
    """The ticket as the customer and the dealership wrote it: texts both ways, the payment
    requests' texts with their cards, and what the customer did as notes; the dealership's
    bookkeeping (posting to the DBS, who asked for a refund) stays on the payment's page."""
    entries = list(
        timeline(ticket=ticket, membership=membership).exclude(event__in=BOOKKEEPING_EVENTS)
    )
    for attacher in _attachers:
        attacher(membership, entries)
    return entries


def customer_by_phone(*, organization: Organization, phone: str) -> Customer | None:
    return Customer.objects.filter(organization=organization, mobile_phone=phone).first()


def team_by_number(*, number: str) -> Team | None:
    """The team a Twilio number belongs to (the one lookup that starts outside a tenant: the
    number Twilio delivered to decides the organization)."""
    found = TeamNumber.objects.select_related("team__organization").filter(number=number).first()
    return found.team if found else None
