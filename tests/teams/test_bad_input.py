"""Bad input changes nothing and says why: 422, the reason on the page, no rows, no messages."""

import re
from contextlib import contextmanager

import pytest
from django.core import mail
from django.utils.html import escape

from accounts import sms
from accounts.models import SmsMessage
from teams.models import AuditLog, Invitation, Membership, Team
from teams.roles import Role
from tests.factories import InvitationFactory, MembershipFactory, TeamFactory

MANAGE = "/o/lakeside/manage/"
INVITE = "/o/lakeside/manage/invitations/"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver" + MANAGE}


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Invitation, Membership, AuditLog, Team, SmsMessage)
    }


@pytest.fixture
def nothing_produced(django_capture_on_commit_callbacks):
    """Run a request and prove it wrote no rows and sent no SMS or e-mail.

    Commit callbacks run, so an SMS or e-mail queued by mistake would reach the outboxes.
    """

    @contextmanager
    def check():
        before = _counts()
        with django_capture_on_commit_callbacks(execute=True):
            yield
        assert _counts() == before
        assert sms.outbox == []
        assert mail.outbox == []

    return check


def invite_data(**overrides):
    return {
        "full_name": "Jordan Books",
        "email": "jordan@example.com",
        "mobile_phone": "(312) 555-0123",
        "role": Role.MANAGER,
    } | overrides


@pytest.fixture
def hilltop_team(other_organization):
    return TeamFactory(organization=other_organization, name="Hilltop Service")


# The invite form ----------------------------------------------------------------------


INVALID_INVITES = {
    "malformed-email": (
        lambda ctx: invite_data(email="jordan@@example"),
        "Enter a valid email address.",
    ),
    "uk-phone": (
        lambda ctx: invite_data(mobile_phone="+44 20 7946 0958"),
        "Text messages go to US and Canadian numbers only.",
    ),
    "french-phone": (
        lambda ctx: invite_data(mobile_phone="+33 6 12 34 56 78"),
        "Text messages go to US and Canadian numbers only.",
    ),
    "existing-member-other-case": (
        lambda ctx: invite_data(email="MANAGER@lakeside.test"),
        "manager@lakeside.test is already a member.",
    ),
    "open-invitation": (
        lambda ctx: invite_data(email="Pending@Example.com"),
        "pending@example.com has an open invitation already: resend it below.",
    ),
    "another-organizations-team": (
        lambda ctx: invite_data(teams=[str(ctx["hilltop_team"].pk)]),
        "is not one of the available choices.",
    ),
    "admin-role": (
        lambda ctx: invite_data(role=Role.ADMIN),
        "Select a valid choice. admin is not one of the available choices.",
    ),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("case", INVALID_INVITES)
def test_invite_bad_input_is_refused_with_reason_and_creates_nothing(
    admin_client,
    organization,
    service_team,
    manager_membership,
    hilltop_team,
    nothing_produced,
    case,
    htmx,
):
    InvitationFactory(organization=organization, email="pending@example.com")
    build, message = INVALID_INVITES[case]
    data = build({"hilltop_team": hilltop_team})

    with nothing_produced():
        response = admin_client.post(INVITE, data, **(HTMX if htmx else {}))

    assert response.status_code == 422
    content = response.content.decode()
    assert escape(message) in content
    assert 'id="invite-form"' in content
    if htmx:
        assert "<html" not in content  # only the form, swapped in place
    else:
        assert "<html" in content
    assert Invitation.objects.get().email == "pending@example.com"  # still the only one


@pytest.mark.parametrize("phone", ["call me maybe", "(312) 555-01"])
def test_invite_garbage_phone_is_refused_and_creates_nothing(
    admin_client, service_team, nothing_produced, phone
):
    with nothing_produced():
        response = admin_client.post(INVITE, invite_data(mobile_phone=phone), **HTMX)

    assert response.status_code == 422
    phone_input = re.search(r'<input[^>]*name="mobile_phone"[^>]*>', response.content.decode())
    assert "is-invalid" in phone_input[0]


@pytest.mark.parametrize("phone", ["call me maybe", "(312) 555-01"])
def test_invite_garbage_phone_says_the_number_is_invalid(admin_client, service_team, phone):
    response = admin_client.post(INVITE, invite_data(mobile_phone=phone), **HTMX)

    content = response.content.decode()
    assert "Enter a valid US or Canadian mobile number, like (312) 555-0142." in content
    assert "Text messages go to US and Canadian numbers only." not in content


def test_invite_valid_input_sends_sms_and_email(admin_client, service_team, nothing_produced):
    """The control for the tests above: the same harness sees what a good invitation sends."""
    with pytest.raises(AssertionError), nothing_produced():
        response = admin_client.post(INVITE, invite_data(teams=[str(service_team.pk)]))
    assert response.status_code == 302
    assert Invitation.objects.filter(email="jordan@example.com").count() == 1
    assert len(sms.outbox) == 1
    assert len(mail.outbox) == 1


def test_invite_into_another_organizations_team_through_the_service_is_refused(
    admin_membership, hilltop_team, nothing_produced
):
    """The service checks it too, in case a caller skips the form."""
    from django.core.exceptions import ValidationError

    from teams import services

    with nothing_produced(), pytest.raises(ValidationError) as error:
        services.invitation_create(
            organization=admin_membership.organization,
            actor=admin_membership.user,
            full_name="Jordan Books",
            email="jordan@example.com",
            mobile_phone="+13125550123",
            role=Role.MANAGER,
            teams=[hilltop_team],
        )
    assert "Choose teams of this organization." in error.value.message_dict["teams"]


# Members: the last admin stays -------------------------------------------------------


@pytest.fixture
def signed_in_admin(client, sign_in, admin_membership):
    return sign_in(client, admin_membership.user)


def test_member_remove_last_admin_htmx_is_refused_with_reason(
    signed_in_admin, admin_membership, nothing_produced
):
    with nothing_produced():
        response = signed_in_admin.post(f"{MANAGE}members/{admin_membership.pk}/remove/", **HTMX)

    assert response.status_code == 422
    content = response.content.decode()
    assert escape(f"{admin_membership.user} is the only admin and cannot be removed.") in content
    assert 'id="members"' in content
    assert "<html" not in content
    assert Membership.objects.filter(pk=admin_membership.pk, role=Role.ADMIN).exists()


def test_member_remove_last_admin_plain_post_explains_on_the_manage_page(
    signed_in_admin, admin_membership, nothing_produced
):
    with nothing_produced():
        response = signed_in_admin.post(f"{MANAGE}members/{admin_membership.pk}/remove/")

    assert response.status_code == 302
    assert response["Location"] == MANAGE
    page = signed_in_admin.get(MANAGE).content.decode()
    assert escape(f"{admin_membership.user} is the only admin and cannot be removed.") in page
    assert Membership.objects.filter(pk=admin_membership.pk, role=Role.ADMIN).exists()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_member_role_demoting_last_admin_is_refused(
    signed_in_admin, admin_membership, nothing_produced, htmx
):
    url = f"{MANAGE}members/{admin_membership.pk}/role/"
    with nothing_produced():
        response = signed_in_admin.post(url, {"role": Role.MANAGER}, **(HTMX if htmx else {}))

    reason = escape(f"{admin_membership.user} is the only admin. Make someone else an admin first.")
    if htmx:
        assert response.status_code == 422
        assert reason in response.content.decode()
    else:
        assert response.status_code == 302
        assert reason in signed_in_admin.get(response["Location"]).content.decode()
    assert Membership.objects.get(pk=admin_membership.pk).role == Role.ADMIN


def test_member_role_unknown_role_is_refused(
    signed_in_admin, organization, advisor_membership, nothing_produced
):
    with nothing_produced():
        response = signed_in_admin.post(
            f"{MANAGE}members/{advisor_membership.pk}/role/", {"role": "owner"}, **HTMX
        )
    assert response.status_code == 422
    assert "Choose a valid role." in response.content.decode()
    assert Membership.objects.get(pk=advisor_membership.pk).role == Role.ADVISOR


def test_member_remove_admin_is_allowed_when_another_admin_remains(
    signed_in_admin, organization, admin_membership
):
    """The control: the refusal above is about the last admin, not about admins."""
    second = MembershipFactory(organization=organization, role=Role.ADMIN)
    response = signed_in_admin.post(f"{MANAGE}members/{second.pk}/remove/", **HTMX)
    assert response.status_code == 200
    assert not Membership.objects.filter(pk=second.pk).exists()


# Teams ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["service", "  SERVICE  "])
def test_team_create_duplicate_name_is_refused(admin_client, service_team, nothing_produced, name):
    with nothing_produced():
        response = admin_client.post("/o/lakeside/teams/", {"name": name})

    assert response.status_code == 422
    assert f"A team named “{name.strip()}” exists already." in response.content.decode()


def test_team_create_empty_name_is_refused(admin_client, organization, nothing_produced):
    with nothing_produced():
        response = admin_client.post("/o/lakeside/teams/", {"name": "   "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_team_rename_to_existing_name_is_refused(
    admin_client, service_team, parts_team, nothing_produced
):
    with nothing_produced():
        response = admin_client.post(f"/o/lakeside/teams/{parts_team.pk}/", {"name": "SERVICE"})
    assert response.status_code == 422
    assert "A team named “SERVICE” exists already." in response.content.decode()
    assert Team.objects.get(pk=parts_team.pk).name == "Parts"


def test_team_edit_with_another_organizations_member_is_refused(
    admin_client, service_team, manager_membership, outsider_membership, nothing_produced
):
    before = set(service_team.members.values_list("pk", flat=True))

    with nothing_produced():
        response = admin_client.post(
            f"/o/lakeside/teams/{service_team.pk}/",
            {
                "name": "Service Drive",
                "members": [str(manager_membership.pk), str(outsider_membership.pk)],
            },
        )

    assert response.status_code == 422
    assert (
        f"Select a valid choice. {outsider_membership.pk} is not one of the available choices."
        in response.content.decode()
    )
    team = Team.objects.get(pk=service_team.pk)
    assert (team.name, team.payments_enabled) == ("Service", True)
    assert set(team.members.values_list("pk", flat=True)) == before
    assert not outsider_membership.teams.exists()
