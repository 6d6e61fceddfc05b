"""Which payments a member sees, and in which order they are paged: every selector of
payment rows goes through ``payments_scoped`` (the organization, then the teams the member
sees payments of), and every keyset page through ``keyset_after``."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from payments.models import PaymentRequest
from teams.models import Membership, Organization
from teams.roles import payment_teams_seen

COLLECTED_STATUSES = ("paid", "refunded", "disputed")


def payments_visible(
    *, organization: Organization, membership: Membership
) -> QuerySet[PaymentRequest]:
    """Every request of the member's scope that reached Stripe: paid, refunded or disputed,
    and open ones whose Checkout was started. Admins see every team; managers (and anyone
    else holding VIEW_PAYMENTS through a team) only their payments-enabled teams."""
    queryset = PaymentRequest.objects.filter(organization=organization).filter(
        Q(status__in=COLLECTED_STATUSES)
        | Q(status=PaymentRequest.Status.OPEN, checkout_session_id__gt="")
    )
    return payments_scoped(queryset, membership=membership)


def payments_scoped(
    queryset: QuerySet[PaymentRequest], *, membership: Membership
) -> QuerySet[PaymentRequest]:
    queryset = queryset.filter(organization_id=membership.organization_id)
    seen = payment_teams_seen(membership)
    if seen is not None:
        queryset = queryset.filter(team_id__in=seen)
    return queryset


def keyset_after(at: datetime, pk: int, *, newest_first: bool = True) -> Q:
    """The rows after position (``at``, ``pk``) in (created_at, id) order, newest first (the
    Payments list) or oldest first (the reminders). The bound on created_at alone is what
    lets PostgreSQL start the index scan at the position instead of filtering every row
    before it (an OR alone is not an index condition)."""
    if newest_first:
        return Q(created_at__lte=at) & (Q(created_at__lt=at) | Q(pk__lt=pk))
    return Q(created_at__gte=at) & (Q(created_at__gt=at) | Q(pk__gt=pk))
