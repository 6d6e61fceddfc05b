"""The one gate: which organization a request works in, as whom, and what it may do.

``organization_view`` resolves the organization from the URL and the user's membership in
one query, answers 404 to anyone who is not a member (the organization might as well not
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
from teams.roles import Capability, has_capability

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
    user: User


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, for a view that needs one (LoginRequiredMiddleware sends everyone
    else to sign in before any view without ``login_not_required``): 404 otherwise."""
    if not isinstance(request.user, User):
        raise Http404
    return request.user


def membership_for(request: HttpRequest, slug: str) -> Membership:
    if not request.user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(organization__slug=slug, user_id=request.user.pk)
        .first()
    )
    if membership is None:
        raise Http404("No such organization.")
    return membership


def organization_request(request: HttpRequest, membership: Membership) -> OrganizationRequest:
    """``request`` as the organization view sees it: the one place the attributes are set."""
    typed = cast(OrganizationRequest, request)
    typed.membership = membership
    typed.organization = membership.organization
    return typed


def require(request: OrganizationRequest, capability: Capability, team: Team | None = None) -> None:
    """Raise 403 unless the request's member holds ``capability`` (for ``team``)."""
    if not has_capability(request.membership, capability, team):
        raise PermissionDenied


def can(request: HttpRequest, capability: Capability, team: Team | None = None) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and has_capability(membership, capability, team)


def organization_view(
    capability: Capability | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorate a view whose URL has ``<slug:org>``; the view gets the request without it, as
    an ``OrganizationRequest``."""

    def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> Response:
            typed = organization_request(request, membership_for(request, org))
            if typed.session.get(SESSION_KEY) != org:
                typed.session[SESSION_KEY] = org
            if capability is not None:
                require(typed, capability)
            return view(typed, *args, **kwargs)

        return wrapper

    return decorator
