"""Redis is a cache and a broker, not a single point of failure: with the product's Redis
stopped or refusing writes, the customer's page, the staff's pages, requesting a payment and
Stripe's webhooks all work; what could not be queued is queued by the sweeps once it is back."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.test import Client
from django.utils import timezone

from accounts import sms
from accounts.models import SmsMessage
from expertconnect.celery import app
from payments.models import PaymentRequest, WebhookEvent
from payments.movements import charge_recorded
from payments.webhooks import registry as webhooks_registry
from payments.webhooks.pipeline import webhook_events_dispatch
from tests.helpers import wait_for
from tests.payments import stripe_fixtures as sf
from tests.payments.test_payment_requests import post_request
from tests.redis_server import product_on

PAYMENTS_URL = "/o/lakeside/payments/"


@pytest.fixture(autouse=True)
def _no_demo_deliveries(monkeypatch):
    """The demo gateway posts its events to a server these tests do not run."""
    from payments.gateway.demo.tasks import demo_deliver_event

    monkeypatch.setattr(demo_deliver_event, "delay", lambda *args, **kwargs: None)


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_every_page_works_and_the_sweeps_catch_up_once_it_is_back(
    client,
    advisor_membership,
    admin_membership,
    connected_account,
    ticket,
    payment_request,
    own_redis,
    monkeypatch,
):
    processed = []
    monkeypatch.setitem(
        webhooks_registry.HANDLERS, "account.updated", lambda event: processed.append(event.pk)
    )
    with product_on(own_redis):
        own_redis.stop()

        # The customer's page (its rate limit) answers.
        assert client.get(f"/p/{payment_request.token}/").status_code == 200
        # A staff member's pages (their session, the totals) answer.
        admin = Client()
        admin.force_login(admin_membership.user)
        assert admin.get(PAYMENTS_URL).status_code == 200
        client.force_login(advisor_membership.user)
        # Requesting a payment works; its text waits in its row.
        response = post_request(client, ticket, amount="50.00", reference="RO-7001")
        assert response.status_code == 200
        created = PaymentRequest.objects.get(reference="RO-7001")
        text = SmsMessage.objects.filter(status=SmsMessage.Status.QUEUED).latest("pk")
        assert created.token in text.body
        # Stripe's webhook is stored and answered 2xx.
        evt = sf.event("account.updated", sf.account())
        assert sf.post_event(client, evt).status_code == 200
        event = WebhookEvent.objects.get(stripe_id=evt["id"])
        assert event.status == WebhookEvent.Status.PENDING
        assert processed == []

        own_redis.start()
        from accounts.tasks import SMS_SWEEP_AFTER, sms_sweep

        sms.outbox.clear()
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            # What the beat runs every minute, once Redis is back.
            webhook_events_dispatch()
            SmsMessage.objects.filter(pk=text.pk).update(
                created_at=timezone.now() - SMS_SWEEP_AFTER - timedelta(seconds=1)
            )
            assert sms_sweep() >= 1
            assert wait_for(lambda: processed == [event.pk] and len(sms.outbox) == 1)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert created.token in sms.outbox[0].body
    text.refresh_from_db()
    assert text.status == SmsMessage.Status.SENT and text.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_with_redis_refusing_writes_a_payment_request_is_created(
    client, advisor_membership, admin_membership, connected_account, ticket, own_redis
):
    admin = Client()
    admin.force_login(admin_membership.user)
    with product_on(own_redis):
        client.force_login(advisor_membership.user)
        assert admin.get(PAYMENTS_URL).context["totals"].count == 0  # cached now
        own_redis.refuse_writes()
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            own_redis.client().set("probe", 1)

        response = post_request(client, ticket, amount="75.00", reference="RO-7002")
        assert response.status_code == 200
        created = PaymentRequest.objects.get(reference="RO-7002")
        created.status = PaymentRequest.Status.PAID  # its webhook, while Redis still refuses
        created.paid_at = timezone.now()
        created.save()
        charge_recorded(payment=created)
        # The Payments tab counts it at once, though the cache could not be told: the
        # cached totals are keyed on a version kept in the database.
        page = admin.get(PAYMENTS_URL)
        assert page.status_code == 200
        assert page.context["totals"].count == 1
        assert page.context["totals"].figures("usd").collected == created.amount_cents
        assert client.get(f"/p/{created.token}/").status_code == 200
