"""The one gate: which organization a request works in, as whom, and what it may do.

``organization_view`` resolves the organization from the URL and the user's membership in
one query (reading all of the user's memberships, which the menu's organization switcher
lists too), answers 404 to anyone who is not a member (the organization might as well not
exist), 403 to a member without the capability, and sets ``request.organization`` and
``request.membership``: the view gets an ``OrganizationRequest``. Views that decide per
object call ``require``, or a part's helper built on it (``payments.scope.payment_for``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from teams.models import Membership, Organization, Team
from teams.roles import NEEDS_PAYMENTS_TEAM, ROLE_CAPABILITIES, TEAM_SCOPED, Capability, Role

SESSION_KEY = "organization"

Response = TypeVar("Response", bound=HttpResponseBase)


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (its documented typing pattern)."""

    htmx: HtmxDetails


class OrganizationRequest(HtmxHttpRequest):
    """The request of an organization view, as ``organization_view`` hands it over: a signed-in
    user, their membership and its organization."""

    organization: Organization
    membership: Membership
    memberships: list[Membership]  # all of the user's, by organization name (the switcher)
    user: User


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, for a view that needs one (LoginRequiredMiddleware sends everyone
    else to sign in before any view without ``login_not_required``): 404 otherwise."""
    if not isinstance(request.user, User):
        raise Http404
    return request.user


def memberships_of(user: User) -> list[Membership]:
    """The user's memberships with their organizations, by organization name (one query)."""
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name", "pk")
    )
    for membership in memberships:
        membership.user = user
    return memberships


def organization_request(request: HttpRequest, slug: str) -> OrganizationRequest:
    """``request`` as the organization view sees it, for the organization ``slug`` (404 unless
    the user is a member): the one place the attributes are set."""
    user = signed_in_user(request)
    memberships = memberships_of(user)
    membership = next((m for m in memberships if m.organization.slug == slug), None)
    if membership is None:
        raise Http404("No such organization.")
    typed = cast(OrganizationRequest, request)
    typed.membership = membership
    typed.memberships = memberships
    typed.organization = membership.organization
    return typed


def require(request: OrganizationRequest, capability: Capability, team: Team | None = None) -> None:
    """Raise 403 unless the request's member holds ``capability`` (for ``team``)."""
    if not has_capability(request.membership, capability, team):
        raise PermissionDenied


def organization_view(
    capability: Capability | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorate a view whose URL has ``<slug:org>``; the view gets the request without it, as
    an ``OrganizationRequest``."""

    def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> Response:
            typed = organization_request(request, org)
            if typed.session.get(SESSION_KEY) != org:
                typed.session[SESSION_KEY] = org
            if capability is not None:
                require(typed, capability)
            return view(typed, *args, **kwargs)

        return wrapper

    return decorator


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
    every = Team.objects.filter(organization_id=membership.organization_id, payments_enabled=True)
    return set(every.values_list("pk", flat=True)) <= seen
