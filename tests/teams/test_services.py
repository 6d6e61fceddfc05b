"""Services: every membership, role, team and invitation change is audited (who, what, when);
at least one admin always remains, even when two demotions race."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from teams import services
from teams.models import AuditLog, Membership, Organization, Team
from teams.roles import Role
from tests.factories import InvitationFactory, MembershipFactory, UserFactory


@pytest.fixture
def actor(admin_membership):
    return admin_membership.user


@pytest.fixture
def audit(organization):
    """The audit entries written during the test, oldest first, as (action, actor) pairs."""
    start = timezone.now()

    def entries(org=organization):
        return list(
            AuditLog.objects.filter(organization=org, created_at__gte=start).order_by(
                "created_at", "pk"
            )
        )

    return entries


def only(entries, action):
    """The one entry with ``action``; its ``created_at`` is within the test."""
    matching = [e for e in entries if e.action == action]
    assert len(matching) == 1, [e.action for e in entries]
    entry = matching[0]
    assert timezone.now() - entry.created_at < timedelta(minutes=1)
    return entry


# Organizations ----------------------------------------------------------------------------


def test_organization_create_audits_creation_and_first_admin(db):
    founder = UserFactory(email="founder@example.com")

    organization = services.organization_create(
        actor=founder, name="Prairie Ford", country="CA", time_zone="America/Winnipeg"
    )

    entries = list(AuditLog.objects.filter(organization=organization).order_by("pk"))
    assert [(e.action, e.actor) for e in entries] == [
        ("organization.created", founder),
        ("membership.created", founder),
    ]
    assert entries[0].data == {"name": "Prairie Ford", "country": "CA"}
    assert entries[1].data == {"email": "founder@example.com", "role": Role.ADMIN}
    membership = Membership.objects.get(organization=organization)
    assert (membership.user, membership.role) == (founder, Role.ADMIN)
    assert (entries[1].target_type, entries[1].target_id) == ("membership", membership.pk)


def test_organization_update_audits_only_what_changed(organization, actor, audit):
    services.organization_update(
        organization=organization,
        actor=actor,
        name="Lakeside Motors",
        country="US",
        time_zone="America/Denver",
    )
    entry = only(audit(), "organization.updated")
    assert entry.actor == actor
    assert entry.data == {"time_zone": ["America/Chicago", "America/Denver"]}

    services.organization_update(
        organization=Organization.objects.get(pk=organization.pk),
        actor=actor,
        name="Lakeside Motors",
        country="US",
        time_zone="America/Denver",
    )
    assert len(audit()) == 1  # saving without a change records nothing


# Members ----------------------------------------------------------------------------------


def test_member_change_role_audits_from_and_to(actor, advisor_membership, audit):
    services.member_change_role(membership=advisor_membership, actor=actor, role=Role.MANAGER)

    entry = only(audit(), "membership.role_changed")
    assert entry.actor == actor
    assert (entry.target_type, entry.target_id) == ("membership", advisor_membership.pk)
    assert entry.data == {
        "email": "advisor@lakeside.test",
        "from": Role.ADVISOR,
        "to": Role.MANAGER,
    }
    assert Membership.objects.get(pk=advisor_membership.pk).role == Role.MANAGER


def test_member_change_role_to_same_role_records_nothing(actor, advisor_membership, audit):
    services.member_change_role(membership=advisor_membership, actor=actor, role=Role.ADVISOR)
    assert audit() == []


def test_member_change_role_unknown_role_is_refused(actor, advisor_membership, audit):
    with pytest.raises(ValidationError):
        services.member_change_role(membership=advisor_membership, actor=actor, role="owner")
    assert Membership.objects.get(pk=advisor_membership.pk).role == Role.ADVISOR
    assert audit() == []


def test_member_remove_audits_who_was_removed(actor, manager_membership, audit):
    pk = manager_membership.pk
    services.member_remove(membership=manager_membership, actor=actor)

    entry = only(audit(), "membership.removed")
    assert entry.actor == actor
    assert (entry.target_type, entry.target_id) == ("membership", pk)
    assert entry.data == {"email": "manager@lakeside.test", "role": Role.MANAGER}
    assert not Membership.objects.filter(pk=pk).exists()


def test_member_change_role_refuses_to_demote_the_only_admin(admin_membership, audit):
    with pytest.raises(ValidationError) as error:
        services.member_change_role(
            membership=admin_membership, actor=admin_membership.user, role=Role.MANAGER
        )
    assert error.value.code == "last_admin"
    assert Membership.objects.get(pk=admin_membership.pk).role == Role.ADMIN
    assert audit() == []


def test_member_change_role_demotes_an_admin_when_another_remains(
    organization, admin_membership, audit
):
    second = MembershipFactory(organization=organization, role=Role.ADMIN)

    services.member_change_role(membership=second, actor=admin_membership.user, role=Role.MANAGER)
    assert Membership.objects.get(pk=second.pk).role == Role.MANAGER

    # Now the first admin is the only one left and stays.
    with pytest.raises(ValidationError):
        services.member_change_role(
            membership=Membership.objects.get(pk=admin_membership.pk),
            actor=admin_membership.user,
            role=Role.ADVISOR,
        )
    assert Membership.objects.get(pk=admin_membership.pk).role == Role.ADMIN
    assert [e.action for e in audit()] == ["membership.role_changed"]


def test_member_remove_refuses_the_only_admin_but_not_one_of_two(organization, admin_membership):
    with pytest.raises(ValidationError):
        services.member_remove(membership=admin_membership, actor=admin_membership.user)
    assert Membership.objects.filter(pk=admin_membership.pk).exists()

    second = MembershipFactory(organization=organization, role=Role.ADMIN)
    services.member_remove(membership=admin_membership, actor=second.user)
    assert not Membership.objects.filter(pk=admin_membership.pk).exists()


def test_member_change_role_ignores_admins_of_another_organization(
    admin_membership, outsider_membership
):
    """Hilltop's admin does not count as a second admin of Lakeside."""
    with pytest.raises(ValidationError):
        services.member_change_role(
            membership=admin_membership, actor=admin_membership.user, role=Role.MANAGER
        )


@pytest.mark.django_db(transaction=True)
def test_member_change_role_two_simultaneous_demotions_leave_one_admin(organization):
    first = MembershipFactory(organization=organization, role=Role.ADMIN)
    second = MembershipFactory(organization=organization, role=Role.ADMIN)
    first_demoted = threading.Event()
    outcome = {}

    def demote_first():
        try:
            with transaction.atomic():
                services.member_change_role(membership=first, actor=first.user, role=Role.MANAGER)
                first_demoted.set()
                time.sleep(0.3)  # hold the row locks while the other demotion starts
        finally:
            first_demoted.set()
            connection.close()

    def demote_second():
        first_demoted.wait(5)
        try:
            services.member_change_role(membership=second, actor=second.user, role=Role.MANAGER)
            outcome["second"] = "demoted"
        except ValidationError as error:
            outcome["second"] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=demote_first), threading.Thread(target=demote_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert outcome == {"second": "last_admin"}
    roles = dict(Membership.objects.filter(organization=organization).values_list("pk", "role"))
    assert roles == {first.pk: Role.MANAGER, second.pk: Role.ADMIN}


# Teams ------------------------------------------------------------------------------------


def test_team_create_audits_name_and_payments(organization, actor, audit):
    team = services.team_create(organization=organization, actor=actor, name="  Body Shop ")

    assert team.name == "Body Shop"
    entry = only(audit(), "team.created")
    assert entry.actor == actor
    assert (entry.target_type, entry.target_id) == ("team", team.pk)
    assert entry.data == {"name": "Body Shop", "payments_enabled": False}


def test_team_update_audits_each_change(
    actor, parts_team, manager_membership, advisor_membership, audit
):
    parts_team.members.add(advisor_membership)

    services.team_update(
        team=parts_team,
        actor=actor,
        name="Parts & Accessories",
        members=[manager_membership],
        payments_enabled=True,
    )

    entry = only(audit(), "team.updated")
    assert entry.actor == actor
    assert entry.data == {
        "name": ["Parts", "Parts & Accessories"],
        "payments_enabled": [False, True],
        "members_added": ["manager@lakeside.test"],
        "members_removed": ["advisor@lakeside.test"],
    }
    team = Team.objects.get(pk=parts_team.pk)
    assert (team.name, team.payments_enabled) == ("Parts & Accessories", True)
    assert list(team.members.all()) == [manager_membership]


def test_team_update_without_change_records_nothing(actor, service_team, manager_membership, audit):
    services.team_update(
        team=service_team,
        actor=actor,
        name="Service",
        members=[manager_membership],
        payments_enabled=True,
    )
    assert audit() == []


def test_team_update_refuses_members_of_another_organization(
    actor, service_team, outsider_membership, audit
):
    with pytest.raises(ValidationError):
        services.team_update(
            team=service_team,
            actor=actor,
            name="Service",
            members=[outsider_membership],
            payments_enabled=True,
        )
    assert not service_team.members.filter(pk=outsider_membership.pk).exists()
    assert audit() == []


# Invitations ------------------------------------------------------------------------------


@pytest.fixture
def invitation(organization, service_team):
    return InvitationFactory(
        organization=organization, email="jordan@example.com", teams=[service_team]
    )


def test_invitation_create_audits_invitee_role_and_teams(
    organization, actor, service_team, audit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            organization=organization,
            actor=actor,
            full_name="Jordan Books",
            email=" Jordan@Example.com ",
            mobile_phone="+13125550123",
            role=Role.MANAGER,
            teams=[service_team],
        )

    entry = only(audit(), "invitation.created")
    assert entry.actor == actor
    assert (entry.target_type, entry.target_id) == ("invitation", invitation.pk)
    assert entry.data == {"email": "jordan@example.com", "role": "manager", "teams": ["Service"]}
    assert invitation.invited_by == actor


def test_invitation_create_refuses_admin_role(organization, actor, audit):
    with pytest.raises(ValidationError) as error:
        services.invitation_create(
            organization=organization,
            actor=actor,
            full_name="Jordan Books",
            email="jordan@example.com",
            mobile_phone="+13125550123",
            role=Role.ADMIN,
        )
    assert "role" in error.value.message_dict
    assert audit() == []


def test_invitation_resend_audits_the_new_send(invitation, actor, audit):
    old_hash = invitation.token_hash

    services.invitation_resend(invitation=invitation, actor=actor)

    entry = only(audit(), "invitation.resent")
    assert entry.actor == actor
    assert entry.target_id == invitation.pk
    assert entry.data == {"email": "jordan@example.com", "send_count": 2}
    invitation.refresh_from_db()
    assert invitation.token_hash != old_hash  # the old link stops working


def test_invitation_revoke_audits_once(invitation, actor, audit):
    services.invitation_revoke(invitation=invitation, actor=actor)
    services.invitation_revoke(invitation=invitation, actor=actor)  # twice: no second entry

    entry = only(audit(), "invitation.revoked")
    assert entry.actor == actor
    assert entry.data == {"email": "jordan@example.com"}
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_invitation_resend_of_revoked_is_refused(invitation, actor, audit):
    services.invitation_revoke(invitation=invitation, actor=actor)
    with pytest.raises(ValidationError) as error:
        services.invitation_resend(invitation=invitation, actor=actor)
    assert error.value.messages == ["This invitation was revoked."]
    assert [e.action for e in audit()] == ["invitation.revoked"]


@pytest.mark.parametrize("language", ["en", "fr-ca", "es", "de", "it", "pl", "pt-br"])
def test_a_closed_invitation_says_why_in_a_whole_translated_sentence(invitation, actor, language):
    """Each status has its own sentence: never the raw status ("revoked") nor its label put
    into one, whose form depends on the language's noun."""
    invitee = UserFactory(email="jordan@example.com")
    english = {
        "accepted": "This invitation was accepted already.",
        "revoked": "This invitation was revoked.",
        "expired": "This invitation has expired.",
    }
    with translation.override(language):
        sentences = {status: _(sentence) for status, sentence in english.items()}
        invitation.expires_at = timezone.now() - timedelta(days=1)
        invitation.save(update_fields=["expires_at"])
        with pytest.raises(ValidationError) as expired:
            services.invitation_accept(invitation=invitation, user=invitee)
        invitation.expires_at = timezone.now() + timedelta(days=1)
        invitation.save(update_fields=["expires_at"])
        services.invitation_accept(invitation=invitation, user=invitee)
        with pytest.raises(ValidationError) as resent:
            services.invitation_resend(invitation=invitation, actor=actor)
        with pytest.raises(ValidationError) as accepted_twice:
            services.invitation_accept(invitation=invitation, user=invitee)

    assert expired.value.messages == [sentences["expired"]]
    assert resent.value.messages == [sentences["accepted"]]
    assert accepted_twice.value.messages == [sentences["accepted"]]
    if language != "en":
        assert all(status not in sentences[status] for status in english)
        assert all(sentences[status] != english[status] for status in english)


def test_invitation_accept_audits_acceptance_and_membership_by_the_invitee(
    organization, invitation, service_team, audit
):
    invitee = UserFactory(email="Jordan@example.com")

    membership = services.invitation_accept(invitation=invitation, user=invitee)

    entries = audit()
    assert [(e.action, e.actor) for e in entries] == [
        ("invitation.accepted", invitee),
        ("membership.created", invitee),
    ]
    assert entries[0].data == {
        "email": "Jordan@example.com",
        "role": "manager",
        "teams": ["Service"],
    }
    assert entries[1].target_id == membership.pk
    assert (membership.role, list(membership.teams.all())) == (Role.MANAGER, [service_team])


def test_invitation_accept_twice_is_refused_and_audited_once(invitation, audit):
    invitee = UserFactory(email="jordan@example.com")
    services.invitation_accept(invitation=invitation, user=invitee)

    with pytest.raises(ValidationError) as error:
        services.invitation_accept(invitation=invitation, user=invitee)
    assert error.value.code == "accepted"
    assert [e.action for e in audit()] == ["invitation.accepted", "membership.created"]


def test_invitation_accept_by_someone_else_is_refused(invitation, audit):
    stranger = UserFactory(email="stranger@example.com")
    with pytest.raises(ValidationError) as error:
        services.invitation_accept(invitation=invitation, user=stranger)
    assert error.value.code == "wrong_user"
    assert not Membership.objects.filter(user=stranger).exists()
    assert audit() == []
