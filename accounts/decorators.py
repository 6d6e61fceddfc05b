"""The reauthentication helper: sensitive actions (role changes, refunds, payout settings) ask
for the password again when the last password check of this session, at sign-in or a later
confirmation, is older than ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` seconds (five minutes).

For a plain form post, django-allauth shows the confirmation page, keeps the interrupted POST and
replays it after. An htmx request is sent to the confirmation page instead, coming back to the
page it was made from, where the person repeats the action.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from allauth.account import app_settings
from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.login import get_authentication_records
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect


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
