"""The two webhook endpoints: Stripe's signature checked before anything is stored, one row per
event id, processing queued on commit, and the answer given at once."""

from __future__ import annotations

import json

import pytest

from payments.gateway.stripe import signature_header
from payments.models import WebhookEvent
from payments.webhooks import registry as webhooks_registry
from payments.webhooks import tasks as webhooks_tasks
from payments.webhooks.pipeline import webhook_events_wake
from tests.payments import stripe_fixtures as sf
from tests.payments.stripe_fixtures import DEMO_WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

DEMO = {"platform": DEMO_WEBHOOK_SECRET, "connect": DEMO_WEBHOOK_SECRET}
REAL = {"platform": "whsec_platform", "connect": "whsec_connect"}
PATHS = {"platform": sf.PLATFORM_PATH, "connect": sf.CONNECT_PATH}


@pytest.fixture(params=["demo", "real"])
def secrets(request, settings):
    """Both modes: the demo secret (no keys set) and the real endpoints' own secrets."""
    if request.param == "real":
        settings.STRIPE_SECRET_KEY = "sk_test_1"
        settings.PAYMENT_GATEWAY = "stripe"
        settings.STRIPE_WEBHOOK_SECRET = REAL["platform"]
        settings.STRIPE_CONNECT_WEBHOOK_SECRET = REAL["connect"]
        return REAL
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENT_GATEWAY = "demo"
    return DEMO


@pytest.fixture
def counted_handler(monkeypatch):
    """Replace account.updated's handler with one that counts its calls."""
    calls = []
    monkeypatch.setitem(
        webhooks_registry.HANDLERS, "account.updated", lambda event: calls.append(event.pk)
    )
    return calls


def _account_event(**kwargs):
    return sf.event("account.updated", sf.account(), **kwargs)


def _post(client, payload: bytes, header: str | None, path: str = sf.CONNECT_PATH):
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    return client.post(path, data=payload, content_type="application/json", **extra)


@pytest.mark.parametrize("endpoint", ["platform", "connect"])
def test_webhook_valid_signature_stores_one_event_and_queues_processing(
    client, secrets, stripe_http, django_capture_on_commit_callbacks, endpoint
):
    evt = _account_event()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = sf.post_event(client, evt, path=PATHS[endpoint], secret=secrets[endpoint])

    assert response.status_code == 200
    assert response.json() == {"received": True, "id": evt["id"], "duplicate": False}
    stored = WebhookEvent.objects.get()
    assert (stored.stripe_id, stored.endpoint, stored.type) == (
        evt["id"],
        endpoint,
        "account.updated",
    )
    assert stored.account == sf.ACCOUNT_ID
    assert stored.payload == evt
    assert stored.created.timestamp() == evt["created"]
    # Answered at once: nothing processed inside the request, no outgoing HTTP, the task queued.
    assert stored.status == WebhookEvent.Status.PENDING
    assert stored.attempts == 0
    assert len(stripe_http.calls) == 0
    assert len(queued) == 1


def test_webhook_queued_task_processes_the_event_after_commit(
    client, django_capture_on_commit_callbacks, counted_handler
):
    evt = _account_event()
    with django_capture_on_commit_callbacks(execute=True):
        response = sf.post_event(client, evt)

    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert counted_handler == [stored.pk]


@pytest.mark.parametrize("endpoint", ["platform", "connect"])
def test_webhook_tampered_payload_is_refused_and_leaves_no_row(client, secrets, endpoint):
    evt = _account_event()
    payload = json.dumps(evt).encode()
    header = signature_header(payload, secrets[endpoint])
    tampered = payload.replace(b'"charges_enabled": false', b'"charges_enabled": true')
    assert tampered != payload

    response = _post(client, tampered, header, PATHS[endpoint])

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("endpoint", ["platform", "connect"])
def test_webhook_wrong_secret_is_refused(client, secrets, endpoint):
    response = sf.post_event(client, _account_event(), path=PATHS[endpoint], secret="whsec_nope")
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("endpoint", ["platform", "connect"])
def test_webhook_expired_timestamp_is_refused(client, secrets, endpoint):
    evt = _account_event()
    response = sf.post_event(
        client,
        evt,
        path=PATHS[endpoint],
        secret=secrets[endpoint],
        timestamp=sf.now() - 301,  # Stripe's default tolerance is 300 s
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("endpoint", ["platform", "connect"])
def test_webhook_timestamp_within_tolerance_is_accepted(client, secrets, endpoint):
    response = sf.post_event(
        client,
        _account_event(),
        path=PATHS[endpoint],
        secret=secrets[endpoint],
        timestamp=sf.now() - 240,
    )
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize("endpoint", ["platform", "connect"])
def test_webhook_missing_signature_is_refused(client, secrets, endpoint):
    payload = json.dumps(_account_event()).encode()
    response = _post(client, payload, None, PATHS[endpoint])
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("endpoint", ["platform", "connect"])
def test_webhook_signed_non_event_is_refused(client, secrets, endpoint):
    payload = json.dumps(sf.account()).encode()  # a signed body that is no event
    response = _post(client, payload, signature_header(payload, secrets[endpoint]), PATHS[endpoint])
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_webhook_get_is_not_allowed(client):
    assert client.get(sf.CONNECT_PATH).status_code == 405
    assert client.get(sf.PLATFORM_PATH).status_code == 405


def test_webhook_endpoints_skip_csrf_and_login(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)  # anonymous, no CSRF token: as Stripe calls
    response = sf.post_event(strict, _account_event())
    assert response.status_code == 200


def test_webhook_real_endpoints_accept_only_their_own_secret(client, real_keys):
    wrong = [
        sf.post_event(client, _account_event(), path=sf.PLATFORM_PATH, secret="whsec_connect"),
        sf.post_event(client, _account_event(), path=sf.CONNECT_PATH, secret="whsec_platform"),
        sf.post_event(client, _account_event(), path=sf.CONNECT_PATH, secret=DEMO_WEBHOOK_SECRET),
    ]
    assert [r.status_code for r in wrong] == [400, 400, 400]
    assert not WebhookEvent.objects.exists()

    right = [
        sf.post_event(client, _account_event(), path=sf.PLATFORM_PATH, secret="whsec_platform"),
        sf.post_event(client, _account_event(), path=sf.CONNECT_PATH, secret="whsec_connect"),
    ]
    assert [r.status_code for r in right] == [200, 200]
    assert sorted(WebhookEvent.objects.values_list("endpoint", flat=True)) == [
        "connect",
        "platform",
    ]


@pytest.mark.parametrize(
    "forged_with",
    [
        "whsec_demo_expertconnect_local_only",  # the demo secret once written in the code
        DEMO_WEBHOOK_SECRET,  # this installation's demo secret
    ],
)
def test_the_stripe_gateway_refuses_events_signed_with_a_demo_secret(client, settings, forged_with):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_1"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_platform"
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect"
    for path in (sf.PLATFORM_PATH, sf.CONNECT_PATH):
        response = sf.post_event(client, _account_event(), path=path, secret=forged_with)
        assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_the_demo_secret_is_this_installations_own(settings):
    from payments.gateway import demo_webhook_secret

    first = demo_webhook_secret()
    settings.SECRET_KEY = "another-installation-" + "x" * 40
    assert demo_webhook_secret() != first and demo_webhook_secret().startswith("whsec_demo_")


def test_webhook_real_endpoint_without_configured_secret_refuses(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_1"
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = ""
    response = sf.post_event(client, _account_event(), secret="")
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_webhook_connect_event_without_account_is_refused(client, secrets):
    evt = _account_event(account=None)
    assert "account" not in evt

    response = sf.post_event(client, evt, path=sf.CONNECT_PATH, secret=secrets["connect"])

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_webhook_platform_event_without_account_is_accepted(client, secrets):
    evt = sf.event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    del evt["account"]
    response = sf.post_event(client, evt, path=sf.PLATFORM_PATH, secret=secrets["platform"])
    assert response.status_code == 200
    assert WebhookEvent.objects.get().account == ""


def test_webhook_duplicate_delivery_is_acknowledged_and_processed_once(
    client, secrets, django_capture_on_commit_callbacks, counted_handler
):
    evt = _account_event()
    responses_ = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            responses_.append(sf.post_event(client, evt, secret=secrets["connect"]))

    assert [r.status_code for r in responses_] == [200, 200]
    assert [r.json()["duplicate"] for r in responses_] == [False, True]
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert stored.attempts == 1
    assert counted_handler == [stored.pk]


def test_webhook_duplicate_delivery_queues_nothing(client, django_capture_on_commit_callbacks):
    evt = _account_event()
    with django_capture_on_commit_callbacks(execute=False) as first:
        sf.post_event(client, evt)
    with django_capture_on_commit_callbacks(execute=False) as second:
        response = sf.post_event(client, evt)
    assert response.json()["duplicate"] is True
    assert (len(first), len(second)) == (1, 0)


@pytest.mark.parametrize(
    ("keys", "livemode"),
    [("demo", True), ("real", True)],
    ids=["demo-gets-live-event", "test-keys-get-live-event"],
)
def test_webhook_livemode_mismatch_is_stored_as_ignored(
    client, settings, django_capture_on_commit_callbacks, counted_handler, keys, livemode
):
    secret = DEMO_WEBHOOK_SECRET
    if keys == "real":
        settings.STRIPE_SECRET_KEY = "sk_test_1"
        settings.PAYMENT_GATEWAY = "stripe"
        settings.STRIPE_CONNECT_WEBHOOK_SECRET = secret = "whsec_connect"
    evt = _account_event(livemode=livemode)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = sf.post_event(client, evt, secret=secret)

    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.IGNORED
    assert stored.livemode is True
    assert "mode" in stored.error
    assert queued == []
    assert counted_handler == []


def test_webhook_live_keys_ignore_test_mode_events(
    client, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_SECRET_KEY = "sk_live_1"
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = sf.post_event(client, _account_event(livemode=False), secret="whsec_connect")
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED
    assert queued == []


def test_webhook_unknown_type_is_stored_and_marked_ignored(
    client, django_capture_on_commit_callbacks
):
    evt = sf.event("plan.created", sf.stripe_object("event")["data"]["object"])

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = sf.post_event(client, evt)

    assert response.status_code == 200
    assert queued[0] is webhook_events_wake  # then the dispatch, then its batch
    stored = WebhookEvent.objects.get()
    assert (stored.type, stored.status) == ("plan.created", WebhookEvent.Status.IGNORED)
    assert stored.processed_at is not None


def test_a_burst_of_events_queues_one_dispatch_which_queues_each_event_once(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.cache import cache

    from payments.webhooks.pipeline import DISPATCH_FLAG, webhook_events_dispatch

    dispatches, batches = [], []
    monkeypatch.setattr(
        webhooks_tasks.webhook_events_dispatch_task, "delay", lambda: dispatches.append(1)
    )
    monkeypatch.setattr(webhooks_tasks.webhook_events_process_task, "delay", batches.append)
    cache.delete(DISPATCH_FLAG)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert sf.post_event(client, _account_event()).status_code == 200

    assert dispatches == [1]  # the first request queued it; the others found the flag set
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_events_dispatch() == 3
    ids = sorted(WebhookEvent.objects.values_list("pk", flat=True))
    assert batches == [ids]
    assert WebhookEvent.objects.filter(queued_at__isnull=True).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_events_dispatch() == 0  # nothing is queued twice
    # the flag is clear again: the next event queues the next dispatch
    with django_capture_on_commit_callbacks(execute=True):
        sf.post_event(client, _account_event())
    assert dispatches == [1, 1]


def test_an_event_held_by_a_dead_worker_is_dispatched_again_within_two_minutes(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from payments.webhooks.pipeline import DISPATCH_STALE, webhook_events_dispatch

    # The beat's sweep runs every minute: a claim older than DISPATCH_STALE is seen by the
    # first sweep after it, so within DISPATCH_STALE + one period of the claim.
    period = settings.CELERY_BEAT_SCHEDULE["webhook-events-dispatch"]["schedule"]
    assert DISPATCH_STALE.total_seconds() + period <= 120
    monkeypatch.setattr(webhooks_tasks.webhook_events_dispatch_task, "delay", lambda: None)
    batches = []
    monkeypatch.setattr(webhooks_tasks.webhook_events_process_task, "delay", batches.append)
    with django_capture_on_commit_callbacks(execute=True):
        sf.post_event(client, _account_event())
    stored = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=stored.pk).update(  # a live worker's fresh claim
        queued_at=timezone.now() - DISPATCH_STALE + timedelta(seconds=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_events_dispatch() == 0
    WebhookEvent.objects.filter(pk=stored.pk).update(  # claimed by a worker killed since
        queued_at=timezone.now() - DISPATCH_STALE - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_events_dispatch() == 1
    assert batches == [[stored.pk]]


def test_a_batch_processes_its_events_and_retries_a_failing_one_alone(
    client, django_capture_on_commit_callbacks, monkeypatch
):

    def fail(event):
        raise RuntimeError("boom")

    monkeypatch.setitem(webhooks_registry.HANDLERS, "plan.created", fail)
    retried = []
    monkeypatch.setattr(
        webhooks_tasks.webhook_event_process_task,
        "apply_async",
        lambda args, **kw: retried.append(args),
    )
    with django_capture_on_commit_callbacks(execute=False):
        sf.post_event(client, _account_event())
        sf.post_event(client, sf.event("plan.created", sf.stripe_object("event")["data"]["object"]))
    good, bad = WebhookEvent.objects.order_by("pk")
    assert webhooks_tasks.webhook_events_process_task(event_ids=[good.pk, bad.pk]) == 1
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.FAILED)
    assert retried == [(bad.pk,)]


def test_every_handled_event_type_is_registered_by_its_part():
    """Each part's handlers register themselves when PaymentsConfig imports them: a handler
    module nobody imports would turn its events into "ignored" instead of failing here."""
    assert set(webhooks_registry.HANDLERS) == {
        "account.application.deauthorized",
        "account.updated",
        "capability.updated",
        "charge.dispute.closed",
        "charge.dispute.created",
        "charge.refunded",
        "charge.succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
        "checkout.session.expired",
        "payment_intent.payment_failed",
        "payout.canceled",
        "payout.created",
        "payout.failed",
        "payout.paid",
        "payout.updated",
        "refund.failed",
        "refund.updated",
    }
    assert {handler.__module__ for handler in webhooks_registry.HANDLERS.values()} == {
        "payments.connect.handlers",
        "payments.payouts.handlers",
        "payments.refunds.handlers",
        "payments.requests.handlers",
    }


def test_a_second_handler_for_one_event_type_is_refused():
    with pytest.raises(ValueError, match=r"account\.updated has a handler already"):
        webhooks_registry.handles("account.updated")(lambda event: None)
