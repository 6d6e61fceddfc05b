"""The reauthentication helper: money and payout actions ask for the password again when the
last check is older than ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` seconds (five minutes by default).

django-allauth keeps the interrupted POST and replays it once the password is confirmed.
"""

from allauth.account.decorators import reauthentication_required


def recent_password_required(view_func):
    """Let GETs through; ask for the password again before a POST if the last check is old."""
    return reauthentication_required(view_func, allow_get=True)
