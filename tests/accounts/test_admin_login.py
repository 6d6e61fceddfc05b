"""The Django admin: its login is allauth's, with allauth's lockout, and
it opens only for active staff users, with two-factor on where ADMIN_REQUIRE_MFA says so."""

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from tests.factories import PASSWORD, UserFactory

ADMIN = "/django-admin/"
ADMIN_LOGIN = "/django-admin/login/"
LOGIN = "/accounts/login/"


@pytest.fixture
def staff(db):
    return UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)


def with_authenticator(user):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def test_the_admin_login_page_is_the_products_login(client, staff):
    response = client.get(ADMIN_LOGIN)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_the_admin_login_form_cannot_be_posted_to_past_the_lockout(client, staff):
    """60 wrong passwords then the right one, on /django-admin/login/: nobody is signed in."""
    for _ in range(60):
        client.post(ADMIN_LOGIN, {"username": staff.email, "password": "wrong"})
    response = client.post(ADMIN_LOGIN, {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_for_a_staff_user_hit_allauths_lockout(client, staff):
    for _ in range(5):
        client.post(LOGIN, {"login": staff.email, "password": "wrong"})
    response = client.post(LOGIN, {"login": staff.email, "password": PASSWORD})
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_people_who_are_not_staff_get_403(client, db):
    person = UserFactory(email="advisor@example.com")
    client.force_login(person)
    assert client.get(ADMIN, follow=True).status_code == 403


def test_staff_without_two_factor_are_refused_where_it_is_required(settings, staff):
    settings.ADMIN_REQUIRE_MFA = True
    client = Client()
    client.force_login(staff)
    response = client.get(ADMIN, follow=True)
    assert response.status_code == 403
    assert b"Turn on two-factor authentication first" in response.content
    assert client.get("/django-admin/teams/organization/").status_code == 302  # every page


def test_staff_with_two_factor_open_the_admin(settings, staff):
    settings.ADMIN_REQUIRE_MFA = True
    client = Client()
    client.force_login(with_authenticator(staff))
    assert client.get(ADMIN).status_code == 200


def test_without_the_requirement_staff_open_the_admin(staff):
    client = Client()
    client.force_login(staff)
    assert client.get(ADMIN).status_code == 200
