"""The overview's teams card says what is true for the role: admins see every team."""

from teams.roles import Role
from tests.factories import MembershipFactory

NOT_ON_A_TEAM = "You are not on a team yet."
OPEN_PAYMENTS = "Open Payments"


def test_admin_on_no_team_sees_every_team_of_the_organization_and_opens_payments(
    admin_client, organization, service_team, parts_team
):
    content = admin_client.get(f"/o/{organization.slug}/").content.decode()

    assert NOT_ON_A_TEAM not in content
    assert "As an admin, you see the payments of every team." in content
    assert service_team.name in content and parts_team.name in content
    assert OPEN_PAYMENTS in content


def test_admin_of_an_organization_without_teams_is_told_to_create_one(admin_client, organization):
    content = admin_client.get(f"/o/{organization.slug}/").content.decode()

    assert NOT_ON_A_TEAM not in content
    assert "No teams yet: create one in the Teams tab." in content


def test_manager_on_no_team_is_told_so_and_gets_no_payments_button(
    client, organization, service_team
):
    manager = MembershipFactory(organization=organization, role=Role.MANAGER)
    client.force_login(manager.user)

    content = client.get(f"/o/{organization.slug}/").content.decode()

    assert NOT_ON_A_TEAM in content
    assert "As an admin" not in content
    assert service_team.name not in content
    assert OPEN_PAYMENTS not in content


def test_advisor_sees_only_their_own_teams(advisor_client, organization, service_team, parts_team):
    content = advisor_client.get(f"/o/{organization.slug}/").content.decode()

    assert service_team.name in content and parts_team.name not in content
    assert "As an admin" not in content
    assert OPEN_PAYMENTS not in content
