"""Processing stored Stripe events: idempotent, never rolled back by older events, exactly
once with several workers, retried on failure, and replayable from the admin and the CLI."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from payments.connect import handlers as connect_handlers
from payments.models import ConnectedAccount, Payout, PayoutNotification, WebhookEvent
from payments.webhooks import pipeline as webhooks_pipeline
from payments.webhooks import registry as webhooks_registry
from payments.webhooks.tasks import webhook_event_process_task
from teams.audit import AuditAction, describe
from teams.models import AuditLog
from tests.factories import UserFactory
from tests.payments import stripe_fixtures as sf


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


# account.updated ---------------------------------------------------------------------------


def test_account_updated_applies_stripes_account_data(lakeside_account, deliver, later):
    acct = lakeside_account.stripe_account_id
    data = sf.account(
        acct,
        complete=True,
        settings={
            "payments": {"statement_descriptor": "LAKESIDE SERVICE"},
            "payouts": {"schedule": {"interval": "weekly", "weekly_anchor": "friday"}},
        },
    )
    stored = deliver(sf.event("account.updated", data, account=acct, created=later()))

    assert stored.status == WebhookEvent.Status.PROCESSED
    account = ConnectedAccount.objects.get(pk=lakeside_account.pk)
    assert account.status == ConnectedAccount.Status.CONNECTED
    assert (account.charges_enabled, account.payouts_enabled, account.card_payments) == (
        True,
        True,
        "active",
    )
    assert account.statement_descriptor == "LAKESIDE SERVICE"  # re-read, changed in Express
    assert (account.payout_interval, account.payout_weekly_anchor) == ("weekly", "friday")
    assert account.synced_at == _dt(later())
    assert AuditLog.objects.filter(action="stripe.connected", actor=None).count() == 1


def test_account_updated_delivered_newest_first_is_not_rolled_back_by_the_older(
    lakeside_account, deliver, later
):
    acct = lakeside_account.stripe_account_id
    newer = sf.event(
        "account.updated", sf.account(acct, complete=True), account=acct, created=later(10)
    )
    older = sf.event(
        "account.updated", sf.account(acct, charges_enabled=False), account=acct, created=later()
    )

    deliver(newer)
    stored_older = deliver(older)

    account = ConnectedAccount.objects.get(pk=lakeside_account.pk)
    assert account.charges_enabled is True
    assert account.status == ConnectedAccount.Status.CONNECTED
    assert account.synced_at == _dt(later(10))
    assert stored_older.status == WebhookEvent.Status.PROCESSED  # handled: nothing to apply
    assert AuditLog.objects.filter(action="stripe.restricted").count() == 0


def test_account_updated_in_order_applies_the_newest(lakeside_account, deliver, later):
    acct = lakeside_account.stripe_account_id
    deliver(
        sf.event("account.updated", sf.account(acct, complete=True), account=acct, created=later())
    )
    deliver(
        sf.event(
            "account.updated",
            sf.account(acct, complete=True, requirements={"disabled_reason": "rejected.fraud"}),
            account=acct,
            created=later(10),
        )
    )
    account = ConnectedAccount.objects.get(pk=lakeside_account.pk)
    assert account.status == ConnectedAccount.Status.RESTRICTED
    assert account.disabled_reason == "rejected.fraud"
    assert AuditLog.objects.filter(action="stripe.restricted").count() == 1


def test_account_updated_for_an_unknown_account_changes_nothing(lakeside_account, deliver, later):
    other = "acct_1NotOursAtAll00"
    stored = deliver(
        sf.event(
            "account.updated", sf.account(other, complete=True), account=other, created=later()
        )
    )
    assert stored.status == WebhookEvent.Status.PROCESSED
    account = ConnectedAccount.objects.get(pk=lakeside_account.pk)
    assert account.status == ConnectedAccount.Status.ONBOARDING


@pytest.fixture
def hilltop_account(other_organization):
    """Another dealership's Express account, connected: the one an attacker controls."""
    return ConnectedAccount.objects.create(
        organization=other_organization, stripe_account_id="acct_1HilltopMotors00", country="US"
    )


def test_account_updated_is_applied_only_to_the_account_it_came_from(
    lakeside_account, hilltop_account, deliver, later
):
    """A signed event of hilltop's account whose data names lakeside's changes neither."""
    acct = lakeside_account.stripe_account_id
    stored = deliver(
        sf.event(
            "account.updated",
            sf.account(acct, complete=True),
            account=hilltop_account.stripe_account_id,
            created=later(),
        )
    )
    assert stored.status == WebhookEvent.Status.PROCESSED
    lakeside = ConnectedAccount.objects.get(pk=lakeside_account.pk)
    assert lakeside.status == ConnectedAccount.Status.ONBOARDING
    assert lakeside.charges_enabled is False and lakeside.synced_at != _dt(later())
    assert ConnectedAccount.objects.get(pk=hilltop_account.pk).synced_at is None


def test_capability_updated_is_applied_only_to_the_account_it_came_from(
    lakeside_account, hilltop_account, deliver, later
):
    acct = lakeside_account.stripe_account_id
    before = ConnectedAccount.objects.get(pk=lakeside_account.pk).card_payments
    deliver(
        sf.event(
            "capability.updated",
            sf.capability("card_payments", account_id=acct, status="active"),
            account=hilltop_account.stripe_account_id,
            created=later(),
        )
    )
    assert ConnectedAccount.objects.get(pk=lakeside_account.pk).card_payments == before


# account.application.deauthorized ----------------------------------------------------------


def test_account_deauthorized_marks_the_account_disconnected_and_audits(
    connected_account, deliver, later
):
    acct = connected_account.stripe_account_id
    evt = sf.event(
        "account.application.deauthorized", sf.application(), account=acct, created=later()
    )
    deliver(evt)
    deliver(dict(evt, id=sf.unique_id("evt")))  # Stripe sends it again, new id: one audit

    account = ConnectedAccount.objects.get(pk=connected_account.pk)
    assert account.status == ConnectedAccount.Status.DISCONNECTED
    assert account.deauthorized_at == _dt(later())
    assert (account.charges_enabled, account.payouts_enabled) == (False, False)
    audit = AuditLog.objects.get(action="stripe.deauthorized")
    assert audit.actor is None
    assert audit.organization_id == connected_account.organization_id
    assert audit.data == {"account": acct}


def test_account_updated_older_than_the_deauthorization_does_not_re_enable_charges(
    connected_account, deliver, later
):
    acct = connected_account.stripe_account_id
    deliver(
        sf.event(
            "account.application.deauthorized", sf.application(), account=acct, created=later(10)
        )
    )
    deliver(
        sf.event("account.updated", sf.account(acct, complete=True), account=acct, created=later())
    )

    account = ConnectedAccount.objects.get(pk=connected_account.pk)
    assert account.status == ConnectedAccount.Status.DISCONNECTED
    assert (account.charges_enabled, account.payouts_enabled) == (False, False)
    assert AuditLog.objects.filter(action="stripe.connected").count() == 1  # the first one only


def test_account_deauthorized_for_a_replaced_account_leaves_the_new_one(
    connected_account, deliver, later
):
    stored = deliver(
        sf.event(
            "account.application.deauthorized",
            sf.application(),
            account="acct_1OldAccount000000",
            created=later(),
        )
    )
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.CONNECTED
    assert not AuditLog.objects.filter(action="stripe.deauthorized").exists()


# capability.updated ------------------------------------------------------------------------


def test_capability_updated_sets_the_capability_status(lakeside_account, deliver, later):
    acct = lakeside_account.stripe_account_id
    deliver(
        sf.event(
            "capability.updated",
            sf.capability("card_payments", account_id=acct, status="pending"),
            account=acct,
            created=later(),
        )
    )
    deliver(
        sf.event(
            "capability.updated",
            sf.capability("transfers", account_id=acct, status="active"),
            account=acct,
            created=later(1),
        )
    )
    account = ConnectedAccount.objects.get(pk=lakeside_account.pk)
    assert (account.card_payments, account.transfers) == ("pending", "active")


def test_capability_updated_older_than_the_account_data_is_not_applied(connected_account, deliver):
    acct = connected_account.stripe_account_id
    deliver(
        sf.event(
            "capability.updated",
            sf.capability("card_payments", account_id=acct, status="inactive"),
            account=acct,
            created=sf.now() - 3600,
        )
    )
    account = ConnectedAccount.objects.get(pk=connected_account.pk)
    assert account.card_payments == "active"
    assert account.status == ConnectedAccount.Status.CONNECTED


# Payouts -----------------------------------------------------------------------------------


@pytest.fixture
def recipients(connected_account, admin_membership, manager_membership):
    connected_account.payout_recipients.add(admin_membership, manager_membership)
    return sorted([admin_membership.user.email, manager_membership.user.email])


def _payout_event(account, event_type, event_created, **payout):
    acct = account.stripe_account_id
    return sf.event(event_type, sf.payout(**payout), account=acct, created=event_created)


def test_payout_created_records_amount_currency_and_arrival_date(
    connected_account, recipients, deliver, later
):
    deliver(
        _payout_event(
            connected_account,
            "payout.created",
            later(),
            payout_id="po_1Lakeside0000001",
            amount=123456,
            arrival=date(2026, 12, 1),
            created=later(),
        )
    )

    payout = Payout.objects.get()
    assert payout.organization == connected_account.organization
    assert (payout.stripe_payout_id, payout.amount_cents, payout.currency) == (
        "po_1Lakeside0000001",
        123456,
        "usd",
    )
    # A calendar date, not midnight UTC converted to Chicago (which would be Nov 30).
    assert payout.arrival_date == date(2026, 12, 1)
    assert (payout.status, payout.method) == ("in_transit", "standard")
    assert payout.stripe_created == _dt(later())
    assert mail.outbox == []  # only paid and failed are e-mailed


def test_payout_paid_delivered_twice_emails_the_recipients_once(
    connected_account, recipients, deliver, later
):
    po = {"payout_id": "po_1Lakeside0000002", "amount": 123456, "arrival": date(2026, 12, 1)}
    deliver(_payout_event(connected_account, "payout.created", later(), **po))
    paid = _payout_event(connected_account, "payout.paid", later(5), status="paid", **po)
    deliver(paid)
    deliver(dict(paid, id=sf.unique_id("evt")))  # the same news under another event id

    payout = Payout.objects.get()
    assert payout.status == "paid"
    notification = PayoutNotification.objects.get()
    assert (notification.payout, notification.status) == (payout, "paid")
    assert notification.recipients == recipients
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == recipients
    assert "$1,234.56" in message.subject
    assert "Dec 1, 2026" in message.subject
    assert "Tuesday, December 1, 2026" in message.body
    assert "can still fail" in message.body


def test_payout_failed_records_the_failure_and_emails_it(
    connected_account, recipients, deliver, later
):
    po = {"payout_id": "po_1Lakeside0000003", "amount": 5000, "arrival": date(2026, 12, 2)}
    deliver(_payout_event(connected_account, "payout.paid", later(), status="paid", **po))
    deliver(
        _payout_event(
            connected_account,
            "payout.failed",
            later(10),
            status="failed",
            failure_code="account_closed",
            failure_message="The bank account has been closed.",
            **po,
        )
    )

    payout = Payout.objects.get()
    assert (payout.status, payout.failure_code, payout.failure_message) == (
        "failed",
        "account_closed",
        "The bank account has been closed.",
    )
    assert sorted(PayoutNotification.objects.values_list("status", flat=True)) == [
        "failed",
        "paid",
    ]
    assert len(mail.outbox) == 2
    failed = mail.outbox[1]
    assert "failed" in failed.subject
    assert "$50.00" in failed.subject
    assert "The bank account has been closed." in failed.body


def test_payout_paid_older_than_an_applied_failure_does_not_roll_the_status_back(
    connected_account, recipients, deliver, later
):
    po = {"payout_id": "po_1Lakeside0000004", "amount": 5000}
    deliver(
        _payout_event(
            connected_account,
            "payout.failed",
            later(10),
            status="failed",
            failure_code="account_closed",
            failure_message="The bank account has been closed.",
            **po,
        )
    )
    deliver(_payout_event(connected_account, "payout.paid", later(), status="paid", **po))

    payout = Payout.objects.get()
    assert payout.status == "failed"
    assert payout.failure_message == "The bank account has been closed."
    assert payout.synced_at == _dt(later(10))


def test_payout_paid_older_than_an_applied_failure_sends_no_paid_email(
    connected_account, recipients, deliver, later
):
    po = {"payout_id": "po_1Lakeside0000005", "amount": 5000}
    deliver(_payout_event(connected_account, "payout.failed", later(10), status="failed", **po))
    deliver(_payout_event(connected_account, "payout.paid", later(), status="paid", **po))

    assert [m.subject for m in mail.outbox if "failed" not in m.subject] == []
    assert list(PayoutNotification.objects.values_list("status", flat=True)) == ["failed"]


def test_payout_paid_without_chosen_recipients_sends_nothing(connected_account, deliver, later):
    deliver(
        _payout_event(
            connected_account, "payout.paid", later(), status="paid", payout_id="po_1NoOne00000"
        )
    )
    assert Payout.objects.get().status == "paid"
    assert mail.outbox == []


def test_payout_paid_and_failed_are_audited_once_each_even_when_delivered_twice(
    connected_account, deliver, later
):
    po = {"payout_id": "po_1Lakeside0000006", "amount": 51230, "arrival": date(2026, 12, 3)}
    paid = _payout_event(connected_account, "payout.paid", later(1), status="paid", **po)
    deliver(paid)
    deliver(paid)  # the same event delivered twice
    deliver(dict(paid, id=sf.unique_id("evt")))  # the same news under another event id
    failed = _payout_event(
        connected_account,
        "payout.failed",
        later(5),
        status="failed",
        failure_code="account_closed",
        failure_message="The bank account has been closed.",
        **po,
    )
    deliver(failed)
    deliver(dict(failed, id=sf.unique_id("evt")))

    payout = Payout.objects.get()
    [paid_entry] = AuditLog.objects.filter(action=AuditAction.PAYOUT_PAID)
    [failed_entry] = AuditLog.objects.filter(action=AuditAction.PAYOUT_FAILED)
    for entry in (paid_entry, failed_entry):
        assert entry.actor is None  # Stripe's webhook told us
        assert (entry.target_type, entry.target_id) == ("payout", payout.pk)
        assert (entry.data["amount_cents"], entry.data["currency"]) == (51230, "usd")
    assert describe(paid_entry) == "Payout of $512.30 paid"
    assert describe(failed_entry) == "Payout of $512.30 failed"
    assert failed_entry.data["failure_message"] == "The bank account has been closed."


def test_payout_of_an_unknown_account_is_not_recorded(connected_account, deliver, later):
    evt = sf.event("payout.paid", sf.payout(status="paid"), account="acct_1NotOurs0000000")
    deliver(evt)
    assert not Payout.objects.exists()


# Failures, retries and replays ------------------------------------------------------------


def _failing_once(monkeypatch, event_type="account.updated"):
    real = webhooks_registry.HANDLERS[event_type]
    calls = []

    def flaky(event):
        calls.append(event.pk)
        if len(calls) == 1:
            raise RuntimeError("could not serialize access due to concurrent update")
        real(event)

    monkeypatch.setitem(webhooks_registry.HANDLERS, event_type, flaky)
    return calls


def _always_failing(monkeypatch, event_type="account.updated"):
    calls = []

    def broken(event):
        calls.append(event.pk)
        raise RuntimeError("Stripe sent a field we cannot read")

    monkeypatch.setitem(webhooks_registry.HANDLERS, event_type, broken)
    return calls


def _account_event(account, created, **changes):
    acct = account.stripe_account_id
    return sf.event("account.updated", sf.account(acct, **changes), account=acct, created=created)


def test_handler_that_raises_then_succeeds_on_retry_ends_processed(
    lakeside_account, store_event, monkeypatch, eager_retries, later
):
    calls = _failing_once(monkeypatch)
    stored = store_event(_account_event(lakeside_account, later(), complete=True))

    result = webhook_event_process_task.apply(args=[stored.pk])

    stored.refresh_from_db()
    assert result.get() == "processed"
    assert (stored.status, stored.attempts, stored.error) == (WebhookEvent.Status.PROCESSED, 2, "")
    assert stored.processed_at is not None
    assert calls == [stored.pk, stored.pk]
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.CONNECTED


def test_handler_failure_rolls_back_its_writes(lakeside_account, store_event, monkeypatch, later):
    real = webhooks_registry.HANDLERS["account.updated"]

    def half_done(event):
        real(event)  # writes the account, then fails
        raise RuntimeError("failed after writing")

    monkeypatch.setitem(webhooks_registry.HANDLERS, "account.updated", half_done)
    stored = store_event(_account_event(lakeside_account, later(), complete=True))

    with pytest.raises(webhooks_pipeline.HandlerFailed):
        webhooks_pipeline.webhook_event_process(event_id=stored.pk)

    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.ONBOARDING
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (WebhookEvent.Status.FAILED, 1)


@pytest.fixture
def superuser_client(client, db):
    user = UserFactory(email="ops@expertconnect.test", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def failed_event(lakeside_account, store_event, monkeypatch, eager_retries, later):
    """An account.updated whose handler failed every retry; its handler is fixed afterwards."""
    calls = _always_failing(monkeypatch)
    stored = store_event(_account_event(lakeside_account, later(), complete=True))
    result = webhook_event_process_task.apply(args=[stored.pk])
    assert result.get() == "failed"
    assert len(calls) == webhook_event_process_task.max_retries + 1
    stored.refresh_from_db()
    monkeypatch.setitem(
        webhooks_registry.HANDLERS, "account.updated", connect_handlers.account_updated
    )
    return stored


def test_handler_that_always_fails_leaves_the_event_failed_with_its_error(failed_event):
    assert failed_event.status == WebhookEvent.Status.FAILED
    assert failed_event.attempts == webhook_event_process_task.max_retries + 1
    assert "RuntimeError: Stripe sent a field we cannot read" in failed_event.error
    assert failed_event.processed_at is None
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.ONBOARDING


def test_failed_event_is_visible_with_its_error_in_django_admin(failed_event, superuser_client):
    listing = superuser_client.get("/django-admin/payments/webhookevent/?status__exact=failed")
    assert listing.status_code == 200
    assert failed_event.stripe_id in listing.content.decode()

    detail = superuser_client.get(f"/django-admin/payments/webhookevent/{failed_event.pk}/change/")
    assert detail.status_code == 200
    assert "Stripe sent a field we cannot read" in detail.content.decode()


def test_replay_stripe_events_command_replays_failed_events(
    failed_event, django_capture_on_commit_callbacks
):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_stripe_events", "--failed", stdout=out)

    assert "1 event(s) queued again." in out.getvalue()
    failed_event.refresh_from_db()
    assert failed_event.status == WebhookEvent.Status.PROCESSED
    assert failed_event.error == ""
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.CONNECTED


def test_replay_stripe_events_command_by_id_skips_processed_events(
    failed_event, lakeside_account, deliver, later, django_capture_on_commit_callbacks
):
    done = deliver(_account_event(lakeside_account, later(-30)))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        call_command("replay_stripe_events", done.stripe_id, failed_event.stripe_id, stdout=out)

    assert "1 event(s) queued again." in out.getvalue()
    assert len(queued) == 1
    done.refresh_from_db()
    assert done.attempts == 1


def test_replay_stripe_events_command_without_arguments_replays_nothing(
    failed_event, django_capture_on_commit_callbacks
):
    err = StringIO()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        call_command("replay_stripe_events", stdout=StringIO(), stderr=err)
    assert "--failed" in err.getvalue()
    assert queued == []
    failed_event.refresh_from_db()
    assert failed_event.status == WebhookEvent.Status.FAILED


def test_admin_replay_action_replays_the_selected_failed_events(
    failed_event, superuser_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            "/django-admin/payments/webhookevent/",
            {"action": "replay", "_selected_action": [failed_event.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "1 event(s) queued again." in response.content.decode()
    failed_event.refresh_from_db()
    assert failed_event.status == WebhookEvent.Status.PROCESSED
    assert failed_event.attempts == webhook_event_process_task.max_retries + 2
    assert ConnectedAccount.objects.get().status == ConnectedAccount.Status.CONNECTED


def test_processing_a_processed_event_again_is_skipped(lakeside_account, deliver, later):
    stored = deliver(_account_event(lakeside_account, later(), complete=True))
    assert webhooks_pipeline.webhook_event_process(event_id=stored.pk) == "skipped"
    stored.refresh_from_db()
    assert stored.attempts == 1


# Two workers -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_webhook_event_process_two_workers_racing_run_the_handler_once(monkeypatch):
    calls = []
    guard = threading.Lock()

    def slow(event):
        with guard:
            calls.append(event.pk)
        time.sleep(0.5)

    monkeypatch.setitem(webhooks_registry.HANDLERS, "account.updated", slow)
    evt = sf.event("account.updated", sf.account())
    stored = WebhookEvent.objects.create(
        stripe_id=evt["id"],
        endpoint="connect",
        type=evt["type"],
        account=evt["account"],
        created=timezone.now(),
        payload=evt,
    )
    start = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker():
        try:
            start.wait(timeout=5)
            results.append(webhooks_pipeline.webhook_event_process(event_id=stored.pk))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert errors == []
    assert sorted(results) == ["processed", "skipped"]
    assert calls == [stored.pk]
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (WebhookEvent.Status.PROCESSED, 1)
