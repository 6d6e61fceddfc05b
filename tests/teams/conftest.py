"""Helpers for the teams tests: signing in through the real login form."""

import pytest

from tests.factories import PASSWORD


@pytest.fixture
def sign_in():
    """Sign ``user`` in through allauth's login form, as a person would.

    Unlike ``client.force_login``, this records the password check in the session, which the
    reauthentication guard (accounts/decorators.py) of role changes and removals requires.
    """

    def _sign_in(client, user):
        response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
        assert response.status_code == 302, "the login form refused the test user"
        assert not response["Location"].startswith("/accounts/login/")
        return client

    return _sign_in
