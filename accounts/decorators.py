"""The reauthentication helper: sensitive actions (role changes, refunds, payout settings) ask
for the password again when the last password check of this session, at sign-in or a later
confirmation, is older than ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` seconds (five minutes).

For a plain form post, django-allauth shows the confirmation page, keeps the interrupted POST and
replays it after. An htmx request is sent to the confirmation page instead, coming back to the
page it was made from, where the person repeats the action.

The confirmation page says what the password is for: a view names its action with
``reauthentication_purpose`` ("Enter your password to refund R-000123 ($482.50)."), resolved
from the page's ``next`` URL; any other page gets a general sentence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from allauth.account import app_settings
from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.login import get_authentication_records
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

PURPOSE = "reauthentication_purpose"  # the attribute a view's action is named by


def password_checked_recently(request: HttpRequest) -> bool:
    """Whether this session proved the user's password (or second factor) recently."""
    records = get_authentication_records(request, request.user)
    times = [r["at"] for r in records if r.get("method") in ("password", "mfa") and "at" in r]
    return bool(times) and time.time() - max(times) < app_settings.REAUTHENTICATION_TIMEOUT


def recent_password_required(view_func):
    """Let GETs through; before anything else, ask for the password if the last check is old."""
    guarded = reauthentication_required(
        view_func, allow_get=True, enabled=lambda request: not password_checked_recently(request)
    )

    @wraps(view_func)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        htmx = getattr(request, "htmx", None)
        if htmx and request.method != "GET" and not password_checked_recently(request):
            back = htmx.current_url_abs_path or "/"
            query = urlencode({"next": back})
            return HttpResponseClientRedirect(f"{reverse('account_reauthenticate')}?{query}")
        return guarded(request, *args, **kwargs)

    return wrapper


def reauthentication_purpose(describe: Callable[..., str | None]):
    """Name the action a view asks the password again for, on the confirmation page. The view
    is the one its URL resolves to (put this decorator outermost); ``describe(request, *args,
    **kwargs)`` gets the confirmation page's request and the URL's arguments and answers the
    sentence ("Enter your password to refund R-000123 ($482.50)."), or None for the general
    one. It raises Http404 or PermissionDenied, as the view would, for what the person may not
    see: the page then says nothing of it."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, PURPOSE, describe)
        return view

    return decorator


def reauthentication_sentence(request: HttpRequest, next_url: str | None) -> str:
    """What the confirmation page says the password is for: the action of the view ``next_url``
    resolves to, when that view names it, else the general sentence."""
    general = _("Enter your password again to continue: this action needs a recent sign-in.")
    if not next_url:
        return general
    try:
        match = resolve(urlsplit(next_url).path)
    except Resolver404:
        return general
    describe = getattr(match.func, PURPOSE, None)
    if describe is None:
        return general
    try:
        return describe(request, *match.args, **match.kwargs) or general
    except (Http404, PermissionDenied, ObjectDoesNotExist, ValueError):
        return general
