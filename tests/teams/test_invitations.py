"""F3 Invite: an invitation goes out by SMS and e-mail, and its link works once, for 7 days."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import sms
from accounts.models import SmsMessage, User
from teams import services
from teams.models import AuditLog, Invitation, Membership
from teams.roles import Role
from teams.selectors import token_hash
from tests.factories import PASSWORD, InvitationFactory, UserFactory

LINK = re.compile(r"https?://\S+/invitations/(?P<token>[A-Za-z0-9_-]+)/")


@pytest.fixture
def send_invitation(admin_membership, service_team, django_capture_on_commit_callbacks):
    def send(**overrides):
        data = {
            "organization": admin_membership.organization,
            "actor": admin_membership.user,
            "full_name": "Jordan Books",
            "email": "jordan@example.com",
            "mobile_phone": "+14165550123",
            "role": Role.MANAGER,
            "teams": [service_team],
        } | overrides
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invitation_create(**data)
        return invitation, LINK.search(sms.outbox[-1].body)["token"]

    return send


def accept_url(token):
    return f"/invitations/{token}/"


def test_invitation_sends_one_sms_and_one_email_with_the_same_link(send_invitation):
    _, token = send_invitation()

    assert len(sms.outbox) == 1
    assert sms.outbox[0].to == "+14165550123"  # a Canadian mobile is fine
    assert "Lakeside Motors" in sms.outbox[0].body
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["jordan@example.com"]
    assert "Lakeside Motors" in email.subject
    assert accept_url(token) in email.body
    assert accept_url(token) in email.alternatives[0][0]


def test_invitation_token_is_long_random_and_stored_only_hashed(send_invitation):
    invitation, token = send_invitation()

    assert len(token) >= 43  # 32 random bytes, URL-safe base64: 256 bits
    assert invitation.token_hash == token_hash(token)
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert token not in SmsMessage.objects.get().body


def test_invitation_expires_after_seven_days(send_invitation):
    invitation, _ = send_invitation()
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)


def test_invitee_registers_and_lands_in_the_organization_with_role_and_teams(
    client, send_invitation, organization, service_team
):
    _, token = send_invitation()

    page = client.get(accept_url(token))
    assert page.status_code == 200
    assert b"Join Lakeside Motors" in page.content

    response = client.post(
        accept_url(token),
        {
            "full_name": "Jordan Books",
            "mobile_phone": "(416) 555-0123",
            "password1": "Ledger-Balance-2026",
            "password2": "Ledger-Balance-2026",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/o/{organization.slug}/"
    user = User.objects.get(email="jordan@example.com")
    membership = Membership.objects.get(user=user, organization=organization)
    assert membership.role == Role.MANAGER
    assert list(membership.teams.all()) == [service_team]
    assert str(user.mobile_phone) == "+14165550123"
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user
    assert invitation.status == Invitation.Status.ACCEPTED
    # Signed in, with the Payments tab of a manager in a payments team.
    overview = client.get(response["Location"])
    assert b'id="nav-payments"' in overview.content
    assert b'id="nav-manage"' not in overview.content
    assert AuditLog.objects.filter(action="invitation.accepted", actor=user).exists()


def test_invitation_link_works_only_once(client, send_invitation):
    _, token = send_invitation()
    form = {
        "full_name": "Jordan Books",
        "mobile_phone": "+14165550123",
        "password1": "Ledger-Balance-2026",
        "password2": "Ledger-Balance-2026",
    }
    assert client.post(accept_url(token), form).status_code == 302
    client.logout()

    again = client.post(accept_url(token), form)
    assert again.status_code == 410
    assert b"used already" in again.content
    assert Membership.objects.filter(user__email="jordan@example.com").count() == 1


def test_expired_invitation_says_so_and_changes_nothing(client, organization):
    invitation = InvitationFactory(
        organization=organization, expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(accept_url(invitation.token))
    assert response.status_code == 410
    assert b"has expired" in response.content
    post = client.post(
        accept_url(invitation.token),
        {"full_name": "X", "mobile_phone": "+13125550100", "password1": "a", "password2": "a"},
    )
    assert post.status_code == 410
    assert not User.objects.filter(email=invitation.email).exists()


def test_revoked_invitation_says_so(client, organization, admin_membership):
    invitation = InvitationFactory(organization=organization)
    services.invitation_revoke(invitation=invitation, actor=admin_membership.user)
    response = client.get(accept_url(invitation.token))
    assert response.status_code == 410
    assert b"was revoked" in response.content


def test_unknown_token_is_not_found(client, db):
    response = client.get(accept_url("not-a-real-token"))
    assert response.status_code == 404
    assert b"not valid" in response.content


def test_resend_replaces_the_link_and_restarts_the_clock(
    client, send_invitation, admin_membership, django_capture_on_commit_callbacks
):
    invitation, old_token = send_invitation()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(invitation=invitation, actor=admin_membership.user)
    new_token = LINK.search(sms.outbox[-1].body)["token"]

    assert new_token != old_token
    assert len(sms.outbox) == 2 and len(mail.outbox) == 2
    assert client.get(accept_url(old_token)).status_code == 404
    assert client.get(accept_url(new_token)).status_code == 200
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert invitation.expires_at > timezone.now() + timedelta(days=6)


def test_existing_account_signs_in_then_accepts(client, organization, service_team):
    person = UserFactory(email="pat@example.com")
    invitation = InvitationFactory(
        organization=organization, email="pat@example.com", teams=[service_team]
    )

    page = client.get(accept_url(invitation.token))
    assert b"Sign in to accept" in page.content
    assert not User.objects.filter(email="pat@example.com").exclude(pk=person.pk).exists()

    client.post("/accounts/login/", {"login": "PAT@example.com", "password": PASSWORD})
    response = client.post(accept_url(invitation.token))
    assert response.status_code == 302
    membership = Membership.objects.get(user=person, organization=organization)
    assert membership.role == Role.MANAGER


def test_signed_in_as_someone_else_cannot_accept(client, organization):
    invitation = InvitationFactory(organization=organization, email="right@example.com")
    client.force_login(UserFactory(email="wrong@example.com"))

    response = client.post(accept_url(invitation.token))
    assert response.status_code == 403
    assert b"right@example.com" in response.content
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Membership.objects.filter(organization=organization).exists()


def test_registration_with_mismatched_passwords_changes_nothing(client, organization):
    invitation = InvitationFactory(organization=organization)
    response = client.post(
        accept_url(invitation.token),
        {
            "full_name": "Jordan",
            "mobile_phone": "+13125550100",
            "password1": "Ledger-Balance-2026",
            "password2": "Ledger-Balance-2027",
        },
    )
    assert response.status_code == 422
    assert b"The two passwords differ." in response.content
    assert not User.objects.filter(email=invitation.email).exists()
    assert Invitation.objects.get().accepted_at is None


def test_admin_invites_through_the_manage_tab(
    admin_client, organization, service_team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/o/{organization.slug}/manage/invitations/",
            {
                "full_name": "Riley Parts",
                "email": "Riley@Example.com",
                "mobile_phone": "(312) 555-0175",
                "role": Role.ADVISOR,
                "teams": [service_team.pk],
            },
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert b"Riley Parts" in response.content  # the pending list, swapped out of band
    assert b"Invitation sent to Riley Parts" in response.content
    invitation = Invitation.objects.get()
    assert invitation.email == "riley@example.com"
    assert str(invitation.mobile_phone) == "+13125550175"
    assert len(sms.outbox) == 1 and len(mail.outbox) == 1


MANAGE_HTMX = {"HTTP_HX_REQUEST": "true"}


def _invite_form(content: str) -> str:
    form = re.search(r'<form id="invite-form".*?</form>', content, re.DOTALL)
    assert form, "the response carries no invite form"
    return form[0]


def test_resend_after_a_refused_invitation_brings_the_invite_form_back_clean(
    admin_client, organization, service_team, django_capture_on_commit_callbacks
):
    pending = InvitationFactory(organization=organization, email="riley@example.com")
    typed = {
        "full_name": "Riley Parts",
        "email": "riley@example.com",
        "mobile_phone": "(312) 555-01",
        "role": Role.ADVISOR,
    }
    refused = admin_client.post(f"/o/{organization.slug}/manage/invitations/", typed, **MANAGE_HTMX)
    assert refused.status_code == 422
    assert "is-invalid" in _invite_form(refused.content.decode())

    # "Resend it below": htmx posts the invite form's fields along with the button.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/o/{organization.slug}/manage/invitations/{pending.pk}/resend/",
            typed,
            **MANAGE_HTMX,
        )

    assert response.status_code == 200
    content = response.content.decode()
    assert "A new link was sent to riley@example.com." in content
    form = _invite_form(content)
    assert 'hx-swap-oob="true"' in form
    assert "is-invalid" not in form and "invalid-feedback" not in form
    assert "riley@example.com" not in form  # sent: the form is ready for the next person


def test_resending_another_invitation_clears_the_errors_but_keeps_what_was_typed(
    admin_client, organization, service_team, django_capture_on_commit_callbacks
):
    other = InvitationFactory(organization=organization, email="sam@example.com")
    typed = {
        "full_name": "Riley Parts",
        "email": "riley@example.com",
        "mobile_phone": "(312) 555-0188",
        "role": Role.MANAGER,
        "teams": [str(service_team.pk)],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/o/{organization.slug}/manage/invitations/{other.pk}/resend/",
            typed,
            **MANAGE_HTMX,
        )

    form = _invite_form(response.content.decode())
    assert "is-invalid" not in form
    assert 'value="Riley Parts"' in form and 'value="riley@example.com"' in form
    assert 'value="(312) 555-0188"' in form
    assert re.search(r'<option value="manager"[^>]*selected', form)
    assert re.search(rf'value="{service_team.pk}"[^>]*checked', form)
