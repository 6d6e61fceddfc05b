"""Roles are data: each role maps to a set of capabilities.

Code asks ``teams.access.has_capability(membership, Capability.X, team=...)``, where every
permission is decided; it never compares role names.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    ADMIN = "admin", pgettext_lazy("role", "Admin")  # the Admin tab is ("tab", "Admin")
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
    # change a repair order's total once something of it was paid (never below what was paid)
    CHANGE_PAID_REPAIR_ORDER = "change_paid_repair_order"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.MANAGER: frozenset(
        {
            Capability.VIEW_PAYMENTS,
            Capability.REFUND_PAYMENT,
            Capability.POST_TO_DBS,
            Capability.SEND_PAYMENT_REQUEST,
            Capability.VIEW_EVERY_TEAMS_TICKETS,
            Capability.CHANGE_PAID_REPAIR_ORDER,
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
        Capability.CHANGE_PAID_REPAIR_ORDER,
    }
)
# Capabilities that need the team itself to take payments, whoever asks.
NEEDS_PAYMENTS_TEAM: frozenset[Capability] = frozenset({Capability.SEND_PAYMENT_REQUEST})

# Roles an admin may give through an invitation (admins are promoted from the members list).
INVITABLE_ROLES = (Role.MANAGER, Role.ADVISOR)
