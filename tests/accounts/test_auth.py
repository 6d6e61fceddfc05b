"""Authentication with django-allauth: e-mail login, rate limits, password reset, MFA."""

import pytest
from django.core import mail
from django.db import IntegrityError

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"


@pytest.fixture
def person(db):
    return UserFactory(email="sam@example.com")


def test_login_with_email_in_any_case(client, person):
    response = client.post(LOGIN, {"login": "SAM@Example.COM", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


def test_login_with_wrong_password_says_so(client, person):
    response = client.post(LOGIN, {"login": "sam@example.com", "password": "wrong"})
    assert response.status_code == 200
    assert b"email address and/or password you specified are not correct" in response.content
    assert "_auth_user_id" not in client.session


def test_login_is_rate_limited_after_repeated_failures(client, person):
    for _ in range(5):
        client.post(LOGIN, {"login": "sam@example.com", "password": "wrong"})
    response = client.post(LOGIN, {"login": "sam@example.com", "password": PASSWORD})
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_behind_the_proxy_a_login_lockout_is_one_persons_not_everyones(settings, person):
    from django.test import Client

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = settings.TRUSTED_PROXY_COUNT = 1
    proxy = "203.0.113.9"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    for n in range(12):  # past the 10 failed logins a minute per address
        attacker.post(LOGIN, {"login": f"nobody{n}@example.com", "password": "wrong"})
    assert (
        b"Too many failed login attempts"
        in attacker.post(LOGIN, {"login": "nobody@example.com", "password": "wrong"}).content
    )
    staff = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.44")
    response = staff.post(LOGIN, {"login": "sam@example.com", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in staff.session


def test_email_is_unique_whatever_its_case(db):
    User.objects.create_user("Lee@Example.com", PASSWORD)
    assert User.objects.get().email == "lee@example.com"
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="LEE@example.com")])


def test_signup_refuses_an_email_taken_in_another_case(client, person):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Sam Again",
            "email": "Sam@Example.com",
            "password1": "Another-Strong-2026",
            "password2": "Another-Strong-2026",
        },
    )
    assert response.status_code == 200
    assert b"already registered" in response.content
    assert User.objects.count() == 1


def test_signup_then_create_dealership_as_its_admin(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Dana Owner",
            "email": "dana@example.com",
            "password1": "Dealer-Owner-2026",
            "password2": "Dealer-Owner-2026",
        },
    )
    assert response.status_code == 302
    assert client.get("/")["Location"] == "/organizations/new/"
    created = client.post(
        "/organizations/new/",
        {"name": "Prairie Ford", "country": "CA", "time_zone": "America/Winnipeg"},
    )
    assert created.status_code == 302
    assert created["Location"] == "/o/prairie-ford/admin/"
    user = User.objects.get(email="dana@example.com")
    assert user.full_name == "Dana Owner"
    membership = user.memberships.get()
    assert membership.role == "admin"
    assert membership.organization.currency == "cad"


def test_password_reset_sends_an_email(client, person):
    response = client.post("/accounts/password/reset/", {"email": "sam@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sam@example.com"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_two_factor_setup_is_available(client, person):
    client.post(LOGIN, {"login": "sam@example.com", "password": PASSWORD})
    # allauth asks for the password again before any change to the second factor.
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    assert response.context["totp_url"].startswith("otpauth://totp/")
    assert response.context["totp_svg_data_uri"].encode() in response.content  # the QR code


def test_two_factor_can_be_turned_on_with_a_code_from_the_app(client, person):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    client.post(LOGIN, {"login": "sam@example.com", "password": PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))

    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()

    # Signing in now asks for the second factor before letting the person in.
    client.post("/accounts/logout/")
    step = client.post(LOGIN, {"login": "sam@example.com", "password": PASSWORD})
    assert step["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session


def test_password_reset_requests_are_rate_limited_with_a_clear_page(client, person):
    for _ in range(5):
        client.post("/accounts/password/reset/", {"email": "sam@example.com"})
    response = client.post("/accounts/password/reset/", {"email": "sam@example.com"})
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert len(mail.outbox) == 5


def test_logout_ends_the_session(client, person):
    client.post(LOGIN, {"login": "sam@example.com", "password": PASSWORD})
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
