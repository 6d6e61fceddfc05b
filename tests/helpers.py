"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY


def age_password_check(client, seconds):
    """Make the session's last password check ``seconds`` older (reauthentication tests)."""
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()
