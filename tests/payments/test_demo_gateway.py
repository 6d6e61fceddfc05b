"""The demo gateway's pages: Stripe's hosted onboarding and Express dashboard, played locally.

The end-to-end tests run the production pipeline on pytest-django's live server: the demo
page POSTs a signed event to our Connect webhook endpoint, which stores it and processes it
(Celery is eager in tests), exactly as with Stripe.
"""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import mail, signing
from django.urls import reverse

from payments.connect.services import connected_account_start
from payments.gateway.demo import accounts as demo_accounts
from payments.gateway.demo import base as demo_base
from payments.gateway.demo.gateway import DemoGateway
from payments.gateway.demo.views import PayoutForm
from payments.models import ConnectedAccount, DemoStripeAccount, Payout, WebhookEvent

BANNER = "Demo payments: no real money"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def account(organization, admin_membership):
    return connected_account_start(organization=organization, actor=admin_membership.user)


def demo_data(account: ConnectedAccount) -> dict:
    return DemoStripeAccount.objects.get(stripe_id=account.stripe_account_id).data


def app_urls(account: ConnectedAccount, site: str) -> tuple[str, str]:
    org = account.organization.slug
    return (
        site + reverse("stripe_refresh", kwargs={"org": org}),
        site + reverse("stripe_return", kwargs={"org": org}),
    )


def onboarding_link(account: ConnectedAccount, site: str = "http://testserver") -> str:
    refresh_url, return_url = app_urls(account, site)
    return DemoGateway().create_onboarding_link(
        account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def public_state(account: ConnectedAccount) -> dict:
    """The account as Stripe's API shows it (the links' bookkeeping left out)."""
    return DemoGateway().retrieve_account(account.stripe_account_id)


def finish_onboarding(account: ConnectedAccount) -> None:
    DemoGateway().complete_onboarding(
        account.stripe_account_id, business_name="Lakeside Motors", finish=True
    )


# Hosted onboarding ------------------------------------------------------------------------


def test_onboarding_page_shows_banner_dealership_and_checklist(client, account):
    url = path_of(onboarding_link(account))
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert BANNER in page
    assert "This page stands in for Stripe" in page and "hosted onboarding" in page
    assert 'value="Lakeside Motors"' in page  # the business name field, prefilled
    assert "United States" in page
    assert "Employer Identification Number" in page  # the US checklist
    assert "Submit and finish" in page and "Save and finish later" in page
    assert response["Cache-Control"].startswith("max-age=0")
    # Not our app shell: no sidebar, no scripts (the page plays Stripe's domain).
    assert "<script" not in page and "app-sidebar" not in page
    # Looking does not use the link.
    assert client.get(url).status_code == 200


def test_onboarding_page_for_canada_asks_for_the_business_number(client, organization, account):
    DemoStripeAccount.objects.filter(stripe_id=account.stripe_account_id).update(
        data={**demo_data(account), "country": "CA"}
    )
    page = client.get(path_of(onboarding_link(account))).content.decode()
    assert "Canada" in page and "Business number" in page


def test_submit_and_finish_completes_the_account_and_returns(client, account):
    url = path_of(onboarding_link(account))
    _refresh_url, return_url = app_urls(account, "http://testserver")
    response = client.post(url, {"business_name": "Lakeside Motors LLC", "action": "submit"})
    assert response.status_code == 303
    assert response["Location"] == return_url
    data = demo_data(account)
    assert data["details_submitted"] is True
    assert data["charges_enabled"] is True and data["payouts_enabled"] is True
    assert data["capabilities"] == {"card_payments": "active", "transfers": "active"}
    assert data["requirements"]["currently_due"] == []
    assert data["requirements"]["past_due"] == []
    assert data["requirements"]["eventually_due"] == []
    assert data["requirements"]["disabled_reason"] is None
    assert data["business_profile"]["name"] == "Lakeside Motors LLC"


def test_save_and_finish_later_leaves_requirements_due(client, account):
    url = path_of(onboarding_link(account))
    response = client.post(url, {"business_name": "Lakeside Motors", "action": "later"})
    assert response.status_code == 303
    data = demo_data(account)
    assert data["details_submitted"] is True
    assert data["charges_enabled"] is False and data["payouts_enabled"] is False
    assert data["requirements"]["currently_due"]
    assert data["capabilities"]["card_payments"] == "inactive"


def test_a_used_link_goes_to_refresh_url_on_get_and_to_the_expired_page_on_post(client, account):
    url = path_of(onboarding_link(account))
    refresh_url, _return_url = app_urls(account, "http://testserver")
    client.post(url, {"business_name": "Lakeside Motors", "action": "later"})
    before = public_state(account)

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == refresh_url

    response = client.post(url, {"business_name": "Someone Else", "action": "submit"})
    assert response.status_code == 303
    expired = reverse("demo_stripe_onboarding_expired", args=[account.stripe_account_id])
    assert response["Location"] == expired
    assert public_state(account) == before  # nothing changed

    page = client.get(expired)
    assert page.status_code == 200
    assert BANNER in page.content.decode()
    assert "This link has expired" in page.content.decode()
    assert reverse("stripe_refresh", kwargs={"org": "lakeside"}) in page.content.decode()


@pytest.mark.parametrize("how", ["stored expiry", "clock"])
def test_an_expired_link_changes_nothing(client, account, monkeypatch, how):
    link = onboarding_link(account)
    url = path_of(link)
    token = url.rstrip("/").rsplit("/", 1)[1]
    refresh_url, _return_url = app_urls(account, "http://testserver")
    if how == "clock":
        now = time.time()
        monkeypatch.setattr(demo_base.time, "time", lambda: now + 301)
    else:
        record = DemoStripeAccount.objects.get(stripe_id=account.stripe_account_id)
        record.data["_demo_links"][token]["expires_at"] = int(time.time()) - 1
        record.save()
    before = public_state(account)

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == refresh_url

    response = client.post(url, {"business_name": "Lakeside Motors", "action": "submit"})
    assert response.status_code == 303
    assert response["Location"] == reverse(
        "demo_stripe_onboarding_expired", args=[account.stripe_account_id]
    )
    assert public_state(account) == before
    assert before["details_submitted"] is False


def test_an_unknown_token_shows_the_expired_page(client, account):
    url = reverse("demo_stripe_onboarding", args=[account.stripe_account_id, "no-such-token"])
    expired = reverse("demo_stripe_onboarding_expired", args=[account.stripe_account_id])
    assert client.get(url)["Location"] == expired
    assert client.post(url, {"business_name": "X", "action": "submit"})["Location"] == expired
    assert demo_data(account)["details_submitted"] is False


def test_an_unknown_account_is_404(client, db):
    for url in (
        reverse("demo_stripe_onboarding", args=["acct_nope", "tok"]),
        reverse("demo_stripe_onboarding_expired", args=["acct_nope"]),
        reverse("demo_stripe_dashboard", args=["acct_nope"]),
    ):
        assert client.get(url).status_code == 404


def test_a_blank_business_name_is_refused_and_the_link_stays_usable(client, account):
    url = path_of(onboarding_link(account))
    response = client.post(url, {"business_name": "  ", "action": "submit"})
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    assert demo_data(account)["details_submitted"] is False
    response = client.post(url, {"business_name": "Lakeside Motors", "action": "submit"})
    assert response.status_code == 303
    assert demo_data(account)["details_submitted"] is True


def test_a_link_is_used_once_even_by_two_requests(account):
    gateway = DemoGateway()
    token = path_of(onboarding_link(account)).rstrip("/").rsplit("/", 1)[1]
    assert gateway.use_onboarding_link(account.stripe_account_id, token) is not None
    assert gateway.use_onboarding_link(account.stripe_account_id, token) is None
    assert gateway.peek_onboarding_link(account.stripe_account_id, token)["usable"] is False


def test_the_api_answers_never_show_the_demo_bookkeeping(account):
    onboarding_link(account)
    assert "_demo_links" in demo_data(account)
    assert not [key for key in public_state(account) if key.startswith("_demo")]


# The Express dashboard --------------------------------------------------------------------


def dashboard_url(account: ConnectedAccount) -> str:
    link = DemoGateway().create_login_link(account.stripe_account_id)
    assert parse_qs(urlsplit(link).query)["t"]
    return path_of(link)


def test_the_dashboard_shows_status_schedule_and_descriptor(client, account):
    finish_onboarding(account)
    response = client.get(dashboard_url(account))
    assert response.status_code == 200
    page = response.content.decode()
    assert BANNER in page and "Express dashboard" in page
    assert "Complete" in page
    assert "Daily, 2-day rolling basis" in page
    assert "LAKESIDE MOTORS" in page
    assert "Simulate a payout" in page


def test_the_dashboard_of_an_unfinished_account_lists_what_is_due(client, account):
    response = client.get(dashboard_url(account))
    page = response.content.decode()
    assert "Onboarding not finished" in page
    assert "Bank account for payouts" in page
    assert "Payouts start once onboarding is finished" in page
    response = client.post(dashboard_url(account), {"amount": "10.00", "outcome": "paid"})
    assert response.status_code == 422
    assert "_demo_payouts" not in demo_data(account)


def test_the_dashboard_needs_its_signed_token(client, account, other_organization):
    plain = reverse("demo_stripe_dashboard", args=[account.stripe_account_id])
    response = client.get(plain)
    assert response.status_code == 403
    assert "needs a valid dashboard link" in response.content.decode()
    assert BANNER in response.content.decode()

    response = client.get(plain + "?t=" + account.stripe_account_id + ":forged:sig")
    assert response.status_code == 403

    # A valid token for another account opens nothing here.
    other = connected_account_start(
        organization=other_organization,
        actor=account.organization.memberships.get().user,
    )
    other_token = parse_qs(urlsplit(dashboard_url(other)).query)["t"][0]
    assert client.get(plain, {"t": other_token}).status_code == 403

    # POST needs it too.
    assert client.post(plain, {"amount": "1.00", "outcome": "paid"}).status_code == 403


def test_a_dashboard_token_expires_after_ten_minutes(client, account, monkeypatch):
    url = dashboard_url(account)
    assert client.get(url).status_code == 200
    now = time.time()
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: now + 601))
    response = client.get(url)
    assert response.status_code == 403
    assert "This dashboard link has expired" in response.content.decode()
    assert reverse("admin_tab", kwargs={"org": "lakeside"}) in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1250.00", 125000),
        ("1,250", 125000),
        ("$ 0.50", 50),
        ("19.9", 1990),
        ("0.01", 1),
        ("1000000", 100_000_000),
        ("1e2", 10000),
    ],
)
def test_payout_amounts_become_exact_cents(typed, cents):
    form = PayoutForm({"amount": typed, "outcome": "paid"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == cents
    assert isinstance(form.cleaned_data["amount"], int)


@pytest.mark.parametrize(
    "typed", ["", "abc", "0", "-5", "12.345", "0.001", "NaN", "Infinity", "1e400", "1000000.01"]
)
def test_bad_payout_amounts_are_refused(typed):
    form = PayoutForm({"amount": typed, "outcome": "paid"})
    assert not form.is_valid()
    assert "amount" in form.errors


def test_a_bad_amount_is_shown_on_the_form_and_sends_nothing(client, account):
    finish_onboarding(account)
    response = client.post(dashboard_url(account), {"amount": "12.345", "outcome": "paid"})
    assert response.status_code == 422
    assert "at most two digits" in response.content.decode()
    assert not demo_data(account).get("_demo_payouts")


# Real keys configured: the demo is gone --------------------------------------------------


def test_every_demo_page_is_404_with_real_keys(client, account, settings):
    onboarding = path_of(onboarding_link(account))
    dashboard = dashboard_url(account)
    expired = reverse("demo_stripe_onboarding_expired", args=[account.stripe_account_id])
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.PAYMENT_GATEWAY = "stripe"
    for url in (onboarding, dashboard, expired):
        assert client.get(url).status_code == 404
        assert client.post(url, {"business_name": "X", "action": "submit"}).status_code == 404
    assert demo_data(account)["details_submitted"] is False


# End to end through the live server: the production webhook pipeline -------------------


@pytest.fixture
def live_site(transactional_db, live_server, settings):
    settings.SITE_URL = live_server.url
    return live_server.url


def form_token(response: requests.Response) -> str:
    match = CSRF_INPUT.search(response.text)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_onboarding_end_to_end_makes_the_account_connected(live_site, account):
    assert account.status == ConnectedAccount.Status.ONBOARDING
    _refresh_url, return_url = app_urls(account, live_site)
    browser = requests.Session()
    page = browser.get(onboarding_link(account, live_site), timeout=10)
    assert page.status_code == 200 and BANNER in page.text

    response = browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": form_token(page),
            "business_name": "Lakeside Motors",
            "action": "submit",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == return_url

    # Stripe (demo) delivered account.updated to our Connect endpoint, signed; it was stored,
    # processed, and our row follows. Nothing re-read the account: the event did it.
    event = WebhookEvent.objects.get(type="account.updated")
    assert event.endpoint == WebhookEvent.Endpoint.CONNECT
    assert event.account == account.stripe_account_id
    assert event.status == WebhookEvent.Status.PROCESSED, event.error
    assert "_demo_links" not in event.payload["data"]["object"]
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.CONNECTED
    assert account.connected_at is not None


@pytest.mark.parametrize(
    ("outcome", "subject_words"),
    [("paid", "payout of $1,250.00 expected on"), ("failed", "payout of $1,250.00 failed")],
)
def test_a_simulated_payout_ends_in_our_payout_row_and_the_email(
    live_site, account, admin_membership, outcome, subject_words
):
    finish_onboarding(account)  # delivered as account.updated through the live server
    account.refresh_from_db()
    account.payout_recipients.add(admin_membership)
    mail.outbox.clear()

    browser = requests.Session()
    url = DemoGateway().create_login_link(account.stripe_account_id)
    page = browser.get(url, timeout=10)
    assert page.status_code == 200 and "Express dashboard" in page.text
    response = browser.post(
        url,
        data={"csrfmiddlewaretoken": form_token(page), "amount": "1,250.00", "outcome": outcome},
        timeout=30,
    )
    assert response.status_code == 200
    assert f"Stripe sent payout.{outcome} for $1,250.00: check the payout e-mail" in (response.text)

    payout = Payout.objects.get(organization=account.organization)
    assert payout.amount_cents == 125000
    assert payout.currency == "usd"
    assert payout.status == outcome
    assert list(
        WebhookEvent.objects.filter(type__startswith="payout.")
        .order_by("created", "pk")
        .values_list("type", "status")
    ) == [("payout.created", "processed"), (f"payout.{outcome}", "processed")]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["admin@lakeside.test"]
    assert subject_words in mail.outbox[0].subject


def test_an_account_update_in_the_same_second_as_our_last_read_is_applied(
    live_site, account, monkeypatch
):
    # Stripe's clock, as the demo gateway reads it: the same second as our read, just after.
    read_at = ConnectedAccount.objects.get(pk=account.pk).synced_at.timestamp()
    clock = SimpleNamespace(time=lambda: read_at + 0.001)
    for module in (demo_accounts, demo_base):
        monkeypatch.setattr(module, "time", clock)
    finish_onboarding(account)
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.CONNECTED
