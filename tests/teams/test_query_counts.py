"""Query counts pinned: the members and teams screens cost the same with 3 rows or 40.

Each test measures the page small, grows the data on the same organization, measures again and
asserts equality (no N+1), then pins the count with a fixed maximum so a new query per page is
a conscious change. The small case has at least one invitation, one team and one membership per
list: Django skips a prefetch when the outer list is empty, which is not an N+1.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from teams.roles import Role
from tests.factories import InvitationFactory, MembershipFactory, TeamFactory

MANAGE_MAX = 10
TEAM_LIST_MAX = 5
TEAM_DETAIL_MAX = 8
TEAM_LINK = re.compile(r'href="/o/lakeside/teams/\d+/"')


def measure(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode(), [q["sql"] for q in queries]


def diff(small_sql, large_sql):
    """The failure message of an N+1: both query lists, to see which one repeats."""
    return "\n".join(["small:", *small_sql, "", "large:", *large_sql])


def add_members(organization, count, teams):
    roles = [Role.ADVISOR, Role.MANAGER, Role.ADMIN]
    for n in range(count):
        membership = MembershipFactory(organization=organization, role=roles[n % 3])
        # Every member is in one or two teams, so each row shows team badges.
        membership.teams.add(teams[n % len(teams)], teams[(n + 1) % len(teams)])


def add_invitations(organization, count, teams):
    for n in range(count):
        InvitationFactory(organization=organization, teams=[teams[n % len(teams)]])


@pytest.fixture
def signed_in(client, admin_membership):
    client.force_login(admin_membership.user)
    client.get("/o/lakeside/")  # the first page of a session stores the organization in it
    return client


def test_manage_page_queries_do_not_grow_with_members_and_invitations(
    signed_in,
    organization,
    manager_membership,
    advisor_membership,
    service_team,
    django_assert_max_num_queries,
):
    url = "/o/lakeside/manage/"
    InvitationFactory(organization=organization, teams=[service_team])
    small, content, small_sql = measure(signed_in, url)
    assert content.count('id="member-') == 3
    assert content.count('id="invitation-') == 1

    teams = [service_team, *(TeamFactory(organization=organization) for _ in range(4))]
    add_members(organization, 37, teams)
    add_invitations(organization, 14, teams)
    large, content, large_sql = measure(signed_in, url)
    assert content.count('id="member-') == 40
    assert content.count('id="invitation-') == 15

    assert large == small, diff(small_sql, large_sql)
    with django_assert_max_num_queries(MANAGE_MAX):
        signed_in.get(url)


def test_team_list_queries_do_not_grow_with_teams(
    signed_in,
    organization,
    service_team,
    parts_team,
    manager_membership,
    django_assert_max_num_queries,
):
    url = "/o/lakeside/teams/"
    service_team.members.add(manager_membership)
    small, content, small_sql = measure(signed_in, url)
    assert len(TEAM_LINK.findall(content)) == 2

    teams = [TeamFactory(organization=organization) for _ in range(28)]
    add_members(organization, 12, teams)
    large, content, large_sql = measure(signed_in, url)
    assert len(TEAM_LINK.findall(content)) == 30

    assert large == small, diff(small_sql, large_sql)
    with django_assert_max_num_queries(TEAM_LIST_MAX):
        signed_in.get(url)


def test_team_detail_queries_do_not_grow_with_members(
    signed_in,
    organization,
    service_team,
    admin_membership,
    manager_membership,
    advisor_membership,
    django_assert_max_num_queries,
):
    url = f"/o/lakeside/teams/{service_team.pk}/"
    service_team.members.add(admin_membership)
    small, content, small_sql = measure(signed_in, url)
    assert content.count('name="members"') == 3

    add_members(organization, 37, [service_team])
    large, content, large_sql = measure(signed_in, url)
    assert content.count('name="members"') == 40

    assert large == small, diff(small_sql, large_sql)
    with django_assert_max_num_queries(TEAM_DETAIL_MAX):
        signed_in.get(url)
