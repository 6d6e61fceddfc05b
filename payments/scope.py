"""Which payments a member sees: every selector of payment rows goes through
``payments_scoped`` (the organization, then the teams the member sees payments of)."""

from __future__ import annotations

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
