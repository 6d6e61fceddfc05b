"""Flows F0 and F1 on the demo gateway (the default in tests, no HTTP to Stripe): the Admin
tab's Receive payments row before connecting, connecting, returning from onboarding, and every
state Stripe can leave the account in.

The demo gateway posts its events to SITE_URL, which does not run here: calls that emit them
run inside ``django_capture_on_commit_callbacks(execute=False)``."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from accounts import sms
from payments.connect import services as connect_services
from payments.gateway.demo.gateway import DemoGateway
from payments.models import ConnectedAccount, DemoStripeAccount
from payments.webhooks import pipeline as webhooks_pipeline
from teams.models import AuditLog, Invitation
from teams.roles import Role
from tests.payments import stripe_fixtures as sf

ORG = "/o/lakeside"
ADMIN_TAB = f"{ORG}/admin/"
CONNECT = f"{ORG}/admin/stripe/connect/"
RETURN = f"{ORG}/admin/stripe/return/"
REFRESH = f"{ORG}/admin/stripe/refresh/"
DASHBOARD = f"{ORG}/admin/stripe/dashboard/"
CHECKLIST = f"{ORG}/admin/stripe/checklist/"
PAYOUT_SETTINGS = f"{ORG}/admin/payouts/"


def visible(response) -> str:
    """The page's text as a person reads it: tags dropped, entities decoded, spaces folded."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())


def demo_onboarding_prefix(settings, account: ConnectedAccount) -> str:
    return f"{settings.SITE_URL}/demo-stripe/{account.stripe_account_id}/onboarding/"


@pytest.fixture
def quiet(django_capture_on_commit_callbacks):
    """Run a block whose demo events must not be delivered (SITE_URL is not running)."""
    return lambda: django_capture_on_commit_callbacks(execute=False)


def _apply(account: ConnectedAccount, **changes) -> ConnectedAccount:
    """Stripe's current account data with ``changes``, applied as account.updated would."""
    data = sf.deep_update(DemoGateway().retrieve_account(account.stripe_account_id), changes)
    account.refresh_from_db()
    connect_services.connected_account_apply(account=account, data=data, as_of=timezone.now())
    return account


# F0: before connecting ---------------------------------------------------------------------


def test_admin_tab_before_connecting_lists_the_us_checklist(admin_client, organization):
    page = visible(admin_client.get(ADMIN_TAB))

    assert "Receive payments" in page
    assert "Not connected" in page
    assert "Before you connect: what Stripe will ask for" in page
    assert "Employer Identification Number" in page
    assert "Routing number and account number of a US checking account" in page
    assert "Business number" not in page
    assert "E-mail this to accounting" in page
    assert "Connect" in page


def test_admin_tab_before_connecting_lists_the_canadian_checklist(admin_client, organization):
    organization.country = "CA"
    organization.save()

    page = visible(admin_client.get(ADMIN_TAB))

    assert "Business number" in page
    assert "The CRA Business Number (BN); in Québec, the NEQ as well." in page
    assert "Transit number, institution number and account number" in page
    assert "Employer Identification Number" not in page
    assert "Routing number" not in page


def test_admin_tab_outside_us_and_canada_explains_and_offers_no_connect(admin_client, organization):
    organization.country = "FR"
    organization.save()

    page = visible(admin_client.get(ADMIN_TAB))

    assert "Unavailable" in page
    assert "Payments are offered to businesses registered in the United States or Canada" in page
    assert "E-mail this to accounting" not in page


def test_stripe_checklist_emails_the_checklist_and_invites_the_contact_as_manager(
    admin_client, organization, service_team, parts_team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHECKLIST,
            {
                "full_name": "Jordan Books",
                "email": "Jordan@Example.com",
                "mobile_phone": "(312) 555-0123",
            },
        )

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == ADMIN_TAB
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.full_name, invitation.role) == (
        "jordan@example.com",
        "Jordan Books",
        Role.MANAGER,
    )
    assert list(invitation.teams.all()) == [service_team]  # the payments-enabled teams
    checklist = [m for m in mail.outbox if "What Stripe will ask for" in m.subject]
    assert len(checklist) == 1
    assert checklist[0].to == ["jordan@example.com"]
    assert "Lakeside Motors" in checklist[0].subject
    assert "Employer Identification Number" in checklist[0].body
    assert "Routing number and account number" in checklist[0].body
    assert "invitation" in checklist[0].body
    assert len(mail.outbox) == 2  # and the invitation's own e-mail
    assert [m.to for m in sms.outbox] == ["+13125550123"]
    audit = AuditLog.objects.get(action="stripe.checklist_sent")
    assert audit.data == {"email": "jordan@example.com", "invited": True}
    assert AuditLog.objects.filter(action="invitation.created").count() == 1


def test_stripe_checklist_for_a_canadian_organization_sends_the_canadian_items(
    admin_client, organization, django_capture_on_commit_callbacks
):
    organization.country = "CA"
    organization.save()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            CHECKLIST,
            {
                "full_name": "Sam Tremblay",
                "email": "sam@example.ca",
                "mobile_phone": "514 555 0142",
            },
        )

    (checklist,) = [m for m in mail.outbox if "What Stripe will ask for" in m.subject]
    assert "NEQ" in checklist.body
    assert "Transit number, institution number" in checklist.body
    assert "Employer Identification Number" not in checklist.body


def test_stripe_checklist_to_a_member_sends_it_without_an_invitation(
    admin_client, manager_membership, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHECKLIST,
            {
                "full_name": "The Manager",
                "email": manager_membership.user.email,
                "mobile_phone": "(312) 555-0123",
            },
        )

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[manager_membership.user.email]]
    assert not Invitation.objects.exists()
    assert sms.outbox == []
    assert AuditLog.objects.get(action="stripe.checklist_sent").data["invited"] is False


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("mobile_phone", "555", "Enter a valid US or Canadian mobile number"),
        ("mobile_phone", "+44 20 7946 0958", "Text messages go to US and Canadian numbers only"),
        ("email", "not-an-email", "Enter a valid email address"),
        ("full_name", "", "This field is required"),
    ],
    ids=["short-phone", "uk-phone", "bad-email", "no-name"],
)
def test_stripe_checklist_bad_input_answers_422_and_sends_nothing(
    admin_client, organization, django_capture_on_commit_callbacks, field, value, error
):
    data = {"full_name": "Jordan Books", "email": "jordan@example.com"}
    data["mobile_phone"] = "(312) 555-0123"
    data[field] = value
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = admin_client.post(CHECKLIST, data)

    assert response.status_code == 422
    assert error in visible(response)
    assert queued == []
    assert mail.outbox == []
    assert sms.outbox == []
    assert not Invitation.objects.exists()
    assert not AuditLog.objects.exists()


# F1: connect and onboard -------------------------------------------------------------------


def test_stripe_connect_creates_the_account_and_redirects_to_demo_onboarding(
    admin_client, organization, settings, quiet
):
    with quiet():
        response = admin_client.post(CONNECT)

    account = ConnectedAccount.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(demo_onboarding_prefix(settings, account))
    assert account.stripe_account_id.startswith("acct_demo")
    assert (account.country, account.connect_attempt) == ("US", 1)
    demo = DemoStripeAccount.objects.get(stripe_id=account.stripe_account_id)
    assert demo.data["type"] == "express"
    assert demo.data["metadata"]["idempotency_key"] == f"connected-account-{account.pk}-1"
    assert AuditLog.objects.filter(action="stripe.connect_started").count() == 1
    # The demo's stand-in for Stripe's hosted onboarding opens at that link.
    assert admin_client.get(urlsplit(response["Location"]).path).status_code == 200


def test_admin_tab_after_connect_before_onboarding_lists_what_stripe_needs(
    admin_client, lakeside_account
):
    page = visible(admin_client.get(ADMIN_TAB))

    assert "Action required" in page
    assert "Onboarding is not finished. Stripe still needs:" in page
    assert "Bank account for payouts" in page
    assert "Business tax ID (EIN in the US, BN in Canada)" in page
    assert "Continue with Stripe" in page
    assert "Before you connect" not in page


def test_stripe_connect_again_continues_the_same_account(
    admin_client, lakeside_account, settings, quiet
):
    with quiet():
        response = admin_client.post(CONNECT)  # "Continue with Stripe"

    assert response.status_code == 302
    assert response["Location"].startswith(demo_onboarding_prefix(settings, lakeside_account))
    assert ConnectedAccount.objects.get().connect_attempt == 1
    assert DemoStripeAccount.objects.count() == 1


def test_stripe_return_with_unfinished_onboarding_shows_action_required(
    admin_client, lakeside_account, quiet
):
    with quiet():
        DemoGateway().complete_onboarding(
            lakeside_account.stripe_account_id, business_name="x", finish=False
        )

    response = admin_client.get(RETURN, follow=True)

    assert response.redirect_chain[0][0].startswith(ADMIN_TAB)
    page = visible(response)
    assert "Stripe still needs a few details to finish the connection." in page
    assert "Action required" in page
    assert "Stripe needs a few more details:" in page
    assert "Bank account for payouts" in page
    assert "Business tax ID (EIN in the US, BN in Canada)" in page
    assert "Continue with Stripe" in page
    account = ConnectedAccount.objects.get()
    assert account.status == ConnectedAccount.Status.ACTION_REQUIRED
    assert account.details_submitted is True


def test_stripe_return_with_finished_onboarding_shows_connected_and_next_steps(
    admin_client, lakeside_account, quiet
):
    with quiet():
        DemoGateway().complete_onboarding(
            lakeside_account.stripe_account_id, business_name="x", finish=True
        )

    response = admin_client.get(RETURN, follow=True)

    page = visible(response)
    assert "Connected" in page
    assert "Action required" not in page
    assert (
        "Stripe is connected. Next: set the payout schedule and the statement descriptor." in page
    )
    assert "Next: choose when payouts reach your bank" in page
    assert "Payout schedule and statement descriptor" in page
    assert f'href="{PAYOUT_SETTINGS}' in response.content.decode()
    assert "Open Stripe Express dashboard" in page
    account = ConnectedAccount.objects.get()
    assert account.status == ConnectedAccount.Status.CONNECTED
    assert account.connected_at is not None
    assert AuditLog.objects.filter(action="stripe.connected").count() == 1


def test_stripe_connect_when_connected_says_so_and_creates_nothing(
    admin_client, connected_account, quiet
):
    with quiet():
        response = admin_client.post(CONNECT, follow=True)

    assert "Stripe is connected already." in visible(response)
    assert DemoStripeAccount.objects.count() == 1


def test_stripe_dashboard_redirects_to_the_demo_express_dashboard(
    admin_client, connected_account, settings, admin_membership
):
    response = admin_client.post(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(
        f"{settings.SITE_URL}/demo-stripe/{connected_account.stripe_account_id}/dashboard/"
    )
    audit = AuditLog.objects.get(action="stripe.dashboard_opened")
    assert audit.actor == admin_membership.user


def test_stripe_dashboard_without_an_account_asks_to_connect_first(admin_client, organization):
    response = admin_client.post(DASHBOARD, follow=True)
    assert "Connect Stripe first." in visible(response)
    assert not AuditLog.objects.exists()


def test_stripe_refresh_makes_a_fresh_onboarding_link_and_redirects(
    admin_client, lakeside_account, settings, quiet
):
    with quiet():
        first = admin_client.post(CONNECT)["Location"]
        response = admin_client.get(REFRESH)

    assert response.status_code == 302
    fresh = response["Location"]
    assert fresh.startswith(demo_onboarding_prefix(settings, lakeside_account))
    assert fresh != first
    links = DemoStripeAccount.objects.get().data["_demo_links"]
    assert len(links) == 2


def test_stripe_refresh_without_an_account_goes_back_to_the_admin_tab(admin_client, organization):
    response = admin_client.get(REFRESH)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == ADMIN_TAB


def test_admin_tab_shows_a_restricted_account_with_the_reason(admin_client, connected_account):
    _apply(
        connected_account,
        charges_enabled=False,
        payouts_enabled=False,
        requirements={"disabled_reason": "rejected.fraud"},
    )
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.RESTRICTED

    page = visible(admin_client.get(ADMIN_TAB))

    assert "Restricted" in page
    assert "Stripe rejected the account (suspected fraud)." in page
    assert "Open Stripe Express dashboard" not in page
    assert AuditLog.objects.filter(action="stripe.restricted").count() == 1


def test_admin_tab_shows_pending_verification_with_nothing_to_do(admin_client, lakeside_account):
    _apply(
        lakeside_account,
        details_submitted=True,
        requirements={
            "currently_due": [],
            "past_due": [],
            "pending_verification": ["representative.verification.document"],
            "disabled_reason": "requirements.pending_verification",
        },
    )
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.PENDING_VERIFICATION

    page = visible(admin_client.get(ADMIN_TAB))

    assert "Pending verification" in page
    assert "Stripe is verifying the details you gave." in page
    assert "Continue with Stripe" not in page


def test_stripe_return_while_pending_verification_says_stripe_is_verifying(
    admin_client, lakeside_account, quiet
):
    record = DemoStripeAccount.objects.get()
    sf.deep_update(
        record.data,
        {
            "details_submitted": True,
            "requirements": {
                "currently_due": [],
                "pending_verification": ["company.tax_id"],
                "disabled_reason": "requirements.pending_verification",
            },
        },
    )
    record.save()

    response = admin_client.get(RETURN, follow=True)

    page = visible(response)
    assert "Stripe is verifying the details; this can take a little while." in page
    assert "Pending verification" in page


def test_deauthorized_account_shows_disconnected_and_connects_again_with_a_new_account(
    admin_client, connected_account, store_event, settings, quiet, later
):
    acct = connected_account.stripe_account_id
    stored = store_event(
        sf.event(
            "account.application.deauthorized", sf.application(), account=acct, created=later()
        )
    )
    webhooks_pipeline.webhook_event_process(event_id=stored.pk)

    page = visible(admin_client.get(ADMIN_TAB))
    assert "Disconnected" in page
    assert "disconnected its Stripe account from this app" in page
    assert "Connect again" in page
    assert "Open Stripe Express dashboard" not in page

    with quiet():
        response = admin_client.post(CONNECT)

    account = ConnectedAccount.objects.get()
    assert account.pk == connected_account.pk  # one organization, one account row
    assert account.stripe_account_id != acct
    assert response["Location"].startswith(demo_onboarding_prefix(settings, account))
    assert (account.connect_attempt, account.deauthorized_at) == (2, None)
    assert account.status == ConnectedAccount.Status.ONBOARDING
    demo = DemoStripeAccount.objects.get(stripe_id=account.stripe_account_id)
    assert demo.data["metadata"]["idempotency_key"] == f"connected-account-{account.pk}-2"
    assert AuditLog.objects.filter(action="stripe.reconnect_started").count() == 1
