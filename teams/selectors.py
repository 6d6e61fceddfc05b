"""Reads of tenant data. Every function takes ``organization=``: nothing here crosses tenants."""

from __future__ import annotations

import hashlib

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from teams.models import AuditLog, Invitation, Membership, Organization, Team


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def membership_list(*, organization: Organization) -> QuerySet[Membership]:
    """Members with their user and teams: two queries whatever the number of members."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .prefetch_related(
            Prefetch("teams", queryset=Team.objects.only("pk", "name", "organization"))
        )
        .order_by("user__full_name", "user__email")
    )


def membership_get(*, organization: Organization, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.filter(organization=organization).select_related("user"), pk=pk
    )


def team_list(*, organization: Organization) -> QuerySet[Team]:
    return Team.objects.filter(organization=organization).annotate(member_count=Count("members"))


def team_get(*, organization: Organization, pk: int) -> Team:
    return get_object_or_404(Team.objects.filter(organization=organization), pk=pk)


def team_members(*, team: Team) -> QuerySet[Membership]:
    return team.members.select_related("user").order_by("user__full_name", "user__email")


def invitation_list_open(*, organization: Organization) -> QuerySet[Invitation]:
    """Invitations not yet accepted or revoked (expired ones included: they can be resent)."""
    return (
        Invitation.objects.filter(
            organization=organization, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .prefetch_related(
            Prefetch("teams", queryset=Team.objects.only("pk", "name", "organization"))
        )
        .order_by("-created_at")
    )


def invitation_get(*, organization: Organization, pk: int) -> Invitation:
    return get_object_or_404(Invitation.objects.filter(organization=organization), pk=pk)


def invitation_by_token(*, token: str) -> Invitation | None:
    """The invitation a link's token opens (any status), or None. The only cross-tenant read:
    the token itself is the proof of access."""
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .prefetch_related("teams")
        .filter(token_hash=token_hash(token))
        .first()
    )


def audit_list(*, organization: Organization, limit: int = 50) -> QuerySet[AuditLog]:
    return AuditLog.objects.filter(organization=organization).select_related("actor")[:limit]


def is_member(*, organization: Organization, email: str) -> bool:
    return Membership.objects.filter(organization=organization, user__email__iexact=email).exists()


def open_invitation_exists(*, organization: Organization, email: str) -> bool:
    return Invitation.objects.filter(
        Q(organization=organization, email__iexact=email),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).exists()


def pending_invitation_count(*, organization: Organization) -> int:
    return Invitation.objects.filter(
        organization=organization,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).count()


def user_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first()
