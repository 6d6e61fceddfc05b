"""Which payments a member sees, what they may do with one, and how pages of them are cut.

Every selector of payment rows goes through ``payments_scoped`` (the organization, then the
teams the member sees payments of). A view acting on one payment takes it from
``payment_for``: 404 outside what the member sees (another organization, another team's
payment), 403 to a member who sees it without the capability for its team. ``payment_allows``
is the same rule as a yes or no, for the pages that offer the action. Every keyset page goes
through ``keyset_after``."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from payments.models import PaymentRequest, Payout
from teams.access import has_capability, payment_teams_seen, sees_payments_of
from teams.models import Membership, Organization
from teams.roles import Capability

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


def keyset_after(
    at: datetime, pk: int, *, newest_first: bool = True, field: str = "created_at"
) -> Q:
    """The rows after position (``at``, ``pk``) in (``field``, id) order, newest first (the
    Payments list, by paid or requested time) or oldest first (the reminders). The bound on
    the time alone is what lets PostgreSQL start the index scan at the position instead of
    filtering every row before it (an OR alone is not an index condition)."""
    if newest_first:
        return Q(**{f"{field}__lte": at}) & (Q(**{f"{field}__lt": at}) | Q(pk__lt=pk))
    return Q(**{f"{field}__gte": at}) & (Q(**{f"{field}__gt": at}) | Q(pk__gt=pk))


def payment_allows(membership: Membership, payment: PaymentRequest, capability: Capability) -> bool:
    """Whether the member sees ``payment`` and holds ``capability`` for its team."""
    return (
        payment.organization_id == membership.organization_id
        and sees_payments_of(membership, payment.team_id)
        and has_capability(membership, capability, payment.team)
    )


def payment_for(
    *,
    membership: Membership,
    pk: int,
    capability: Capability,
    queryset: QuerySet[PaymentRequest] | None = None,
) -> PaymentRequest:
    """The payment ``pk`` of ``queryset`` (default: every payment) that the member acts on
    with ``capability``: 404 when they do not see it, 403 when they may not do that to it."""
    every = PaymentRequest.objects.all() if queryset is None else queryset
    payment = get_object_or_404(payments_scoped(every, membership=membership), pk=pk)
    if not payment_allows(membership, payment, capability):
        raise PermissionDenied
    return payment


def payout_for(*, membership: Membership, pk: int) -> Payout:
    """The organization's payout ``pk`` (404 for another organization's). Payouts mix teams:
    what of it a member sees is decided line by line (``payment_teams_seen``)."""
    return get_object_or_404(
        Payout.objects.filter(organization_id=membership.organization_id), pk=pk
    )
