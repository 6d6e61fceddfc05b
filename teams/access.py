"""The one gate: which organization a request works in, as whom, and what it may do.

``organization_view`` resolves the organization from the URL and the user's membership in
one query, answers 404 to anyone who is not a member (the organization might as well not
exist), 403 to a member without the capability, and sets ``request.organization`` and
``request.membership``. Views that decide per object call ``require``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from teams.models import Membership, Team
from teams.roles import Capability, has_capability

SESSION_KEY = "organization"


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


def require(request: HttpRequest, capability: Capability, team: Team | None = None) -> None:
    """Raise 403 unless the request's member holds ``capability`` (for ``team``)."""
    if not has_capability(request.membership, capability, team):  # type: ignore[attr-defined]
        raise PermissionDenied


def can(request: HttpRequest, capability: Capability, team: Team | None = None) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and has_capability(membership, capability, team)


def organization_view(
    capability: Capability | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view whose URL has ``<slug:org>``; the view gets the request without it."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = membership_for(request, org)
            request.membership = membership  # type: ignore[attr-defined]
            request.organization = membership.organization  # type: ignore[attr-defined]
            if request.session.get(SESSION_KEY) != org:
                request.session[SESSION_KEY] = org
            if capability is not None:
                require(request, capability)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
