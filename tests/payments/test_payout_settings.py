"""Flow F8: payout schedule, statement descriptor and payout e-mail recipients.

The demo gateway is active (no STRIPE_SECRET_KEY): it keeps accounts in DemoStripeAccount, so
"Stripe's side" can be read back. Its events go out on commit, and pytest-django's test
transaction never commits, so nothing is delivered. The real gateway is tested at the HTTP
boundary with ``responses``.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from payments import gateway
from payments.connect import services as connect_services
from payments.connect.forms import StatementDescriptorForm, statement_descriptor_errors
from payments.connect.payout_settings import describe_schedule
from payments.gateway import GatewayError
from payments.gateway import stripe as gateway_stripe
from payments.gateway.demo.gateway import DemoGateway
from payments.gateway.demo.views import _schedule_words
from payments.models import ConnectedAccount, DemoStripeAccount, Payout
from teams.models import AuditLog
from teams.roles import Role
from tests.factories import PASSWORD, MembershipFactory
from tests.helpers import age_password_check

URL = "/o/lakeside/admin/payouts/"
SETTINGS_ACTIONS = [
    "stripe.payout_schedule_updated",
    "stripe.statement_descriptor_updated",
    "payouts.recipients_changed",
]
# Session, user, membership, the organization menu, account, recipients (2), payouts.
PAGE_MAX_QUERIES = 8
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stripe_objects.json"


# Helpers ------------------------------------------------------------------------------------


def connect(organization, actor, django_capture_on_commit_callbacks) -> ConnectedAccount:
    """A connected account made as the app makes one: start, demo onboarding, read back."""
    with django_capture_on_commit_callbacks(execute=False):
        account = connect_services.connected_account_start(organization=organization, actor=actor)
        DemoGateway().complete_onboarding(
            account.stripe_account_id, business_name=organization.name, finish=True
        )
        account = connect_services.connected_account_refresh(account=account)
    assert account.status == ConnectedAccount.Status.CONNECTED
    return account


def stripe_side(account: ConnectedAccount) -> dict:
    """The demo Stripe's own record of the account's settings."""
    return DemoStripeAccount.objects.get(stripe_id=account.stripe_account_id).data["settings"]


def sign_in(client, membership):
    """Through the login form, so the session records a fresh password check."""
    response = client.post(
        "/accounts/login/", {"login": membership.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def schedule_data(**overrides):
    return {"form": "schedule", "interval": "weekly", "weekly_anchor": "friday"} | overrides


def descriptor_data(descriptor):
    return {"form": "descriptor", "descriptor": descriptor}


def snapshot(account: ConnectedAccount):
    """Everything a refused or invalid post must leave as it was."""
    account.refresh_from_db()
    return (
        account.payout_interval,
        account.payout_weekly_anchor,
        account.payout_monthly_anchor,
        account.payout_delay_days,
        account.statement_descriptor,
        account.settings_version,
        json.dumps(stripe_side(account), sort_keys=True),
        AuditLog.objects.filter(action__in=SETTINGS_ACTIONS).count(),
    )


@pytest.fixture
def account(organization, admin_membership, django_capture_on_commit_callbacks):
    return connect(organization, admin_membership.user, django_capture_on_commit_callbacks)


@pytest.fixture
def admin(client, admin_membership):
    return sign_in(client, admin_membership)


# Services -----------------------------------------------------------------------------------


def test_schedule_update_changes_stripe_and_our_row(account, admin_membership):
    updated = connect_services.payout_schedule_update(
        account=account,
        actor=admin_membership.user,
        interval="weekly",
        weekly_anchor="friday",
        delay_days=3,
    )

    schedule = stripe_side(account)["payouts"]["schedule"]
    assert schedule == {"interval": "weekly", "weekly_anchor": "friday", "delay_days": 3}
    account.refresh_from_db()
    assert account == updated
    assert (account.payout_interval, account.payout_weekly_anchor) == ("weekly", "friday")
    assert account.payout_delay_days == 3
    assert account.payout_monthly_anchor is None
    assert account.settings_version == 1
    entry = AuditLog.objects.get(action="stripe.payout_schedule_updated")
    assert entry.actor == admin_membership.user
    assert entry.target_id == account.pk
    assert entry.data["interval"] == "weekly"
    assert entry.data["weekly_anchor"] == "friday"
    assert entry.data["delay_days"] == 3


def test_monthly_and_manual_schedules_are_read_back(account, admin_membership):
    connect_services.payout_schedule_update(
        account=account, actor=admin_membership.user, interval="monthly", monthly_anchor=31
    )
    account.refresh_from_db()
    assert (account.payout_interval, account.payout_monthly_anchor) == ("monthly", 31)
    assert account.payout_weekly_anchor == ""

    connect_services.payout_schedule_update(
        account=account, actor=admin_membership.user, interval="manual"
    )
    account.refresh_from_db()
    assert account.payout_interval == "manual"
    assert account.payout_monthly_anchor is None
    assert account.payout_delay_days is None
    assert stripe_side(account)["payouts"]["schedule"] == {"interval": "manual"}


def test_switching_to_manual_drops_the_delay_left_in_the_form(
    admin, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = admin.post(URL, schedule_data(interval="manual", delay_days="5"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.payout_interval == "manual"
    assert account.payout_delay_days is None
    assert stripe_side(account)["payouts"]["schedule"] == {"interval": "manual"}


def test_a_blank_delay_asks_stripe_for_its_minimum(account, admin_membership):
    connect_services.payout_schedule_update(
        account=account, actor=admin_membership.user, interval="daily", delay_days=None
    )
    account.refresh_from_db()
    assert account.payout_delay_days == 2  # the demo's stand-in for Stripe's US minimum


def test_each_update_has_its_own_idempotency_key(account, admin_membership, monkeypatch):
    keys = []
    original = DemoGateway.update_account

    def spy(self, account_id, *, params, idempotency_key):
        keys.append(idempotency_key)
        return original(self, account_id, params=params, idempotency_key=idempotency_key)

    monkeypatch.setattr(DemoGateway, "update_account", spy)
    user = admin_membership.user
    connect_services.payout_schedule_update(account=account, actor=user, interval="daily")
    connect_services.payout_schedule_update(account=account, actor=user, interval="daily")
    connect_services.statement_descriptor_update(
        account=account, actor=user, descriptor="LAKESIDE AUTO"
    )

    assert len(set(keys)) == 3
    assert keys[0].startswith(f"account-{account.pk}-settings-1-")
    assert keys[1].startswith(f"account-{account.pk}-settings-2-")
    assert keys[2].startswith(f"account-{account.pk}-settings-3-")
    assert all(len(key) <= 255 for key in keys)


def test_refused_update_keeps_the_version_and_a_corrected_one_gets_a_new_key(
    account, admin_membership, monkeypatch
):
    keys = []
    original = DemoGateway.update_account

    def refuse_first(self, account_id, *, params, idempotency_key):
        keys.append(idempotency_key)
        if len(keys) == 1:
            raise GatewayError("The statement descriptor is invalid.")
        return original(self, account_id, params=params, idempotency_key=idempotency_key)

    monkeypatch.setattr(DemoGateway, "update_account", refuse_first)
    user = admin_membership.user
    with pytest.raises(GatewayError):
        connect_services.statement_descriptor_update(
            account=account, actor=user, descriptor="FIRST TRY"
        )
    account.refresh_from_db()
    assert account.settings_version == 0

    connect_services.statement_descriptor_update(
        account=account, actor=user, descriptor="SECOND TRY"
    )
    # Stripe keeps even an error under its key: the corrected request must not reuse it.
    assert keys[0] != keys[1]
    assert keys[1].startswith(f"account-{account.pk}-settings-1-")


def test_recipients_set_records_who_was_added_and_removed(
    account, admin_membership, manager_membership, advisor_membership
):
    user = admin_membership.user
    connect_services.payout_recipients_set(
        account=account, actor=user, members=[admin_membership, manager_membership]
    )
    assert set(account.payout_recipients.all()) == {admin_membership, manager_membership}
    first = AuditLog.objects.get(action="payouts.recipients_changed")
    assert first.data == {
        "added": sorted([admin_membership.user.email, manager_membership.user.email]),
        "removed": [],
    }

    connect_services.payout_recipients_set(
        account=account, actor=user, members=[manager_membership, advisor_membership]
    )
    assert set(account.payout_recipients.all()) == {manager_membership, advisor_membership}
    latest = AuditLog.objects.filter(action="payouts.recipients_changed").latest("pk")
    assert latest.data == {
        "added": [advisor_membership.user.email],
        "removed": [admin_membership.user.email],
    }

    # The same choice again changes nothing and records nothing.
    connect_services.payout_recipients_set(
        account=account, actor=user, members=[manager_membership, advisor_membership]
    )
    assert AuditLog.objects.filter(action="payouts.recipients_changed").count() == 2


def test_recipients_must_be_members_of_the_organization(
    account, admin_membership, outsider_membership
):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        connect_services.payout_recipients_set(
            account=account, actor=admin_membership.user, members=[outsider_membership]
        )
    assert account.payout_recipients.count() == 0
    assert not AuditLog.objects.filter(action="payouts.recipients_changed").exists()


# Forms --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ABCD", "at least 5 characters"),
        ("A" * 23, "at most 22 characters"),
        ("12345 678", "at least one letter"),
        ("SHOP <1>", "can&#x27;t show &lt; &gt;"),
        ("BOB'S AUTO", "can&#x27;t show &#x27;"),
        ('"BEST" CARS', "can&#x27;t show &quot;"),
        ("STAR*MOTORS", "can&#x27;t show *"),
        ("BACK\\SLASH", "can&#x27;t show \\"),
        ("CAFÉ MOTORS", "Latin letters A to Z without accents (not É)"),
        ("\u0416\u0418\u041b\u0414 MOTORS", "Latin letters"),  # Cyrillic
        ("CARS ~ MORE", "Not allowed: ~"),
    ],
)
def test_descriptor_rules_each_have_a_clear_message(admin, account, value, message):
    before = snapshot(account)
    response = admin.post(URL, descriptor_data(value))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert snapshot(account) == before


def test_descriptor_rules_accept_what_stripe_accepts():
    assert statement_descriptor_errors("LAKESIDE MOTORS #2") == []
    assert statement_descriptor_errors("A&B AUTO (N.W.) 24/7") == []
    assert statement_descriptor_errors("Lakeside Motors") == []
    form = StatementDescriptorForm({"descriptor": "  lakeside   motors "})
    assert form.is_valid()
    assert form.cleaned_data["descriptor"] == "lakeside motors"
    assert StatementDescriptorForm.preview("Lakeside Motors") == "LAKESIDE MOTORS"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (schedule_data(weekly_anchor=""), "weekly_anchor", "Choose the weekday"),
        (schedule_data(interval="monthly", monthly_anchor="32"), "monthly_anchor", "1 to 31"),
        (schedule_data(interval="monthly", monthly_anchor=""), "monthly_anchor", "1 to 31"),
        (schedule_data(delay_days="1"), "delay_days", "2 to 30 days"),
        (schedule_data(delay_days="31"), "delay_days", "2 to 30 days"),
        (schedule_data(interval="hourly"), "interval", "Select a valid choice"),
    ],
)
def test_invalid_schedule_is_422_with_the_error_on_its_field(admin, account, data, field, message):
    before = snapshot(account)
    response = admin.post(URL, data)
    assert response.status_code == 422
    form = response.context["schedule_form"]
    assert message in " ".join(form.errors[field])
    assert "is-invalid" in response.content.decode()
    assert snapshot(account) == before


# The page -----------------------------------------------------------------------------------


def test_page_shows_the_schedule_stripe_has_in_words(admin, account):
    response = admin.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Daily, 2 days after the charge" in page
    assert "LAKESIDE MOTORS" in page  # the demo account starts with the organization's name
    assert "Connect Stripe first" not in page


def test_schedule_post_saves_and_shows_stripes_read_back(admin, account):
    response = admin.post(URL, schedule_data(delay_days="3"))
    assert response.status_code == 302
    assert response["Location"] == URL + "#payout-schedule"
    account.refresh_from_db()
    assert account.payout_interval == "weekly"
    assert account.payout_weekly_anchor == "friday"
    assert account.payout_delay_days == 3
    assert stripe_side(account)["payouts"]["schedule"]["weekly_anchor"] == "friday"

    page = admin.get(URL).content.decode()
    assert "Weekly on Friday, 3 days after the charge" in page


def test_monthly_schedule_drops_the_weekday_sent_along(admin, account):
    response = admin.post(
        URL, schedule_data(interval="monthly", monthly_anchor="15", weekly_anchor="monday")
    )
    assert response.status_code == 302
    assert stripe_side(account)["payouts"]["schedule"] == {
        "interval": "monthly",
        "monthly_anchor": 15,
        "delay_days": 2,
    }
    assert "Monthly, on day 15, 2 days after the charge" in admin.get(URL).content.decode()


@pytest.mark.parametrize(
    ("language", "weekly", "monthly"),
    [
        ("en", "Weekly on Friday", "Monthly, on day 1"),
        ("fr-ca", "Hebdomadaire (vendredi)", "Mensuel (jour 1 du mois)"),
        ("es", "Semanal: viernes", "Mensual, el día 1 del mes"),
        ("de", "Wöchentlich am Freitag", "Monatlich am 1."),
        ("it", "Settimanale, di venerdì", "Mensile, il giorno 1"),
        ("pl", "Co tydzień (piątek)", "Co miesiąc, dnia 1"),
        ("pt-br", "Semanal (sexta-feira)", "Mensal, no dia 1"),
    ],
)
def test_the_schedule_names_its_day_in_the_reader_s_language(language, weekly, monthly):
    """No English weekday or ordinal ("1st") inside another language's sentence: the weekday
    is CLDR's, written as inside a sentence; the day of the month a plain number."""
    with translation.override(language):
        assert (
            describe_schedule(
                ConnectedAccount(payout_interval="weekly", payout_weekly_anchor="friday")
            )
            == weekly
        )
        assert (
            describe_schedule(ConnectedAccount(payout_interval="monthly", payout_monthly_anchor=1))
            == monthly
        )
        assert _schedule_words({"interval": "monthly", "monthly_anchor": 1}) == monthly
        demo_weekly = _schedule_words({"interval": "weekly", "weekly_anchor": "friday"})
    assert weekly.split()[-1].strip("()") in demo_weekly
    if language != "en":
        assert "Friday" not in demo_weekly


def test_descriptor_post_saves_and_updates_the_preview(admin, account):
    response = admin.post(URL, descriptor_data("Lakeside Service"))
    assert response.status_code == 302
    assert response["Location"] == URL + "#statement-descriptor"
    account.refresh_from_db()
    assert account.statement_descriptor == "Lakeside Service"
    assert stripe_side(account)["payments"]["statement_descriptor"] == "Lakeside Service"
    entry = AuditLog.objects.get(action="stripe.statement_descriptor_updated")
    assert entry.data["descriptor"] == "Lakeside Service"
    assert entry.data["previous"] == "LAKESIDE MOTORS"

    page = admin.get(URL).content.decode()
    preview = re.search(r'id="descriptor-preview">([^<]*)<', page)
    assert preview is not None
    assert preview.group(1) == "LAKESIDE SERVICE"
    assert "$125.00" in page


def test_descriptor_saved_message_and_field_agree_on_the_text_and_its_capitals(admin, account):
    page = admin.post(URL, descriptor_data("Lakeside Service"), follow=True).content.decode()

    field = re.search(r'<input[^>]*name="descriptor"[^>]*>', page)
    assert field is not None and 'value="Lakeside Service"' in field[0]
    assert re.search(r'id="descriptor-preview">LAKESIDE SERVICE<', page)
    message = re.search(r"Statement descriptor saved[^<]*", page)
    assert message is not None
    assert message[0] == (
        "Statement descriptor saved as “Lakeside Service”. "
        "Card statements show it in capitals: “LAKESIDE SERVICE”."
    )


def test_stripe_refusal_is_shown_on_the_form_and_changes_nothing(admin, account, monkeypatch):
    def refuse(self, account_id, *, params, idempotency_key):
        raise GatewayError("The statement descriptor is invalid.")

    monkeypatch.setattr(DemoGateway, "update_account", refuse)
    before = snapshot(account)

    response = admin.post(URL, descriptor_data("LAKESIDE AUTO"))
    assert response.status_code == 422
    form = response.context["descriptor_form"]
    assert form.non_field_errors() == [
        "Stripe refused the change: The statement descriptor is invalid."
    ]
    assert "The statement descriptor is invalid." in response.content.decode()
    assert snapshot(account) == before

    response = admin.post(URL, schedule_data())
    assert response.status_code == 422
    assert "The statement descriptor is invalid." in str(
        response.context["schedule_form"].non_field_errors()
    )
    assert snapshot(account) == before


def test_recipients_post_sets_them_and_writes_the_audit_log(
    admin, account, admin_membership, manager_membership
):
    response = admin.post(
        URL, {"form": "recipients", "recipients": [admin_membership.pk, manager_membership.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == URL + "#payout-emails"
    assert set(account.payout_recipients.all()) == {admin_membership, manager_membership}
    assert AuditLog.objects.filter(action="payouts.recipients_changed").count() == 1

    page = admin.get(URL).content.decode()
    checked = re.findall(r'<input[^>]*name="recipients"[^>]*>', page)
    assert len(checked) == 2
    assert all("checked" in tag for tag in checked)


def test_recipients_from_another_organization_are_refused(admin, account, outsider_membership):
    response = admin.post(URL, {"form": "recipients", "recipients": [outsider_membership.pk]})
    assert response.status_code == 422
    assert "Select a valid choice" in " ".join(
        response.context["recipients_form"].errors["recipients"]
    )
    assert account.payout_recipients.count() == 0


def test_unknown_form_changes_nothing(admin, account):
    before = snapshot(account)
    response = admin.post(URL, {"form": "everything", "interval": "manual"})
    assert response.status_code == 400
    assert snapshot(account) == before


def test_recent_payouts_show_date_amount_status_and_failure(admin, account, organization):
    now = timezone.now()
    Payout.objects.create(
        organization=organization,
        stripe_payout_id="po_paid",
        amount_cents=123456,
        currency="usd",
        arrival_date="2026-03-01",
        status="paid",
        stripe_created=now,
        synced_at=now,
    )
    Payout.objects.create(
        organization=organization,
        stripe_payout_id="po_failed",
        amount_cents=5000,
        currency="usd",
        arrival_date="2026-03-02",
        status="failed",
        failure_message="The bank account has been closed.",
        stripe_created=now,
        synced_at=now,
    )
    page = admin.get(URL).content.decode()
    assert "Mar 1, 2026" in page  # a calendar date, never shifted by a time zone
    assert "$1,234.56" in page
    assert "The bank account has been closed." in page
    assert re.search(
        r'<td class="app-num[^"]*"><span class="app-amount">\$50\.00</span></td>', page
    )
    assert page.index("Mar 2, 2026") < page.index("Mar 1, 2026")  # newest first


def test_page_queries_do_not_grow_with_members_and_payouts(admin, account, organization):
    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = admin.get(URL)
        assert response.status_code == 200
        return len(queries)

    admin.get(URL)  # the first page of a session stores the organization in it
    MembershipFactory(organization=organization, role=Role.MANAGER)
    small = measure()
    now = timezone.now()
    for n in range(12):
        membership = MembershipFactory(organization=organization, role=Role.ADVISOR)
        account.payout_recipients.add(membership)
        Payout.objects.create(
            organization=organization,
            stripe_payout_id=f"po_{n}",
            amount_cents=1000 + n,
            currency="usd",
            arrival_date="2026-03-01",
            status="paid",
            stripe_created=now,
            synced_at=now,
        )
    assert measure() == small
    assert small <= PAGE_MAX_QUERIES


# Who may --------------------------------------------------------------------------------------


def test_manager_gets_403_on_get_and_post(client, account, manager_membership):
    sign_in(client, manager_membership)
    before = snapshot(account)
    assert client.get(URL).status_code == 403
    assert client.post(URL, schedule_data()).status_code == 403
    assert snapshot(account) == before


def test_advisor_gets_403(client, account, advisor_membership):
    sign_in(client, advisor_membership)
    assert client.get(URL).status_code == 403
    assert client.post(URL, descriptor_data("SNEAKY NAME")).status_code == 403


def test_another_organizations_admin_gets_404(client, account, outsider_membership):
    sign_in(client, outsider_membership)
    before = snapshot(account)
    assert client.get(URL).status_code == 404
    assert client.post(URL, descriptor_data("SNEAKY NAME")).status_code == 404
    assert snapshot(account) == before


def test_anonymous_is_sent_to_sign_in(client, account):
    response = client.get(URL)
    assert response.status_code in (302, 404)
    assert client.post(URL, descriptor_data("SNEAKY NAME")).status_code in (302, 404)


def test_old_password_check_asks_again_before_saving(admin, account):
    age_password_check(admin, 10 * 60)
    before = snapshot(account)

    assert admin.get(URL).status_code == 200  # looking needs no second password

    response = admin.post(URL, descriptor_data("LAKESIDE AUTO"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert snapshot(account) == before

    admin.post(response["Location"], {"password": PASSWORD})
    account.refresh_from_db()
    assert account.statement_descriptor == "LAKESIDE AUTO"  # the interrupted post was replayed


def test_htmx_post_with_old_password_check_goes_to_the_confirmation_page(admin, account):
    age_password_check(admin, 10 * 60)
    response = admin.post(
        URL,
        descriptor_data("LAKESIDE AUTO"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver" + URL,
    )
    assert response["HX-Redirect"].startswith("/accounts/reauthenticate/")
    account.refresh_from_db()
    assert account.statement_descriptor == "LAKESIDE MOTORS"


# Not connected --------------------------------------------------------------------------------


def test_without_an_account_the_page_says_connect_first_and_posts_get_409(admin, organization):
    response = admin.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Connect Stripe first" in page
    assert f'href="/o/{organization.slug}/admin/#connections"' in page
    assert 'name="form"' not in page

    response = admin.post(URL, schedule_data())
    assert response.status_code == 409
    assert "Connect Stripe first" in response.content.decode()
    assert not ConnectedAccount.objects.exists()
    assert not AuditLog.objects.filter(action__in=SETTINGS_ACTIONS).exists()


def test_unfinished_onboarding_is_not_connected(
    admin, organization, admin_membership, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        account = connect_services.connected_account_start(
            organization=organization, actor=admin_membership.user
        )
    assert account.status == ConnectedAccount.Status.ONBOARDING
    page = admin.get(URL).content.decode()
    assert "Connect Stripe first" in page
    assert "Onboarding not finished" in page

    before = snapshot(account)
    for data in (schedule_data(), descriptor_data("LAKESIDE AUTO"), {"form": "recipients"}):
        assert admin.post(URL, data).status_code == 409
    assert snapshot(account) == before


def test_disconnected_account_gets_409(admin, account):
    account.deauthorized_at = timezone.now()
    account.save()
    assert admin.post(URL, descriptor_data("LAKESIDE AUTO")).status_code == 409
    account.refresh_from_db()
    assert account.statement_descriptor == "LAKESIDE MOTORS"


# The real gateway at the HTTP boundary --------------------------------------------------------


def stripe_account_json(account_id: str, **settings_overrides) -> dict:
    data = copy.deepcopy(json.loads(FIXTURES.read_text())["account"])
    data.update(
        id=account_id,
        type="express",
        controller={"type": "application", "stripe_dashboard": {"type": "express"}},
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
    )
    data["requirements"].update(currently_due=[], eventually_due=[], disabled_reason=None)
    for path, value in settings_overrides.items():
        section, key = path.split("__")
        data["settings"][section][key] = value
    return data


@pytest.fixture
def real_stripe(settings, account):
    """Switch the app to the real gateway, with Stripe's API behind ``responses``."""
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.PAYMENT_GATEWAY = "stripe"
    assert not gateway.demo_mode()
    with responses.RequestsMock() as mock:
        yield mock


def form_body(call) -> dict[str, list[str]]:
    return parse_qs(
        call.request.body if isinstance(call.request.body, str) else call.request.body.decode()
    )


def test_schedule_update_sends_stripes_parameters(real_stripe, admin_membership, account):
    url = f"https://api.stripe.com/v1/accounts/{account.stripe_account_id}"
    schedule = {"interval": "weekly", "weekly_anchor": "friday", "delay_days": 3}
    real_stripe.post(
        url, json=stripe_account_json(account.stripe_account_id, payouts__schedule=schedule)
    )

    connect_services.payout_schedule_update(
        account=account,
        actor=admin_membership.user,
        interval="weekly",
        weekly_anchor="friday",
        delay_days=3,
    )

    call = real_stripe.calls[0]
    assert call.request.method == "POST"
    assert call.request.headers["Authorization"] == "Bearer sk_test_123"
    assert call.request.headers["Idempotency-Key"].startswith(f"account-{account.pk}-settings-1-")
    assert call.request.headers["Stripe-Version"] == gateway_stripe.API_VERSION
    assert form_body(call) == {
        "settings[payouts][schedule][interval]": ["weekly"],
        "settings[payouts][schedule][weekly_anchor]": ["friday"],
        "settings[payouts][schedule][delay_days]": ["3"],
    }
    account.refresh_from_db()
    assert (account.payout_interval, account.payout_weekly_anchor) == ("weekly", "friday")
    assert account.payout_delay_days == 3


def test_descriptor_update_sends_stripes_parameters(real_stripe, admin_membership, account):
    url = f"https://api.stripe.com/v1/accounts/{account.stripe_account_id}"
    payments = {"statement_descriptor": "LAKESIDE AUTO"}
    real_stripe.post(
        url,
        json=stripe_account_json(
            account.stripe_account_id, payments__statement_descriptor="LAKESIDE AUTO"
        ),
    )

    connect_services.statement_descriptor_update(
        account=account, actor=admin_membership.user, descriptor="LAKESIDE AUTO"
    )

    call = real_stripe.calls[0]
    assert form_body(call) == {
        "settings[payments][statement_descriptor]": [payments["statement_descriptor"]]
    }
    assert call.request.headers["Idempotency-Key"].startswith(f"account-{account.pk}-settings-1-")
    account.refresh_from_db()
    assert account.statement_descriptor == "LAKESIDE AUTO"


def test_stripes_refusal_at_the_http_boundary_reaches_the_form(real_stripe, admin, account):
    url = f"https://api.stripe.com/v1/accounts/{account.stripe_account_id}"
    real_stripe.post(
        url,
        status=400,
        json={
            "error": {
                "type": "invalid_request_error",
                "code": "parameter_invalid_string",
                "param": "settings[payments][statement_descriptor]",
                "message": "The statement descriptor must contain at least one letter.",
            }
        },
    )
    before = snapshot(account)

    response = admin.post(URL, descriptor_data("LAKESIDE AUTO"))

    assert response.status_code == 422
    assert "The statement descriptor must contain at least one letter." in response.content.decode()
    assert len(real_stripe.calls) == 1  # a 400 is not retried
    assert snapshot(account) == before
