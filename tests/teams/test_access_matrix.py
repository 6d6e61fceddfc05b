"""Who may open what: every URL of an organization, for every kind of caller.

The gate (teams/access.py) answers 404 to anyone outside the organization, 403 to a member
without the capability, and lets the others through; anonymous people go to the login page.

Stripe runs on the demo gateway here (no STRIPE_SECRET_KEY): Connect and the Express dashboard
redirect to its local pages under /demo-stripe/.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern
from django.utils import timezone

import payments.connect.urls
import payments.ledger.urls
import payments.payouts.urls
import teams.urls
from payments.connect import services as connect_services
from payments.gateway.demo.gateway import DemoGateway
from payments.models import PaymentRequest, Payout
from teams.models import AuditLog, Invitation, Membership, Team
from teams.roles import Role
from tests.factories import InvitationFactory, MembershipFactory, TeamFactory
from tests.payments.payments_tab import payment_row
from tickets.services import customer_get_or_create, ticket_open

ORG = "lakeside"
CALLERS = ("anonymous", "advisor", "manager", "admin", "outsider")
MEMBERS = frozenset({"advisor", "manager", "admin"})
ADMIN = frozenset({"admin"})
PAYMENTS = frozenset({"admin", "manager"})  # the manager is in Service, which takes payments


@dataclass(frozen=True)
class Route:
    name: str  # the URL pattern's name
    method: str
    path: str  # formatted with the lakeside objects: {team}, {member}, {invitation}
    allowed: frozenset[str]  # members holding the capability
    success: int = 200
    data: dict = field(default_factory=dict)
    redirect_to: str = ""  # where a successful POST sends the person (prefix)
    audit: str = ""  # the audit action a successful POST writes
    post_only: bool = False  # a GET of it is refused with 405 before anything else
    account: str = ""  # lakeside's Stripe account beforehand: "", "onboarding" or "connected"
    variant: str = ""  # tells apart two rows of one URL and method in the test ids
    not_found: frozenset[str] = frozenset()  # members who may not know the object exists
    shows: str = ""  # text of another team's payment, on the page only for ``shown_to``
    shown_to: frozenset[str] = frozenset()


def _route(name, path, allowed, **post):
    """A GET row and, when ``post`` is given, a POST row for one URL."""
    rows = [Route(name, "GET", path, allowed)]
    if post:
        rows.append(Route(name, "POST", path, ADMIN, success=302, **post))
    return rows


def _post_only(name, path, **post):
    return [
        Route(name, "GET", path, MEMBERS, success=405, post_only=True),
        Route(name, "POST", path, ADMIN, success=302, **post),
    ]


MANAGE = f"/o/{ORG}/manage/"
ROUTES = [
    *_route("overview", f"/o/{ORG}/", MEMBERS),
    *_route("manage", MANAGE, ADMIN),
    *_post_only(
        "invitation_create",
        f"/o/{ORG}/manage/invitations/",
        data={
            "full_name": "Jordan Books",
            "email": "jordan@example.com",
            "mobile_phone": "(312) 555-0123",
            "role": Role.MANAGER,
            "teams": ["{team}"],
        },
        redirect_to=MANAGE,
        audit="invitation.created",
    ),
    *_post_only(
        "invitation_resend",
        f"/o/{ORG}/manage/invitations/{{invitation}}/resend/",
        redirect_to=MANAGE,
        audit="invitation.resent",
    ),
    *_post_only(
        "invitation_revoke",
        f"/o/{ORG}/manage/invitations/{{invitation}}/revoke/",
        redirect_to=MANAGE,
        audit="invitation.revoked",
    ),
    *_post_only(
        "member_role",
        f"/o/{ORG}/manage/members/{{member}}/role/",
        data={"role": Role.MANAGER},
        redirect_to=MANAGE,
        audit="membership.role_changed",
    ),
    *_post_only(
        "member_remove",
        f"/o/{ORG}/manage/members/{{member}}/remove/",
        redirect_to=MANAGE,
        audit="membership.removed",
    ),
    *_route(
        "team_list",
        f"/o/{ORG}/teams/",
        MEMBERS,
        data={"name": "Body Shop"},
        redirect_to=f"/o/{ORG}/teams/",
        audit="team.created",
    ),
    *_route(
        "team_detail",
        f"/o/{ORG}/teams/{{team}}/",
        MEMBERS,
        data={"name": "Service Drive", "members": ["{member}"], "payments_enabled": "on"},
        redirect_to=f"/o/{ORG}/teams/{{team}}/",
        audit="team.updated",
    ),
    *_route(
        "admin_tab",
        f"/o/{ORG}/admin/",
        ADMIN,
        data={"name": "Lakeside Motors Inc.", "country": "US", "time_zone": "America/Chicago"},
        redirect_to=f"/o/{ORG}/admin/",
        audit="organization.updated",
    ),
    # Admins, and managers of a payments-enabled team (the manager is in Service).
    *_route("payment_list", f"/o/{ORG}/payments/", frozenset({"admin", "manager"})),
    *_route("payment_export_csv", f"/o/{ORG}/payments/export.csv", PAYMENTS),
    *_route("payment_export_xlsx", f"/o/{ORG}/payments/export.xlsx", PAYMENTS),
    *_route("payment_detail", f"/o/{ORG}/payments/{{payment}}/", PAYMENTS),
    # A payment of Detailing, a payments team the manager is not on: not found for them.
    Route(
        "payment_detail",
        "GET",
        f"/o/{ORG}/payments/{{body_payment}}/",
        ADMIN,
        not_found=frozenset({"manager"}),
        variant="other-team",
    ),
    # Payouts: admins and managers of a payments team. A payout holding another team's
    # payment shows it to the manager only as the "Other teams" row (no customer, no RO).
    *_route("payout_list", f"/o/{ORG}/payouts/", PAYMENTS),
    Route(
        "payout_detail",
        "GET",
        f"/o/{ORG}/payouts/{{payout}}/",
        PAYMENTS,
        shows="RO-BODY-77",
        shown_to=ADMIN,
    ),
    Route(
        "payout_refresh",
        "GET",
        f"/o/{ORG}/payouts/{{payout}}/refresh/",
        MEMBERS,
        405,
        post_only=True,
    ),
    Route(
        "payout_refresh",
        "POST",
        f"/o/{ORG}/payouts/{{payout}}/refresh/",
        PAYMENTS,
        success=302,
        redirect_to=f"/o/{ORG}/payouts/{{payout}}/",  # no Stripe account here: told so
    ),
    # Posted to the DBS and undone (F6): managers of the payment's team and admins.
    Route(
        "payment_post", "GET", f"/o/{ORG}/payments/{{payment}}/post/", MEMBERS, 405, post_only=True
    ),
    Route(
        "payment_post",
        "POST",
        f"/o/{ORG}/payments/{{payment}}/post/",
        PAYMENTS,
        success=302,
        data={"reference": "DBS-5501"},
        redirect_to=f"/o/{ORG}/payments/{{payment}}/",
        audit="payment_request.posted",
    ),
    Route(
        "payment_unpost",
        "GET",
        f"/o/{ORG}/payments/{{posted}}/unpost/",
        MEMBERS,
        405,
        post_only=True,
    ),
    Route(
        "payment_unpost",
        "POST",
        f"/o/{ORG}/payments/{{posted}}/unpost/",
        PAYMENTS,
        success=302,
        redirect_to=f"/o/{ORG}/payments/{{posted}}/",
        audit="payment_request.unposted",
    ),
    # Stripe Connect (Admin tab → Connections): admins only.
    *_post_only(
        "stripe_connect",
        f"/o/{ORG}/admin/stripe/connect/",
        redirect_to="/demo-stripe/",  # the demo's stand-in for Stripe's hosted onboarding
        audit="stripe.connect_started",
    ),
    # Back from onboarding: re-read the account, then the Admin tab.
    Route(
        "stripe_return", "GET", f"/o/{ORG}/admin/stripe/return/", ADMIN, 302, account="onboarding"
    ),
    # An expired or used onboarding link: a fresh one.
    Route(
        "stripe_refresh", "GET", f"/o/{ORG}/admin/stripe/refresh/", ADMIN, 302, account="onboarding"
    ),
    *_post_only(
        "stripe_dashboard",
        f"/o/{ORG}/admin/stripe/dashboard/",
        redirect_to="/demo-stripe/",  # the login link of the (demo) Express dashboard
        audit="stripe.dashboard_opened",
        account="connected",
    ),
    *_post_only(
        "stripe_checklist",
        f"/o/{ORG}/admin/stripe/checklist/",
        data={
            "full_name": "Casey Ledger",
            "email": "casey@example.com",
            "mobile_phone": "(312) 555-0177",
        },
        redirect_to=f"/o/{ORG}/admin/",
        audit="stripe.checklist_sent",
    ),
    # Payout settings, behind a recent password check (sign_in gives a fresh one).
    Route("payout_settings", "GET", f"/o/{ORG}/admin/payouts/", ADMIN),
    Route(
        "payout_settings",
        "POST",
        f"/o/{ORG}/admin/payouts/",
        ADMIN,
        success=409,  # no connected Stripe account yet: nothing to set
        data={"form": "descriptor", "descriptor": "LAKESIDE MOTORS"},
        variant="not-connected",
    ),
    Route(
        "payout_settings",
        "POST",
        f"/o/{ORG}/admin/payouts/",
        ADMIN,
        success=302,
        data={"form": "descriptor", "descriptor": "LAKESIDE SERVICE"},
        redirect_to=f"/o/{ORG}/admin/payouts/",
        audit="stripe.statement_descriptor_updated",
        account="connected",
        variant="connected",
    ),
]


def expected_status(route: Route, caller: str) -> int:
    if caller == "anonymous":
        return 302  # to the login page
    if route.post_only:
        return 405
    if caller == "outsider" or caller in route.not_found:
        return 404
    return route.success if caller in route.allowed else 403


CASES = [
    pytest.param(
        route,
        caller,
        id="-".join(filter(None, [route.name, route.method, route.variant, caller])),
    )
    for route in ROUTES
    for caller in CALLERS
]


@pytest.fixture
def lakeside(
    organization,
    service_team,
    admin_membership,
    manager_membership,
    advisor_membership,
    outsider_membership,
):
    """The lakeside objects the object URLs point at, and everyone who calls them."""
    target = MembershipFactory(
        organization=organization, role=Role.ADVISOR, user__full_name="Riley Target"
    )
    invitation = InvitationFactory(organization=organization, teams=[service_team])
    customer = customer_get_or_create(
        organization=organization, name="Dana Driver", mobile_phone="+13125550143"
    )
    ticket = ticket_open(organization=organization, team=service_team, customer=customer)
    payment = payment_row(ticket, at=timezone.now())
    posted = payment_row(
        ticket, at=timezone.now(), posted_at=timezone.now(), posted_reference="DBS-1"
    )
    body_shop = TeamFactory(organization=organization, name="Detailing", payments_enabled=True)
    body_ticket = ticket_open(organization=organization, team=body_shop, customer=customer)
    payout = Payout.objects.create(
        organization=organization,
        stripe_payout_id="po_matrix_1",
        amount_cents=0,
        currency="usd",
        arrival_date=timezone.now().date(),
        status="paid",
        stripe_created=timezone.now(),
        synced_at=timezone.now(),
    )
    body_payment = payment_row(body_ticket, at=timezone.now(), reference="RO-BODY-77")
    PaymentRequest.objects.filter(pk__in=[payment.pk, body_payment.pk]).update(payout=payout)
    return {
        "ids": {
            "team": service_team.pk,
            "member": target.pk,
            "invitation": invitation.pk,
            "payment": payment.pk,
            "posted": posted.pk,
            "body_payment": body_payment.pk,
            "payout": payout.pk,
        },
        "callers": {
            "admin": admin_membership.user,
            "manager": manager_membership.user,
            "advisor": advisor_membership.user,
            "outsider": outsider_membership.user,
        },
    }


def _stripe_account(organization, admin, kind):
    """Lakeside's Express account on the demo gateway, unfinished or fully onboarded.

    The demo delivers its events to SITE_URL after commit, which never comes in these tests."""
    account = connect_services.connected_account_start(organization=organization, actor=admin)
    if kind == "connected":
        DemoGateway().complete_onboarding(
            account.stripe_account_id, business_name=organization.name, finish=True
        )
        account = connect_services.connected_account_refresh(account=account)
    return account


def _fill(value, ids):
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value.format(**ids) if isinstance(value, str) else value


@pytest.mark.parametrize(("route", "caller"), CASES)
def test_organization_urls_answer_each_caller_by_role(
    client, sign_in, lakeside, organization, route, caller
):
    ids = lakeside["ids"]
    if route.account:
        _stripe_account(organization, lakeside["callers"]["admin"], route.account)
    if caller != "anonymous":
        sign_in(client, lakeside["callers"][caller])
    path = route.path.format(**ids)
    audit_before = AuditLog.objects.count()

    if route.method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, {k: _fill(v, ids) for k, v in route.data.items()})

    expected = expected_status(route, caller)
    assert response.status_code == expected
    if caller == "anonymous":
        assert response["Location"] == f"/accounts/login/?next={path}"
    if route.method == "POST" and expected == 302 and caller != "anonymous":
        # Done, not diverted to the password confirmation or the login page.
        assert urlsplit(response["Location"]).path.startswith(_fill(route.redirect_to, ids))
        if route.audit:
            assert AuditLog.objects.filter(action=route.audit).count() == 1
    else:
        assert AuditLog.objects.count() == audit_before  # a refusal writes nothing
    if route.shows and response.status_code == 200:
        assert (route.shows in response.content.decode()) == (caller in route.shown_to)


def test_access_matrix_covers_every_organization_url():
    """A new route must join the table above, or this fails."""
    names = {
        p.name
        for p in [
            *teams.urls.urlpatterns,
            *payments.ledger.urls.urlpatterns,
            *payments.connect.urls.urlpatterns,
            *payments.payouts.urls.urlpatterns,
        ]
        if isinstance(p, URLPattern)
    }
    assert names == {route.name for route in ROUTES}


# Objects of another organization, asked for through our own organization's URLs --------


@pytest.fixture
def hilltop_objects(other_organization, outsider_membership):
    team = TeamFactory(organization=other_organization, name="Hilltop Service")
    member = MembershipFactory(organization=other_organization, role=Role.ADVISOR)
    team.members.add(member)
    invitation = InvitationFactory(organization=other_organization, teams=[team])
    return {"team": team.pk, "member": member.pk, "invitation": invitation.pk}


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "teams/{team}/", {}),
        ("POST", "teams/{team}/", {"name": "Mine now", "payments_enabled": "on"}),
        ("POST", "manage/members/{member}/role/", {"role": Role.ADMIN}),
        ("POST", "manage/members/{member}/remove/", {}),
        ("POST", "manage/invitations/{invitation}/resend/", {}),
        ("POST", "manage/invitations/{invitation}/revoke/", {}),
    ],
    ids=["team-GET", "team-POST", "member-role", "member-remove", "resend", "revoke"],
)
def test_admin_asking_for_another_organizations_object_gets_404(
    client, sign_in, admin_membership, hilltop_objects, method, path, data
):
    sign_in(client, admin_membership.user)  # a fresh password check: no reauthentication
    url = f"/o/{ORG}/" + path.format(**hilltop_objects)

    response = client.get(url) if method == "GET" else client.post(url, data)

    assert response.status_code == 404
    team = Team.objects.get(pk=hilltop_objects["team"])
    assert (team.name, team.payments_enabled) == ("Hilltop Service", False)
    member = Membership.objects.get(pk=hilltop_objects["member"])
    assert member.role == Role.ADVISOR
    invitation = Invitation.objects.get(pk=hilltop_objects["invitation"])
    assert invitation.revoked_at is None
    assert invitation.send_count == 1
    assert not AuditLog.objects.exists()


# Public URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/", 302, "/accounts/login/?next=/"),
        ("/organizations/new/", 302, "/accounts/login/?next=/organizations/new/"),
        ("/health/", 200, None),
        ("/accounts/login/", 200, None),
        ("/invitations/no-such-token-abcdefghijklmnopqrstuvwxyz/", 404, None),
    ],
    ids=["home", "organization-create", "health", "login", "unknown-invitation"],
)
def test_public_urls_answer_anonymous_people(client, db, path, status, location):
    response = client.get(path)
    assert response.status_code == status
    if location:
        assert response["Location"] == location


def test_invitation_link_opens_for_anonymous_invitee(client, organization, service_team):
    invitation = InvitationFactory(organization=organization, teams=[service_team])

    response = client.get(f"/invitations/{invitation.token}/")

    assert response.status_code == 200
    assert b"Lakeside Motors" in response.content


def test_home_sends_a_member_to_their_organization(client, sign_in, advisor_membership):
    sign_in(client, advisor_membership.user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"/o/{ORG}/"


# Reauthentication of sensitive member changes --------------------------------------------


@pytest.mark.parametrize(
    ("action", "data"),
    [("role", {"role": Role.MANAGER}), ("remove", {})],
)
def test_member_change_with_stale_password_check_asks_for_password_and_changes_nothing(
    client, sign_in, settings, organization, admin_membership, advisor_membership, action, data
):
    sign_in(client, admin_membership.user)
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0  # every password check is now too old

    response = client.post(
        f"/o/{ORG}/manage/members/{advisor_membership.pk}/{action}/", data, follow=False
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert Membership.objects.get(pk=advisor_membership.pk).role == Role.ADVISOR
    assert not AuditLog.objects.exists()


def test_member_role_change_after_force_login_without_password_asks_for_it(
    admin_client, organization, advisor_membership
):
    """A session that never proved the password (force_login) is not a recent check."""
    response = admin_client.post(
        f"/o/{ORG}/manage/members/{advisor_membership.pk}/role/", {"role": Role.MANAGER}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    advisor_membership.refresh_from_db()
    assert advisor_membership.role == Role.ADVISOR
