"""A payment link expires after the organization's period (default 30 days, 1 to 90): the
customer is told and offered no Pay, no reminder goes out, and the advisor sends a fresh link
in one click."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import sms
from payments.models import PaymentRequest
from payments.requests import reminders
from tickets.models import TeamNumber


def expire(request: PaymentRequest) -> None:
    PaymentRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    request.refresh_from_db()


def test_a_request_expires_after_the_organization_s_period(make_request, organization):
    organization.payment_link_days = 7
    organization.save()
    request = make_request()
    assert timedelta(days=6, hours=23) < request.expires_at - timezone.now() <= timedelta(days=7)
    assert not request.is_expired
    expire(request)
    assert request.is_expired


def test_the_customer_s_page_says_it_expired_how_to_reach_the_team_and_offers_no_pay(
    client, make_request, service_team
):
    TeamNumber.objects.create(team=service_team, number="+13125550100")
    request = make_request()
    expire(request)

    page = client.get(f"/p/{request.token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "This payment link has expired" in html and "(312) 555-0100" in html
    assert 'id="pay-button"' not in html

    pay = client.post(f"/p/{request.token}/pay/")
    assert pay.status_code == 303 and pay["Location"] == f"/p/{request.token}/"
    request.refresh_from_db()
    assert request.checkout_session_id == ""


def test_no_reminder_for_an_expired_link(make_request, connected_account):
    connected_account.reminder_after_hours = 4
    connected_account.save()
    request = make_request()
    PaymentRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(hours=5)
    )
    assert [pk for _, pk in reminders.payment_reminders_due()] == [request.pk]
    expire(request)
    assert reminders.payment_reminders_due() == []
    assert reminders.payment_reminder_send(request_id=request.pk) is False


def test_the_advisor_sends_a_fresh_link_in_one_click(
    advisor_client, make_request, ticket, django_capture_on_commit_callbacks
):
    request = make_request(send=True)
    expire(request)
    panel = advisor_client.get(
        reverse(
            "ticket_payment_requests", kwargs={"org": ticket.organization.slug, "pk": ticket.pk}
        )
    ).content.decode()
    assert "Link expired" in panel and "Send a fresh link" in panel

    sms.outbox.clear()
    url = reverse(
        "payment_request_resend",
        kwargs={"org": ticket.organization.slug, "ticket_pk": ticket.pk, "pk": request.pk},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor_client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    request.refresh_from_db()
    assert not request.is_expired and request.expires_at > timezone.now() + timedelta(days=29)
    assert len(sms.outbox) == 1 and request.token in sms.outbox[0].body


@pytest.mark.parametrize("days", ["0", "91", "soon"])
def test_the_period_is_from_1_to_90_days(admin_client, organization, days):
    response = admin_client.post(
        f"/o/{organization.slug}/admin/",
        {
            "name": organization.name,
            "country": "US",
            "time_zone": "America/Chicago",
            "payment_link_days": days,
        },
    )
    assert response.status_code == 422
    assert "Choose from 1 to 90 days." in response.content.decode()
    organization.refresh_from_db()
    assert organization.payment_link_days == 30
