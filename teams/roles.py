"""Roles are data: each role maps to a set of capabilities, and one function decides.

Code asks ``has_capability(membership, Capability.X, team=...)``; it never compares role names.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from teams.models import Membership, Team


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    ADVISOR = "advisor", _("Advisor")


class Capability(StrEnum):
    CONNECT_PAYMENTS = "connect_payments"
    MANAGE_PAYOUT_SETTINGS = "manage_payout_settings"
    ENABLE_TEAM_PAYMENTS = "enable_team_payments"
    INVITE_MEMBER = "invite_member"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_TEAMS = "manage_teams"
    MANAGE_ORGANIZATION = "manage_organization"
    VIEW_PAYMENTS = "view_payments"
    REFUND_PAYMENT = "refund_payment"
    POST_TO_DBS = "post_to_dbs"  # mark a payment posted to the dealer system, or undo it
    SEND_PAYMENT_REQUEST = "send_payment_request"
    VIEW_EVERY_TEAMS_TICKETS = "view_every_teams_tickets"  # not only those of the own teams


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.MANAGER: frozenset(
        {
            Capability.VIEW_PAYMENTS,
            Capability.REFUND_PAYMENT,
            Capability.POST_TO_DBS,
            Capability.SEND_PAYMENT_REQUEST,
            Capability.VIEW_EVERY_TEAMS_TICKETS,
        }
    ),
    Role.ADVISOR: frozenset({Capability.SEND_PAYMENT_REQUEST}),
}

# Capabilities a non-admin holds only through a team that takes payments.
TEAM_SCOPED: frozenset[Capability] = frozenset(
    {
        Capability.VIEW_PAYMENTS,
        Capability.REFUND_PAYMENT,
        Capability.POST_TO_DBS,
        Capability.SEND_PAYMENT_REQUEST,
    }
)
# Capabilities that need the team itself to take payments, whoever asks.
NEEDS_PAYMENTS_TEAM: frozenset[Capability] = frozenset({Capability.SEND_PAYMENT_REQUEST})

# Roles an admin may give through an invitation (admins are promoted from the members list).
INVITABLE_ROLES = (Role.MANAGER, Role.ADVISOR)


def has_capability(
    membership: Membership, capability: Capability, team: Team | None = None
) -> bool:
    """Whether ``membership`` may do ``capability``, for ``team`` when the action concerns one.

    Admins hold every capability for every team of their organization. Managers and advisors
    hold team-scoped capabilities only for payments-enabled teams they belong to; asked
    without a team, whether they hold it for at least one.
    """
    if capability not in ROLE_CAPABILITIES.get(membership.role, frozenset()):
        return False
    if team is not None:
        if team.organization_id != membership.organization_id:
            return False
        if capability in NEEDS_PAYMENTS_TEAM and not team.payments_enabled:
            return False
    if capability not in TEAM_SCOPED or membership.role == Role.ADMIN:
        return True
    payment_team_ids = membership.payment_team_ids
    if team is None:
        return bool(payment_team_ids)
    return team.pk in payment_team_ids


def capabilities_of(membership: Membership) -> frozenset[Capability]:
    """Every capability the membership holds for at least one team (for menus)."""
    return frozenset(c for c in Capability if has_capability(membership, c))


def payment_teams_seen(membership: Membership) -> frozenset[int] | None:
    """The teams whose payments (amounts, customers, pay links) the member sees: ``None`` for
    every team (admins), otherwise their own payments-enabled teams. The one rule behind the
    Payments tab, payouts' lines, tickets' payment panels and timelines."""
    if membership.role == Role.ADMIN:
        return None
    return membership.payment_team_ids


def sees_payments_of(membership: Membership, team_id: int) -> bool:
    seen = payment_teams_seen(membership)
    return seen is None or team_id in seen


def sees_every_teams_tickets(membership: Membership) -> bool:
    """Whether the member sees the tickets of every team of the organization (admins,
    managers); the others see only the tickets of the teams they belong to."""
    return has_capability(membership, Capability.VIEW_EVERY_TEAMS_TICKETS)


def sees_every_teams_payments(membership: Membership) -> bool:
    """Whether the member sees the payments of every payments-enabled team: what a file of the
    whole Stripe account (Stripe's own reports) needs, since it cannot be cut by team."""
    seen = payment_teams_seen(membership)
    if seen is None:
        return True
    from teams.models import Team

    every = Team.objects.filter(organization_id=membership.organization_id, payments_enabled=True)
    return set(every.values_list("pk", flat=True)) <= seen
