"""Shared fixtures of the payments tests: lakeside's connected account on the demo gateway,
real Stripe keys, Stripe's API intercepted, and webhook events delivered or processed."""

from __future__ import annotations

import re

import pytest
import responses
from django.utils import timezone

from payments.connect import services as connect_services
from payments.gateway.demo.gateway import DemoGateway
from payments.models import PaymentRequest, WebhookEvent
from payments.requests import services as requests_services
from payments.webhooks import pipeline as webhooks_pipeline
from tests.payments import stripe_fixtures as sf
from tickets.services import customer_get_or_create, ticket_open

REAL_KEYS = {
    "PAYMENT_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_1",
    "STRIPE_WEBHOOK_SECRET": "whsec_platform",
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_connect",
}


@pytest.fixture
def real_keys(settings):
    """Stripe test-mode keys and the two webhook signing secrets: the real gateway."""
    for name, value in REAL_KEYS.items():
        setattr(settings, name, value)
    return REAL_KEYS


@pytest.fixture
def stripe_http():
    """Stripe's API at the HTTP boundary: register answers on it, read ``.calls``.

    Anything not registered fails the request (and shows in ``.calls``)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def lakeside_account(organization, admin_membership, django_capture_on_commit_callbacks):
    """Lakeside's Express account, created by its admin on the demo gateway (unfinished)."""
    with django_capture_on_commit_callbacks(execute=False):
        return connect_services.connected_account_start(
            organization=organization, actor=admin_membership.user
        )


@pytest.fixture
def finish_onboarding(django_capture_on_commit_callbacks):
    """Walk the demo's onboarding for an account (finished or not) and re-read it."""

    def _finish(account, *, finish: bool = True):
        with django_capture_on_commit_callbacks(execute=False):
            DemoGateway().complete_onboarding(
                account.stripe_account_id, business_name="Lakeside Motors", finish=finish
            )
        return connect_services.connected_account_refresh(account=account)

    return _finish


@pytest.fixture
def connected_account(lakeside_account, finish_onboarding):
    """Lakeside fully onboarded: Connected."""
    return finish_onboarding(lakeside_account)


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a signed event to the Connect endpoint and run what it queued (the processing)."""

    def _deliver(evt, *, path=sf.CONNECT_PATH, secret=sf.DEMO_WEBHOOK_SECRET):
        with django_capture_on_commit_callbacks(execute=True):
            response = sf.post_event(client, evt, path=path, secret=secret)
        assert response.status_code == 200, response.content
        return WebhookEvent.objects.get(stripe_id=evt["id"])

    return _deliver


@pytest.fixture
def store_event(django_capture_on_commit_callbacks):
    """Store a verified event as the endpoint would, without running its processing."""

    def _store(evt, *, endpoint="connect"):
        with django_capture_on_commit_callbacks(execute=False):
            stored, _created = webhooks_pipeline.webhook_event_store(event=evt, endpoint=endpoint)
        return stored

    return _store


@pytest.fixture
def later():
    """Stripe times after anything the fixtures wrote (our rows are synced at 'now')."""
    base = int(timezone.now().timestamp()) + 60
    return lambda seconds=0: base + seconds


# Payment requests: a customer's ticket in the payments team, and a request on it ----------


@pytest.fixture
def customer(organization):
    return customer_get_or_create(
        organization=organization, name="Dana Driver", mobile_phone="+13125550143"
    )


@pytest.fixture
def ticket(organization, service_team, customer, advisor_membership):
    return ticket_open(
        organization=organization,
        team=service_team,
        customer=customer,
        advisor=advisor_membership,
        subject="Brakes",
    )


@pytest.fixture
def make_request(connected_account, ticket, advisor_membership, django_capture_on_commit_callbacks):
    """Create a request as the advisor; the SMS is sent (locmem) when ``send`` is true."""

    def _make(amount_cents=123456, description="Brake service", reference="RO-4411", *, send=False):
        with django_capture_on_commit_callbacks(execute=send):
            return requests_services.payment_request_create(
                ticket=ticket,
                actor=advisor_membership.user,
                amount_cents=amount_cents,
                description=description,
                reference=reference,
            )

    return _make


@pytest.fixture
def payment_request(make_request) -> PaymentRequest:
    return make_request()


@pytest.fixture
def webhook_sink(settings):
    """Outside an atomic block the demo gateway delivers its events at once: accept them."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, re.compile(re.escape(settings.SITE_URL) + ".*"), status=200)
        yield mock
