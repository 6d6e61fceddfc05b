"""Who may open what in tickets and their payment requests: every URL, every kind of caller.

Advisors see their own teams' tickets (another team's ticket is not found); managers and admins
see all of the organization's; people of another organization find nothing; anonymous people
go to the login page. Payments on a ticket (amount, fee, net, status, the customer's pay link)
are shown only to members of a payments team of the payment (payments_scoped) and to admins:
a manager of Service opens a Body Shop ticket but not its payments."""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.formats import format_money
from payments import timeline
from payments.requests import services as requests_services
from teams.roles import Role
from tests.factories import PASSWORD, MembershipFactory, TeamFactory
from tests.payments.payments_tab import payment_row
from tickets.services import ticket_open

CALLERS = ("anonymous", "advisor", "other_advisor", "manager", "admin", "outsider")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: dict  # caller -> status
    data: tuple = ()
    # Callers whose answer shows the path's payment (its pay link and amount); None: not checked.
    sees: frozenset | None = None


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
        sees=frozenset({"advisor", "manager", "admin"}),
    ),
    # A ticket of Body Shop, a payments team the manager is not on.
    Row(
        "GET",
        f"{T}/{{body_ticket}}/",
        expected(advisor=404, other_advisor=404, manager=200, admin=200),
        sees=frozenset({"admin"}),  # the timeline's payment events
    ),
    Row(
        "GET",
        f"{T}/{{body_ticket}}/payment-requests/",
        expected(advisor=404, other_advisor=404, manager=200, admin=200),
        sees=frozenset({"admin"}),
    ),
    Row(
        "GET",
        f"{T}/{{body_ticket}}/payment-requests/?part=list",
        expected(advisor=404, other_advisor=404, manager=200, admin=200),
        sees=frozenset({"admin"}),
    ),
    Row(
        "POST",
        f"{T}/{{body_ticket}}/payment-requests/{{body_request}}/resend/",
        expected(advisor=404, other_advisor=404, manager=404, admin=302),
    ),
    Row(
        "GET",
        "/o/lakeside/payments/{body_request}/",
        expected(advisor=403, other_advisor=403, manager=404, admin=200),
        sees=frozenset({"admin"}),
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


@pytest.fixture
def body_request(organization, customer):
    """A request of Body Shop (takes payments; nobody of the callers but the admin is on it),
    its Checkout started: on the Payments tab and with a live pay link."""
    body_shop = TeamFactory(organization=organization, name="Body Shop", payments_enabled=True)
    ticket = ticket_open(organization=organization, team=body_shop, customer=customer)
    payment = payment_row(
        ticket, amount=98_765, at=timezone.now(), status="open", reference="RO-BODY"
    )
    timeline.payment_request_timeline(payment, "payment_request.sent")
    return payment


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.path}")
def test_ticket_urls_answer_each_caller_as_expected(
    client,
    callers,
    ticket,
    payment_request,
    body_request,
    row,
    caller,
    django_capture_on_commit_callbacks,
):
    if caller != "anonymous":
        client.post("/accounts/login/", {"login": callers[caller].email, "password": PASSWORD})
    path = row.path.format(
        ticket=ticket.pk,
        request=payment_request.pk,
        body_ticket=body_request.ticket_id,
        body_request=body_request.pk,
    )
    with django_capture_on_commit_callbacks(execute=False):
        post = row.method == "POST"
        response = client.post(path, dict(row.data)) if post else client.get(path)
    assert response.status_code == row.expected[caller], (caller, path)
    if caller == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if row.sees is not None and response.status_code == 200:
        shown = body_request if "body" in row.path else payment_request
        text = response.content.decode()
        amount = format_money(shown.amount_cents, shown.currency)
        assert (amount in text) == (caller in row.sees), (caller, path, amount)
        if shown is body_request and "/payment-requests/" in row.path:  # untexted: link shown
            link = requests_services.payment_request_link(shown)
            assert (link in text) == (caller in row.sees), (caller, path, "pay link")
