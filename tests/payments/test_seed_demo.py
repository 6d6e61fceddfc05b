"""seed_demo connects Demo Motors through the demo gateway's own onboarding, so the dealership
that comes with three weeks of payments reads Connected everywhere."""

import io

from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from payments.models import ConnectedAccount, DemoStripeAccount, PaymentRequest
from teams.audit import AuditAction
from teams.models import AuditLog

DEMO = "demo-motors"


def test_seeding_the_demo_leaves_demo_motors_connected_with_charges_enabled(db, client):
    call_command("seed_demo", stdout=io.StringIO())

    account = ConnectedAccount.objects.get(organization__slug=DEMO)
    assert account.status == ConnectedAccount.Status.CONNECTED
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert account.card_payments == "active"
    assert not account.currently_due
    assert account.connected_at is not None
    # The demo gateway's account agrees: a finished Express onboarding, as its page leaves it.
    stripe_side = DemoStripeAccount.objects.get(stripe_id=account.stripe_account_id).data
    assert stripe_side["charges_enabled"] and stripe_side["payouts_enabled"]
    assert stripe_side["details_submitted"]
    assert stripe_side["business_profile"]["name"] == "Demo Motors"
    assert PaymentRequest.objects.filter(organization=account.organization).exists()
    actions = set(
        AuditLog.objects.filter(organization=account.organization).values_list("action", flat=True)
    )
    assert {AuditAction.STRIPE_CONNECT_STARTED, AuditAction.STRIPE_CONNECTED} <= actions

    client.force_login(User.objects.get(email="admin@demo.test"))
    page = client.get(reverse("admin_tab", kwargs={"org": DEMO})).content.decode()
    assert "Not connected" not in page
    status = page.split('id="connection-status"', 1)[1].split("</div>", 1)[0]
    assert "Connected" in status
    assert 'id="payout-settings-link"' in page
    overview = client.get(reverse("overview", kwargs={"org": DEMO})).content.decode()
    connect_step = overview.split("Set up text-to-pay", 1)[1].split("Connect Stripe", 1)[0]
    assert "bi-check-circle-fill" in connect_step


def test_seeding_again_keeps_the_one_connected_account(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        call_command("seed_demo", no_history=True, stdout=io.StringIO())
    # No webhook delivery is queued: `make demo` seeds before its server listens.
    assert not queued
    first = ConnectedAccount.objects.get(organization__slug=DEMO).stripe_account_id
    call_command("seed_demo", no_history=True, stdout=io.StringIO())
    account = ConnectedAccount.objects.get(organization__slug=DEMO)
    assert account.stripe_account_id == first
    assert account.status == ConnectedAccount.Status.CONNECTED
    assert DemoStripeAccount.objects.count() == 1


def test_with_real_stripe_keys_the_demo_dealership_is_left_to_its_admin_to_connect(
    db, real_keys, stripe_http
):
    out = io.StringIO()
    call_command("seed_demo", no_history=True, stdout=out)
    assert not ConnectedAccount.objects.filter(organization__slug=DEMO).exists()
    assert not stripe_http.calls  # nothing asked of Stripe
    assert "Stripe: not connected" in out.getvalue()
