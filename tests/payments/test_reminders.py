"""Reminders: one text per unpaid request after the organization's delay, never twice."""

import re
import threading
from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.utils import timezone

from accounts import sms
from payments import services
from payments.models import ConnectedAccount, PaymentRequest
from payments.tasks import payment_reminders_send
from tickets.models import Customer, TimelineEntry


def age(request, hours):
    PaymentRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(hours=hours)
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
    assert services.payment_reminders_due() == [payment_request.pk]

    account.reminder_after_hours = None
    account.save()
    assert services.payment_reminders_due() == []


@pytest.mark.parametrize("status", ["paid", "cancelled", "refunded"])
def test_settled_requests_get_no_reminder(payment_request, status):
    age(payment_request, 48)
    PaymentRequest.objects.filter(pk=payment_request.pk).update(status=status)
    assert services.payment_reminders_due() == []


def test_opted_out_customers_get_no_reminder(payment_request):
    age(payment_request, 48)
    Customer.objects.filter(pk=payment_request.ticket.customer_id).update(
        opted_out_at=timezone.now()
    )
    assert services.payment_reminders_due() == []


@pytest.fixture
def webhook_sink(settings):
    """Outside an atomic block the demo gateway delivers its events at once: accept them."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, re.compile(re.escape(settings.SITE_URL) + ".*"), status=200)
        yield mock


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_reminder(webhook_sink, payment_request):
    age(payment_request, 48)
    results, barrier = [], threading.Barrier(2)

    def worker():
        barrier.wait()
        try:
            results.append(services.payment_reminder_send(request_id=payment_request.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert TimelineEntry.objects.filter(event="payment_request.reminded").count() == 1


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
