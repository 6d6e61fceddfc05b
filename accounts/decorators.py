"""The reauthentication helper: sensitive actions (role changes, refunds, payout settings) ask
for the password again when the last password check of this session, at sign-in or a later
confirmation, is older than ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` seconds (five minutes).

django-allauth shows the confirmation page, keeps the interrupted POST and replays it after.
"""

from __future__ import annotations

import time

from allauth.account import app_settings
from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.login import get_authentication_records
from django.http import HttpRequest


def password_checked_recently(request: HttpRequest) -> bool:
    """Whether this session proved the user's password (or second factor) recently."""
    records = get_authentication_records(request, request.user)
    times = [r["at"] for r in records if r.get("method") in ("password", "mfa") and "at" in r]
    return bool(times) and time.time() - max(times) < app_settings.REAUTHENTICATION_TIMEOUT


def recent_password_required(view_func):
    """Let GETs through; before anything else, ask for the password if the last check is old."""
    return reauthentication_required(
        view_func, allow_get=True, enabled=lambda request: not password_checked_recently(request)
    )
