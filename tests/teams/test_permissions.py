"""F2 Enable: only admins save team settings; and the capability rules behind every screen."""

import pytest

from teams.access import capabilities_of, has_capability, sees_every_teams_tickets
from teams.models import AuditLog, Membership, Team
from teams.roles import ROLE_CAPABILITIES, TEAM_SCOPED, Capability, Role
from tests.factories import MembershipFactory, TeamFactory


def team_state(team):
    team = Team.objects.get(pk=team.pk)
    return team.name, team.payments_enabled, set(team.members.values_list("pk", flat=True))


def fresh(membership):
    """A new instance: ``payment_team_ids`` is cached per instance."""
    return Membership.objects.get(pk=membership.pk)


# F2: the server refuses team settings from non-admins, whatever they post -----------------


PAYLOADS = {
    "enable-payments": lambda team, pks: {"name": team.name, "payments_enabled": "on"},
    "rename-and-take-everyone": lambda team, pks: {
        "name": "Taken over",
        "members": pks,
        "payments_enabled": "on",
    },
    "empty-the-team": lambda team, pks: {"name": team.name},
    "invalid-form": lambda team, pks: {"name": "", "members": ["999999"], "payments_enabled": "on"},
}


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("team_fixture", ["parts_team", "service_team"])
@pytest.mark.parametrize("caller", ["manager_client", "advisor_client"])
def test_team_edit_by_non_admin_is_forbidden_and_changes_nothing(
    request, admin_membership, parts_team, service_team, caller, team_fixture, payload
):
    client = request.getfixturevalue(caller)
    team = request.getfixturevalue(team_fixture)
    team.members.add(admin_membership)
    everyone = list(Membership.objects.values_list("pk", flat=True))
    before = team_state(team)

    response = client.post(
        f"/o/lakeside/teams/{team.pk}/", PAYLOADS[payload](team, [str(pk) for pk in everyone])
    )

    assert response.status_code == 403
    assert team_state(team) == before
    assert not AuditLog.objects.exists()


def test_team_edit_by_admin_enables_payments_and_audits_the_change(
    admin_client, admin_membership, parts_team, manager_membership
):
    assert parts_team.payments_enabled is False

    response = admin_client.post(
        f"/o/lakeside/teams/{parts_team.pk}/",
        {"name": "Parts", "members": [str(manager_membership.pk)], "payments_enabled": "on"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/o/lakeside/teams/{parts_team.pk}/"
    assert team_state(parts_team) == ("Parts", True, {manager_membership.pk})
    entry = AuditLog.objects.get()
    assert entry.action == "team.updated"
    assert entry.actor == admin_membership.user
    assert entry.organization_id == parts_team.organization_id
    assert (entry.target_type, entry.target_id) == ("team", parts_team.pk)
    assert entry.data == {
        "payments_enabled": [False, True],
        "members_added": ["manager@lakeside.test"],
        "members_removed": [],
    }


def test_team_settings_page_shows_edit_form_to_admin_only(
    client, admin_membership, manager_membership, service_team
):
    url = f"/o/lakeside/teams/{service_team.pk}/"
    client.force_login(admin_membership.user)
    assert b'id="edit-team"' in client.get(url).content

    client.force_login(manager_membership.user)
    page = client.get(url)
    assert page.status_code == 200
    assert b'id="edit-team"' not in page.content
    assert b"Only admins can change team settings." in page.content


# The role table ---------------------------------------------------------------------------


def test_role_capability_table():
    """What each role may do at all (managers and advisors only through their teams)."""
    expected = {
        Role.ADMIN: frozenset(Capability),
        Role.MANAGER: {
            Capability.VIEW_PAYMENTS,
            Capability.REFUND_PAYMENT,
            Capability.POST_TO_DBS,
            Capability.SEND_PAYMENT_REQUEST,
            Capability.VIEW_EVERY_TEAMS_TICKETS,
            Capability.CHANGE_PAID_REPAIR_ORDER,
        },
        Role.ADVISOR: {Capability.SEND_PAYMENT_REQUEST},
    }
    table = dict(ROLE_CAPABILITIES)
    assert table == expected
    assert Capability.POST_TO_DBS in TEAM_SCOPED
    assert Capability.VIEW_EVERY_TEAMS_TICKETS not in TEAM_SCOPED


def test_posting_to_the_dbs_is_held_like_viewing_payments(
    organization, manager_membership, advisor_membership, service_team, parts_team
):
    manager = fresh(manager_membership)
    other_payments_team = TeamFactory(organization=organization, payments_enabled=True)
    assert has_capability(manager, Capability.POST_TO_DBS, service_team)
    assert not has_capability(manager, Capability.POST_TO_DBS, other_payments_team)
    assert not has_capability(manager, Capability.POST_TO_DBS, parts_team)
    assert not has_capability(fresh(advisor_membership), Capability.POST_TO_DBS)
    assert not has_capability(fresh(advisor_membership), Capability.POST_TO_DBS, service_team)


def test_who_sees_every_teams_tickets(admin_membership, manager_membership, advisor_membership):
    assert sees_every_teams_tickets(admin_membership)
    assert sees_every_teams_tickets(manager_membership)
    assert not sees_every_teams_tickets(advisor_membership)


# has_capability ---------------------------------------------------------------------------


def test_has_capability_manager_views_payments_only_through_a_payments_team(
    organization, service_team, parts_team
):
    manager = MembershipFactory(organization=organization, role=Role.MANAGER)
    parts_team.members.add(manager)
    assert not has_capability(fresh(manager), Capability.VIEW_PAYMENTS)
    assert not has_capability(fresh(manager), Capability.VIEW_PAYMENTS, parts_team)

    service_team.members.add(manager)
    assert has_capability(fresh(manager), Capability.VIEW_PAYMENTS)
    assert has_capability(fresh(manager), Capability.VIEW_PAYMENTS, service_team)
    assert not has_capability(fresh(manager), Capability.VIEW_PAYMENTS, parts_team)


def test_has_capability_manager_cannot_view_payments_of_a_team_they_are_not_in(
    organization, manager_membership
):
    other_payments_team = TeamFactory(organization=organization, payments_enabled=True)
    manager = fresh(manager_membership)
    assert has_capability(manager, Capability.VIEW_PAYMENTS)  # through Service
    assert not has_capability(manager, Capability.VIEW_PAYMENTS, other_payments_team)
    assert not has_capability(manager, Capability.REFUND_PAYMENT, other_payments_team)


def test_has_capability_manager_never_holds_admin_capabilities(manager_membership, service_team):
    manager = fresh(manager_membership)
    for capability in (
        Capability.CONNECT_PAYMENTS,
        Capability.ENABLE_TEAM_PAYMENTS,
        Capability.MANAGE_TEAMS,
        Capability.MANAGE_MEMBERS,
        Capability.INVITE_MEMBER,
    ):
        assert not has_capability(manager, capability, service_team), capability


def test_has_capability_admin_holds_everything_in_own_organization_only(
    admin_membership, service_team, parts_team, other_organization
):
    admin = fresh(admin_membership)
    hilltop_team = TeamFactory(organization=other_organization, payments_enabled=True)

    for capability in Capability:
        assert has_capability(admin, capability), capability
        assert has_capability(admin, capability, service_team), capability
        assert not has_capability(admin, capability, hilltop_team), capability
        # A team without payments: everything but sending a payment request from it.
        expected = capability != Capability.SEND_PAYMENT_REQUEST
        assert has_capability(admin, capability, parts_team) is expected, capability
    assert capabilities_of(admin) == frozenset(Capability)


def test_has_capability_advisor_requests_payments_only_for_payments_team(
    advisor_membership, service_team, parts_team
):
    parts_team.members.add(advisor_membership)
    advisor = fresh(advisor_membership)
    assert has_capability(advisor, Capability.SEND_PAYMENT_REQUEST, service_team)
    assert not has_capability(advisor, Capability.SEND_PAYMENT_REQUEST, parts_team)
    assert not has_capability(advisor, Capability.VIEW_PAYMENTS)
    assert not has_capability(advisor, Capability.REFUND_PAYMENT, service_team)


def test_has_capability_advisor_without_payments_team_cannot_request(organization, parts_team):
    advisor = MembershipFactory(organization=organization, role=Role.ADVISOR)
    parts_team.members.add(advisor)
    assert not has_capability(fresh(advisor), Capability.SEND_PAYMENT_REQUEST)


# The left menu follows the capabilities ---------------------------------------------------


def test_menu_manager_in_payments_team_sees_payments_not_manage(manager_client):
    page = manager_client.get("/o/lakeside/")
    assert page.status_code == 200
    assert b'id="nav-payments"' in page.content
    assert b'id="nav-manage"' not in page.content
    assert b'id="nav-admin"' not in page.content


def test_menu_admin_sees_payments_manage_and_admin(admin_client):
    page = admin_client.get("/o/lakeside/")
    for nav in (b'id="nav-payments"', b'id="nav-manage"', b'id="nav-admin"'):
        assert nav in page.content


def test_menu_manager_in_team_without_payments_has_no_payments(client, organization, parts_team):
    manager = MembershipFactory(organization=organization, role=Role.MANAGER)
    parts_team.members.add(manager)
    client.force_login(manager.user)

    page = client.get("/o/lakeside/")
    assert page.status_code == 200
    assert b'id="nav-payments"' not in page.content
    assert client.get("/o/lakeside/payments/").status_code == 403


def test_menu_manager_gains_payments_when_admin_enables_their_team(
    client, organization, admin_membership, parts_team
):
    manager = MembershipFactory(organization=organization, role=Role.MANAGER)
    parts_team.members.add(manager)
    client.force_login(admin_membership.user)
    client.post(
        f"/o/lakeside/teams/{parts_team.pk}/",
        {"name": "Parts", "members": [str(manager.pk)], "payments_enabled": "on"},
    )

    client.force_login(manager.user)
    assert b'id="nav-payments"' in client.get("/o/lakeside/").content
    assert client.get("/o/lakeside/payments/").status_code == 200


def test_menu_advisor_sees_neither_payments_nor_manage(advisor_client):
    page = advisor_client.get("/o/lakeside/")
    assert b'id="nav-payments"' not in page.content
    assert b'id="nav-manage"' not in page.content
