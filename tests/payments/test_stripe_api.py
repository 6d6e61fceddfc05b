"""The real gateway at Stripe's HTTP boundary: the official library's requests are intercepted
(``responses``), answered with Stripe-shaped objects, and their parameters checked exactly."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import stripe as stripe_lib
from django.contrib.messages import get_messages

from payments import gateway
from payments.connect import services as connect_services
from payments.gateway import stripe as gateway_stripe
from payments.models import ConnectedAccount
from teams.models import AuditLog
from tests.payments import stripe_fixtures as sf

ACCT = "acct_1LakesideMotors01"
CONNECT = "/o/lakeside/admin/stripe/connect/"
DASHBOARD = "/o/lakeside/admin/stripe/dashboard/"
RETURN = "/o/lakeside/admin/stripe/return/"
ADMIN_TAB = "/o/lakeside/admin/"
ACCOUNT_LINK_URL = "https://connect.stripe.com/setup/e/acct_1LakesideMotors01/MerI6itPZo2K"
LOGIN_LINK_URL = "https://connect.stripe.com/express/acct_1LakesideMotors01/ehJImT2clfHr"


@pytest.fixture(autouse=True)
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_platform"
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect"


def _form(request) -> dict[str, list[str]]:
    body = request.body or ""
    if isinstance(body, bytes):
        body = body.decode()
    return parse_qs(body, keep_blank_values=True)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _calls(stripe_http, method: str, path: str):
    return [
        c.request
        for c in stripe_http.calls
        if c.request.method == method and urlsplit(c.request.url).path == path
    ]


def _assert_stripe_headers(request, *, idempotency_key: str | None = None):
    assert request.headers["Authorization"] == "Bearer sk_test_123"
    assert request.headers["Stripe-Version"] == gateway_stripe.API_VERSION
    if idempotency_key is not None:
        assert request.headers["Idempotency-Key"] == idempotency_key


@pytest.fixture
def account_created(stripe_http, organization):
    """Stripe answers POST /v1/accounts with a new, unfinished Express account."""

    def _answer(country="US"):
        stripe_http.post(
            f"{sf.API}/v1/accounts",
            json=sf.account(ACCT, country=country, organization_id=organization.pk),
        )

    return _answer


# Account creation --------------------------------------------------------------------------


def test_stripe_gateway_is_selected_with_a_secret_key_and_speaks_through_requests(
    organization, admin_membership, stripe_http, account_created
):
    assert isinstance(gateway.get_gateway(), gateway_stripe.StripeGateway)
    account_created()

    connect_services.connected_account_start(organization=organization, actor=admin_membership.user)

    # The library's default HTTP client is requests: the call went through `responses`.
    assert [(c.request.method, c.request.url) for c in stripe_http.calls] == [
        ("POST", f"{sf.API}/v1/accounts")
    ]


def test_connected_account_start_creates_an_express_account_with_exact_parameters(
    organization, admin_membership, stripe_http, account_created
):
    account_created()

    account = connect_services.connected_account_start(
        organization=organization, actor=admin_membership.user
    )

    (request,) = _calls(stripe_http, "POST", "/v1/accounts")
    assert _form(request) == {
        "type": ["express"],
        "country": ["US"],
        "email": ["admin@lakeside.test"],
        "capabilities[card_payments][requested]": ["true"],
        "capabilities[transfers][requested]": ["true"],
        "business_type": ["company"],
        "business_profile[name]": ["Lakeside Motors"],
        "business_profile[mcc]": ["5511"],
        "business_profile[product_description]": ["Vehicle service, repairs, parts and sales"],
        "metadata[organization_id]": [str(organization.pk)],
    }
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    _assert_stripe_headers(request, idempotency_key=f"connected-account-{account.pk}-1")

    account.refresh_from_db()
    assert (account.stripe_account_id, account.country, account.connect_attempt) == (ACCT, "US", 1)
    assert account.status == ConnectedAccount.Status.ONBOARDING
    assert "external_account" in account.currently_due
    assert AuditLog.objects.filter(action="stripe.connect_started", actor=admin_membership.user)


def test_connected_account_start_for_a_canadian_organization_asks_for_a_ca_account(
    organization, admin_membership, stripe_http, account_created
):
    organization.country = "CA"
    organization.save()
    account_created(country="CA")

    account = connect_services.connected_account_start(
        organization=organization, actor=admin_membership.user
    )

    (request,) = _calls(stripe_http, "POST", "/v1/accounts")
    assert _form(request)["country"] == ["CA"]
    account.refresh_from_db()
    assert (account.country, account.default_currency) == ("CA", "cad")


def test_connected_account_start_again_reuses_the_unfinished_account(
    organization, admin_membership, stripe_http, account_created
):
    account_created()
    first = connect_services.connected_account_start(
        organization=organization, actor=admin_membership.user
    )

    again = connect_services.connected_account_start(
        organization=organization, actor=admin_membership.user
    )

    assert again.pk == first.pk
    assert again.stripe_account_id == ACCT
    assert len(stripe_http.calls) == 1  # no second create
    assert ConnectedAccount.objects.count() == 1


# Through the Admin tab's views -------------------------------------------------------------


def test_stripe_connect_view_creates_the_account_and_redirects_to_an_onboarding_link(
    admin_client, organization, stripe_http, account_created
):
    account_created()
    stripe_http.post(f"{sf.API}/v1/account_links", json=sf.account_link(ACCOUNT_LINK_URL))

    response = admin_client.post(CONNECT)

    assert response.status_code == 302
    assert response["Location"] == ACCOUNT_LINK_URL
    (link,) = _calls(stripe_http, "POST", "/v1/account_links")
    assert _form(link) == {
        "account": [ACCT],
        "type": ["account_onboarding"],
        "refresh_url": ["http://testserver/o/lakeside/admin/stripe/refresh/"],
        "return_url": ["http://testserver/o/lakeside/admin/stripe/return/"],
        "collection_options[fields]": ["eventually_due"],
    }
    _assert_stripe_headers(link)


def test_stripe_connect_view_again_makes_only_a_new_onboarding_link(
    admin_client, organization, stripe_http, account_created
):
    account_created()
    stripe_http.post(f"{sf.API}/v1/account_links", json=sf.account_link(ACCOUNT_LINK_URL))
    admin_client.post(CONNECT)

    response = admin_client.post(CONNECT)  # "Continue with Stripe"

    assert response.status_code == 302
    assert len(_calls(stripe_http, "POST", "/v1/accounts")) == 1
    assert len(_calls(stripe_http, "POST", "/v1/account_links")) == 2


def test_stripe_return_view_reads_the_account_from_stripe(
    admin_client, organization, stripe_http, account_created
):
    account_created()
    stripe_http.post(f"{sf.API}/v1/account_links", json=sf.account_link(ACCOUNT_LINK_URL))
    admin_client.post(CONNECT)
    stripe_http.get(f"{sf.API}/v1/accounts/{ACCT}", json=sf.account(ACCT, complete=True))

    response = admin_client.get(RETURN)

    assert response.status_code == 302
    (read,) = _calls(stripe_http, "GET", f"/v1/accounts/{ACCT}")
    _assert_stripe_headers(read)
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.CONNECTED
    assert any("Stripe is connected" in m for m in _messages(response))


def test_stripe_dashboard_view_creates_a_login_link_on_click_and_redirects_to_it(
    admin_client, organization, admin_membership, stripe_http
):
    ConnectedAccount.objects.create(organization=organization, stripe_account_id=ACCT, country="US")
    stripe_http.post(f"{sf.API}/v1/accounts/{ACCT}/login_links", json=sf.login_link(LOGIN_LINK_URL))

    response = admin_client.post(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_LINK_URL
    (request,) = stripe_http.calls
    assert request.request.method == "POST"
    assert request.request.url == f"{sf.API}/v1/accounts/{ACCT}/login_links"
    assert _form(request.request) == {}  # login links take no parameters
    _assert_stripe_headers(request.request)
    audit = AuditLog.objects.get(action="stripe.dashboard_opened")
    assert audit.actor == admin_membership.user


def test_admin_tab_makes_no_stripe_call(admin_client, organization, stripe_http):
    ConnectedAccount.objects.create(organization=organization, stripe_account_id=ACCT, country="US")
    response = admin_client.get(ADMIN_TAB)
    assert response.status_code == 200
    assert len(stripe_http.calls) == 0  # links are made on the click, never in advance


# Refusals ----------------------------------------------------------------------------------


def test_stripe_connect_outside_us_and_canada_is_refused_without_calling_stripe(
    admin_client, organization, stripe_http
):
    organization.country = "GB"
    organization.save()

    response = admin_client.post(CONNECT)

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == ADMIN_TAB
    assert _messages(response) == [
        "Payments are offered to businesses registered in the United States or Canada."
    ]
    assert len(stripe_http.calls) == 0
    assert not ConnectedAccount.objects.exists()
    assert not AuditLog.objects.exists()
    page = admin_client.get(ADMIN_TAB).content.decode()
    assert "Payments are offered to businesses registered in the United States or Canada" in page


def test_stripe_unreachable_is_a_sentence_for_the_admin_and_the_detail_is_logged(
    admin_client, organization, stripe_http, caplog
):
    from requests.exceptions import ConnectionError as RequestsConnectionError

    unreachable = RequestsConnectionError(
        "HTTPSConnectionPool(host='api.stripe.com', port=443): Max retries exceeded "
        "(Caused by NameResolutionError(\"Failed to resolve 'api.stripe.com'\"))"
    )
    stripe_http.post(f"{sf.API}/v1/accounts", body=unreachable)

    response = admin_client.post(CONNECT, follow=True)

    assert _messages(response) == [
        "Stripe could not be reached. Nothing was changed. Try again in a minute."
    ]
    page = response.content.decode()
    assert "HTTPSConnectionPool" not in page and "NameResolutionError" not in page
    assert "NameResolutionError" in caplog.text  # the whole error is in the log
    assert ConnectedAccount.objects.get().stripe_account_id is None


def test_stripe_error_on_account_creation_is_shown_and_changes_nothing(
    admin_client, organization, stripe_http
):
    stripe_http.post(
        f"{sf.API}/v1/accounts",
        status=400,
        json=sf.error_body(
            "Invalid email address: admin@lakeside.test", code="email_invalid", param="email"
        ),
    )

    response = admin_client.post(CONNECT, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(ADMIN_TAB)
    page = response.content.decode()
    assert "Stripe could not create the account: Invalid email address: admin@lakeside.test" in page
    assert "Not connected" in page
    assert len(stripe_http.calls) == 1  # a 4xx is not retried
    # Only our pending attempt remains: the next Connect sends the same idempotency key.
    pending = ConnectedAccount.objects.get()
    assert pending.stripe_account_id is None
    assert pending.connect_attempt == 1
    assert not AuditLog.objects.exists()


def test_stripe_error_on_the_onboarding_link_is_shown_and_keeps_the_account(
    admin_client, organization, stripe_http, account_created
):
    account_created()
    stripe_http.post(
        f"{sf.API}/v1/account_links",
        status=400,
        json=sf.error_body("Not a valid URL", code="url_invalid", param="return_url"),
    )

    response = admin_client.post(CONNECT, follow=True)

    page = response.content.decode()
    assert "Stripe could not start onboarding: Not a valid URL" in page
    assert ConnectedAccount.objects.get().stripe_account_id == ACCT  # Continue will reuse it


def test_stripe_error_on_the_login_link_is_shown_and_audits_nothing(
    admin_client, organization, stripe_http
):
    ConnectedAccount.objects.create(organization=organization, stripe_account_id=ACCT, country="US")
    stripe_http.post(
        f"{sf.API}/v1/accounts/{ACCT}/login_links",
        status=400,
        json=sf.error_body(
            "Cannot create a login link for an account that has not completed onboarding.",
            code="account_invalid",
        ),
    )

    response = admin_client.post(DASHBOARD, follow=True)

    page = response.content.decode()
    assert "Stripe did not accept the request. Nothing was changed." in page
    assert "has not completed onboarding." not in page  # Stripe's words for developers
    assert not AuditLog.objects.exists()


def test_stripe_error_on_return_is_shown_and_leaves_the_account(
    admin_client, organization, stripe_http
):
    account = ConnectedAccount.objects.create(
        organization=organization, stripe_account_id=ACCT, country="US"
    )
    stripe_http.get(
        f"{sf.API}/v1/accounts/{ACCT}",
        status=403,
        json=sf.error_body(
            "The provided key does not have access to account 'acct_1LakesideMotors01'.",
            type="invalid_request_error",
            code="account_invalid",
        ),
    )

    response = admin_client.get(RETURN)

    assert response.status_code == 302
    assert _messages(response) == [
        "Stripe did not accept the request. Nothing was changed. Try again, or contact "
        "support if it keeps happening."
    ]
    assert ConnectedAccount.objects.get().synced_at == account.synced_at


# Settings updates (payout schedule, statement descriptor) at the gateway ------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            gateway_stripe.payout_schedule_params(
                interval="weekly", weekly_anchor="friday", delay_days=3
            ),
            {
                "settings[payouts][schedule][interval]": ["weekly"],
                "settings[payouts][schedule][weekly_anchor]": ["friday"],
                "settings[payouts][schedule][delay_days]": ["3"],
            },
        ),
        (
            gateway_stripe.payout_schedule_params(interval="monthly", monthly_anchor=31),
            {
                "settings[payouts][schedule][interval]": ["monthly"],
                "settings[payouts][schedule][monthly_anchor]": ["31"],
                "settings[payouts][schedule][delay_days]": ["minimum"],
            },
        ),
        (
            gateway_stripe.payout_schedule_params(interval="manual", delay_days=4),
            {"settings[payouts][schedule][interval]": ["manual"]},
        ),
        (
            gateway_stripe.statement_descriptor_params("LAKESIDE MOTORS"),
            {"settings[payments][statement_descriptor]": ["LAKESIDE MOTORS"]},
        ),
    ],
    ids=["weekly", "monthly", "manual", "descriptor"],
)
def test_stripe_gateway_update_account_sends_exact_settings(stripe_http, params, expected):
    stripe_http.post(f"{sf.API}/v1/accounts/{ACCT}", json=sf.account(ACCT, complete=True))

    data = gateway_stripe.StripeGateway().update_account(
        ACCT, params=params, idempotency_key="account-settings-7-3"
    )

    (request,) = stripe_http.calls
    assert request.request.url == f"{sf.API}/v1/accounts/{ACCT}"
    assert _form(request.request) == expected
    _assert_stripe_headers(request.request, idempotency_key="account-settings-7-3")
    assert data["id"] == ACCT


def test_stripe_gateway_update_account_refusal_carries_stripes_message(stripe_http):
    stripe_http.post(
        f"{sf.API}/v1/accounts/{ACCT}",
        status=400,
        json=sf.error_body(
            "The statement descriptor must contain at least one letter.",
            code="parameter_invalid_string_blank",
            param="settings[payments][statement_descriptor]",
        ),
    )
    with pytest.raises(gateway.GatewayError) as refused:
        gateway_stripe.StripeGateway().update_account(
            ACCT,
            params=gateway_stripe.statement_descriptor_params("12345"),
            idempotency_key="account-settings-7-4",
        )
    assert refused.value.message == "The statement descriptor must contain at least one letter."
    assert refused.value.code == "parameter_invalid_string_blank"


@pytest.mark.parametrize(
    ("error", "read"),
    [
        (
            stripe_lib.APIConnectionError("HTTPSConnectionPool(host='api.stripe.com')"),
            "UNREACHABLE",
        ),
        (stripe_lib.RateLimitError("Too many requests", http_status=429), "BUSY"),
        (
            stripe_lib.AuthenticationError(
                "Invalid API Key provided: sk_test_***1", http_status=401
            ),
            "KEYS_REFUSED",
        ),
        (stripe_lib.APIError("Internal error req_123", http_status=500), "STRIPE_FAILED"),
        (
            stripe_lib.InvalidRequestError("No such destination: 'acct_x'", None, http_status=400),
            "REFUSED",
        ),
        (
            stripe_lib.InvalidRequestError(
                "Insufficient funds.", None, code="balance_insufficient", http_status=400
            ),
            "BALANCE_LOW",
        ),
    ],
    ids=["unreachable", "rate-limit", "bad-key", "server", "developer-text", "balance"],
)
def test_stripe_failures_reach_people_as_our_sentences(error, read):
    told = gateway_stripe._error(error)
    assert told.message == getattr(gateway, read) and told.says_what_to_do
    assert str(error).split(":")[0] not in told.message or read == "BALANCE_LOW"


def test_a_field_stripe_refused_and_a_declined_card_keep_stripes_words():
    field = stripe_lib.InvalidRequestError(
        "The statement descriptor must contain at least one letter.",
        "settings[payments][statement_descriptor]",
        http_status=400,
    )
    card = stripe_lib.CardError(
        "Your card has insufficient funds.", None, "card_declined", http_status=402
    )
    assert gateway_stripe._error(field).message == (
        "The statement descriptor must contain at least one letter."
    )
    assert gateway_stripe._error(card).message == "Your card has insufficient funds."
