"""Sensitive actions ask for the password again when the last check is older than five minutes."""

import pytest

from teams.roles import Role
from tests.factories import PASSWORD, MembershipFactory
from tests.helpers import age_password_check


@pytest.fixture
def signed_in_admin(client, organization, admin_membership):
    client.post("/accounts/login/", {"login": admin_membership.user.email, "password": PASSWORD})
    return client


@pytest.fixture
def advisor(organization):
    return MembershipFactory(organization=organization, role=Role.ADVISOR)


def role_url(organization, membership):
    return f"/o/{organization.slug}/manage/members/{membership.pk}/role/"


def test_role_change_right_after_sign_in_needs_no_second_password(
    signed_in_admin, organization, advisor
):
    response = signed_in_admin.post(role_url(organization, advisor), {"role": Role.MANAGER})
    assert response.status_code == 302
    advisor.refresh_from_db()
    assert advisor.role == Role.MANAGER


def test_old_password_check_asks_again_then_replays_the_change(
    signed_in_admin, organization, advisor
):
    age_password_check(signed_in_admin, 10 * 60)

    response = signed_in_admin.post(role_url(organization, advisor), {"role": Role.MANAGER})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    advisor.refresh_from_db()
    assert advisor.role == Role.ADVISOR  # nothing changed yet

    wrong = signed_in_admin.post(response["Location"], {"password": "not-it"})
    assert wrong.status_code == 200
    advisor.refresh_from_db()
    assert advisor.role == Role.ADVISOR

    signed_in_admin.post(response["Location"], {"password": PASSWORD})
    advisor.refresh_from_db()
    assert advisor.role == Role.MANAGER  # the interrupted POST was replayed


def test_old_password_check_sends_an_htmx_request_to_the_confirmation_page(
    signed_in_admin, organization, advisor
):
    age_password_check(signed_in_admin, 10 * 60)
    manage = f"http://testserver/o/{organization.slug}/manage/"

    response = signed_in_admin.post(
        role_url(organization, advisor),
        {"role": Role.MANAGER},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=manage,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == (
        f"/accounts/reauthenticate/?next=%2Fo%2F{organization.slug}%2Fmanage%2F"
    )
    advisor.refresh_from_db()
    assert advisor.role == Role.ADVISOR


def test_password_check_within_the_timeout_is_recent(signed_in_admin, organization, advisor):
    age_password_check(signed_in_admin, 4 * 60)
    signed_in_admin.post(role_url(organization, advisor), {"role": Role.MANAGER})
    advisor.refresh_from_db()
    assert advisor.role == Role.MANAGER


def test_the_confirmation_page_says_what_the_password_is_for(signed_in_admin, organization):
    """Issue 14: not only "Confirm Access". A page whose action is not named (no next page,
    or one that names none) gets the general sentence; the Manage page an htmx role change
    comes back to names its actions (tests/accounts/test_reauthentication_purposes.py)."""
    general = "Enter your password again to continue: this action needs a recent sign-in."
    for query in ("", "?next=/accounts/password/change/", "?next=/no/such/page/"):
        html = signed_in_admin.get(f"/accounts/reauthenticate/{query}").content.decode()
        assert f'id="reauthentication-purpose">{general}</p>' in html, query
