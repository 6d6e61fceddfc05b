"""Who may open what in tickets and their payment requests: every URL, every kind of caller.

Advisors see their own teams' tickets (another team's ticket is not found); managers and admins
see all of the organization's; people of another organization find nothing; anonymous people
go to the login page."""

from dataclasses import dataclass

import pytest

from teams.roles import Role
from tests.factories import PASSWORD, MembershipFactory

CALLERS = ("anonymous", "advisor", "other_advisor", "manager", "admin", "outsider")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: dict  # caller -> status
    data: tuple = ()


def expected(
    *, advisor: int, other_advisor: int, manager: int, admin: int, anonymous: int = 302
) -> dict:
    return {
        "anonymous": anonymous,
        "advisor": advisor,
        "other_advisor": other_advisor,
        "manager": manager,
        "admin": admin,
        "outsider": 404,
    }


T = "/o/lakeside/tickets"
ROWS = [
    Row("GET", f"{T}/", expected(advisor=200, other_advisor=200, manager=200, admin=200)),
    Row("GET", f"{T}/new/", expected(advisor=200, other_advisor=200, manager=200, admin=200)),
    Row(
        "GET", f"{T}/{{ticket}}/", expected(advisor=200, other_advisor=404, manager=200, admin=200)
    ),
    Row(
        "POST",
        f"{T}/{{ticket}}/messages/",
        expected(advisor=302, other_advisor=404, manager=302, admin=302),
        (("body", "Hello"),),
    ),
    Row(
        "GET",
        f"{T}/{{ticket}}/payment-requests/",
        expected(advisor=200, other_advisor=404, manager=200, admin=200),
    ),
    Row(
        "POST",
        f"{T}/{{ticket}}/payment-requests/",
        # The manager is in Service too; the admin may request in any payments team.
        expected(advisor=302, other_advisor=404, manager=302, admin=302),
        (("amount", "25.00"), ("description", "Oil change")),
    ),
    Row(
        "POST",
        f"{T}/{{ticket}}/payment-requests/{{request}}/resend/",
        expected(advisor=302, other_advisor=404, manager=302, admin=302),
    ),
    Row(
        "POST",
        f"{T}/{{ticket}}/payment-requests/{{request}}/cancel/",
        expected(advisor=302, other_advisor=404, manager=302, admin=302),
    ),
    Row(
        "POST",
        f"{T}/{{ticket}}/close/",
        expected(advisor=302, other_advisor=404, manager=302, admin=302),
    ),
]


@pytest.fixture
def callers(
    organization,
    parts_team,
    admin_membership,
    manager_membership,
    advisor_membership,
    outsider_membership,
):
    other = MembershipFactory(
        organization=organization, role=Role.ADVISOR, user__email="parts@lakeside.test"
    )
    parts_team.members.add(other)
    return {
        "advisor": advisor_membership.user,
        "other_advisor": other.user,
        "manager": manager_membership.user,
        "admin": admin_membership.user,
        "outsider": outsider_membership.user,
    }


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.path}")
def test_ticket_urls_answer_each_caller_as_expected(
    client, callers, ticket, payment_request, row, caller, django_capture_on_commit_callbacks
):
    if caller != "anonymous":
        client.post("/accounts/login/", {"login": callers[caller].email, "password": PASSWORD})
    path = row.path.format(ticket=ticket.pk, request=payment_request.pk)
    with django_capture_on_commit_callbacks(execute=False):
        post = row.method == "POST"
        response = client.post(path, dict(row.data)) if post else client.get(path)
    assert response.status_code == row.expected[caller], (caller, path)
    if caller == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
