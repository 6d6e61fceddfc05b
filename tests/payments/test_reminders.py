"""Reminders: one text per unpaid request after the organization's delay, never twice."""

import secrets
import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts import sms
from payments.models import ConnectedAccount, PaymentRequest
from payments.requests import reminders as requests_reminders
from payments.requests import tasks as requests_tasks
from payments.requests.tasks import payment_reminders_send, payment_reminders_send_batch
from teams.models import Organization
from tickets.models import Customer, TimelineEntry


@pytest.fixture(autouse=True)
def _any_hour(monkeypatch):
    """These tests run at the clock's own time: the customer's hours never hold a reminder
    here (test_reminder_hours.py proves the hours)."""
    monkeypatch.setattr(requests_reminders, "automated_text_at", lambda *, now, **_: now)


def age(request, hours):
    PaymentRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(hours=hours)
    )


def due_ids():
    return [pk for _created_at, pk in requests_reminders.payment_reminders_due()]


def more_due_requests(like: PaymentRequest, n: int) -> list[int]:
    """``n`` more open requests on the same ticket, all past the delay (bulk: nothing texted)."""
    created = timezone.now() - timedelta(hours=48)
    rows = PaymentRequest.objects.bulk_create(
        PaymentRequest(
            organization_id=like.organization_id,
            ticket_id=like.ticket_id,
            team_id=like.team_id,
            created_by_id=like.created_by_id,
            amount_cents=5000 + i,
            currency=like.currency,
            description=f"Part {i}",
            token=secrets.token_urlsafe(24),
            fee_cents=like.fee_cents,
            created_at=created + timedelta(seconds=i % 7),  # ties: the keyset breaks them by id
        )
        for i in range(n)
    )
    return [row.pk for row in rows]


def reminders_per_request() -> dict[int, int]:
    return dict(
        TimelineEntry.objects.filter(event="payment_request.reminded")
        .values_list("data__payment_request_id")
        .annotate(count=Count("id"))
    )


def test_an_unpaid_request_gets_one_reminder_after_the_delay(
    payment_request, django_capture_on_commit_callbacks
):
    sms.outbox.clear()
    age(payment_request, 23)
    assert payment_reminders_send() == 0

    age(payment_request, 25)
    with django_capture_on_commit_callbacks(execute=True):
        assert payment_reminders_send() == 1
        assert payment_reminders_send() == 0  # the next beat run finds nothing to do
    assert len(sms.outbox) == 1
    assert sms.outbox[0].body.startswith("Reminder from")
    assert f"/p/{payment_request.token}" in sms.outbox[0].body
    assert TimelineEntry.objects.filter(event="payment_request.reminded").count() == 1


def test_the_delay_is_the_organizations_and_can_be_off(payment_request):
    account = ConnectedAccount.objects.get(organization=payment_request.organization)
    account.reminder_after_hours = 2
    account.save()
    age(payment_request, 3)
    assert due_ids() == [payment_request.pk]

    account.reminder_after_hours = None
    account.save()
    assert due_ids() == []


@pytest.mark.parametrize("status", ["paid", "cancelled", "refunded"])
def test_settled_requests_get_no_reminder(payment_request, status):
    age(payment_request, 48)
    PaymentRequest.objects.filter(pk=payment_request.pk).update(status=status)
    assert due_ids() == []


def test_opted_out_customers_get_no_reminder(payment_request):
    age(payment_request, 48)
    Customer.objects.filter(pk=payment_request.ticket.customer_id).update(
        opted_out_at=timezone.now()
    )
    assert due_ids() == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_reminder(webhook_sink, payment_request):
    age(payment_request, 48)
    results, barrier = [], threading.Barrier(2)

    def worker():
        barrier.wait()
        try:
            results.append(requests_reminders.payment_reminder_send(request_id=payment_request.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert TimelineEntry.objects.filter(event="payment_request.reminded").count() == 1


def test_one_beat_run_reminds_every_due_request_not_only_the_first_500(
    payment_request, monkeypatch
):
    monkeypatch.setattr(requests_tasks, "REMINDERS_PAGE", 250)
    age(payment_request, 48)
    ids = [payment_request.pk, *more_due_requests(payment_request, 600)]

    assert payment_reminders_send() == 601  # two full keyset pages and a partial one
    assert reminders_per_request() == dict.fromkeys(ids, 1)
    assert not PaymentRequest.objects.filter(reminder_sent_at__isnull=True).exists()
    assert payment_reminders_send() == 0


def test_the_due_requests_are_paged_by_key_oldest_first(payment_request):
    age(payment_request, 72)
    ids = [payment_request.pk, *more_due_requests(payment_request, 9)]
    created = dict(PaymentRequest.objects.values_list("pk", "created_at"))
    keys = requests_reminders.payment_reminders_due()
    assert keys == sorted((created[pk], pk) for pk in ids)
    pages, after = [], None
    while page := requests_reminders.payment_reminders_due(after=after, limit=3):
        pages.append([pk for _created_at, pk in page])
        after = page[-1]
    assert [len(page) for page in pages] == [3, 3, 3, 1]
    assert [pk for page in pages for pk in page] == [pk for _created_at, pk in keys]


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_beat_runs_send_each_reminder_once(
    webhook_sink, payment_request, monkeypatch
):
    """Both runs hand out the same ids (small pages and batches: many of them), at once."""
    monkeypatch.setattr(requests_tasks, "REMINDERS_PAGE", 7)
    monkeypatch.setattr(requests_tasks, "REMINDERS_BATCH", 3)
    age(payment_request, 48)
    ids = [payment_request.pk, *more_due_requests(payment_request, 40)]
    sms.outbox.clear()
    barrier = threading.Barrier(2)

    def beat_run():
        barrier.wait()
        try:
            payment_reminders_send()
        finally:
            connection.close()

    threads = [threading.Thread(target=beat_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reminders_per_request() == dict.fromkeys(ids, 1)
    assert len(sms.outbox) == len(ids)
    assert len({m.body for m in sms.outbox}) == len(ids)  # one text per request's link


@pytest.mark.django_db(transaction=True)
def test_a_request_another_transaction_holds_is_skipped_not_waited_for(
    webhook_sink, payment_request
):
    age(payment_request, 48)

    def hold(model, pk):
        held, release = threading.Event(), threading.Event()

        def holder():
            try:
                with transaction.atomic():
                    model.objects.select_for_update().get(pk=pk)
                    held.set()
                    release.wait(10)
            finally:
                connection.close()

        thread = threading.Thread(target=holder)
        thread.start()
        assert held.wait(10)
        return release, thread

    release, thread = hold(PaymentRequest, payment_request.pk)
    assert requests_reminders.payment_reminder_send(request_id=payment_request.pk) is False
    release.set()
    thread.join()
    assert due_ids() == [payment_request.pk]  # not claimed: the next run reminds it

    # Only the request's row is locked: its organization's row held elsewhere is no obstacle.
    release, thread = hold(Organization, payment_request.organization_id)
    try:
        assert requests_reminders.payment_reminder_send(request_id=payment_request.pk) is True
    finally:
        release.set()
        thread.join()
    assert reminders_per_request() == {payment_request.pk: 1}


def test_a_batch_retries_on_a_database_error_and_sends_the_rest_once(
    payment_request, monkeypatch, eager_retries
):
    age(payment_request, 48)
    ids = [payment_request.pk, *more_due_requests(payment_request, 4)]
    send, failures = requests_reminders.payment_reminder_send, [ids[2]]

    def flaky(*, request_id, now=None):
        if request_id in failures:
            failures.remove(request_id)
            raise OperationalError("server closed the connection unexpectedly")
        return send(request_id=request_id, now=now)

    monkeypatch.setattr(requests_reminders, "payment_reminder_send", flaky)
    payment_reminders_send_batch.apply(args=[ids])  # eager: the retry runs in turn
    assert reminders_per_request() == dict.fromkeys(ids, 1)


def test_admin_sets_the_reminder_delay_on_the_payout_settings_page(
    client, payment_request, admin_membership, password
):
    client.post("/accounts/login/", {"login": admin_membership.user.email, "password": password})
    url = f"/o/{payment_request.organization.slug}/admin/payouts/"
    assert "Payment reminders" in client.get(url).content.decode()

    response = client.post(url, {"form": "reminders", "after_hours": "4"})
    assert response.status_code == 302
    account = ConnectedAccount.objects.get(organization=payment_request.organization)
    assert account.reminder_after_hours == 4

    client.post(url, {"form": "reminders", "after_hours": "0"})
    account.refresh_from_db()
    assert account.reminder_after_hours is None
    assert client.post(url, {"form": "reminders", "after_hours": "5"}).status_code == 422
