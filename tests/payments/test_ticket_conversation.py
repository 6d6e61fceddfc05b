"""The ticket is a conversation: texts both ways as bubbles, each payment request as the text
the customer got with its card, what the customer did as small notes, and the dealership's
bookkeeping (posting to the DBS, who asked for a refund) on the payment's page only."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import SmsMessage
from payments.ledger import services as ledger_services
from payments.models import PaymentRequest
from tests.payments import stripe_fixtures as sf
from tickets import services as ticket_services
from tickets.models import TimelineEntry


def ticket_url(ticket) -> str:
    return reverse("ticket_detail", kwargs={"org": ticket.organization.slug, "pk": ticket.pk})


def payment_url(payment) -> str:
    return reverse("payment_detail", kwargs={"org": payment.organization.slug, "pk": payment.pk})


def metadata(request: PaymentRequest) -> dict[str, str]:
    return {"organization_id": str(request.organization_id), "payment_request_id": str(request.pk)}


@pytest.fixture
def platform(deliver):
    def _send(event_type, obj, created=None):
        return deliver(
            sf.event(event_type, obj, account=None, created=created), path=sf.PLATFORM_PATH
        )

    return _send


def completed(request: PaymentRequest) -> dict:
    return sf.stripe_object(
        "checkout.session",
        id="cs_test_a1",
        amount_total=request.amount_cents,
        currency=request.currency,
        client_reference_id=str(request.pk),
        metadata=metadata(request),
        payment_status="paid",
        status="complete",
        payment_intent="pi_test_1",
    )


def declined(request: PaymentRequest) -> dict:
    return sf.stripe_object(
        "payment_intent",
        id="pi_test_1",
        metadata=metadata(request),
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
        status="requires_payment_method",
    )


def entry_html(page: str, entry: TimelineEntry) -> str:
    found = re.search(
        rf'<div class="[^"]*" id="entry-{entry.pk}".*?(?=<div class="app-(?:bubble-row|note)|$)',
        page,
        re.S,
    )
    assert found, f"entry {entry.pk} ({entry.event or entry.kind}) is not in the conversation"
    return found.group(0)


def test_the_payment_request_is_the_text_the_customer_got_with_its_card(
    advisor_client, make_request, ticket
):
    payment = make_request(send=True)
    SmsMessage.objects.filter(pk=payment.sms_id).update(status=SmsMessage.Status.DELIVERED)
    sent = TimelineEntry.objects.get(ticket=ticket, event="payment_request.sent")
    assert sent.sms_id == payment.sms_id

    page = advisor_client.get(ticket_url(ticket)).content.decode()

    bubble = entry_html(page, sent)
    assert "app-bubble-out" in bubble
    assert payment.sms.body.split(": ")[0] in bubble  # the text as it went, link included
    assert f"/p/{payment.token}/" in bubble
    assert 'data-status="delivered"' in bubble and "Delivered" in bubble
    assert "<time" in bubble and ("CST" in bubble or "CDT" in bubble)
    assert "$1,234.56" in bubble and "Brake service" in bubble
    assert 'data-status="open"' in bubble and "Unpaid" in bubble
    assert "data-link-state" in bubble and "Delivered" in bubble


def test_what_the_customer_did_is_a_note_and_the_card_follows_it(
    advisor_client, make_request, ticket, platform, later
):
    payment = make_request(send=True)
    PaymentRequest.objects.filter(pk=payment.pk).update(checkout_session_id="cs_test_a1")
    platform("payment_intent.payment_failed", declined(payment), later())
    platform("checkout.session.completed", completed(payment), later(1))

    page = advisor_client.get(ticket_url(ticket)).content.decode()

    failed = TimelineEntry.objects.get(ticket=ticket, event="payment_request.failed")
    paid = TimelineEntry.objects.get(ticket=ticket, event="payment_request.paid")
    note = entry_html(page, failed)
    assert 'class="app-note"' in note and "Your card was declined." in note  # Stripe's reason
    assert "Paid" in entry_html(page, paid) and "$1,234.56" in entry_html(page, paid)
    card = entry_html(page, TimelineEntry.objects.get(ticket=ticket, event="payment_request.sent"))
    assert 'data-status="paid"' in card and "data-link-state" not in card


def test_bookkeeping_stays_on_the_payment_page_not_in_the_conversation(
    advisor_client, admin_client, make_request, ticket, platform, later, admin_membership
):
    payment = make_request(send=True)
    PaymentRequest.objects.filter(pk=payment.pk).update(checkout_session_id="cs_test_a1")
    platform("checkout.session.completed", completed(payment), later())
    payment.refresh_from_db()
    ledger_services.payment_post_to_dbs(
        payment=payment, actor=admin_membership.user, reference="RO-4411"
    )

    conversation = advisor_client.get(ticket_url(ticket)).content.decode()
    payment_page = admin_client.get(payment_url(payment)).content.decode()

    assert "Posted to the DBS" not in conversation
    assert "Posted to the DBS" in payment_page


def test_a_resent_link_is_a_second_text_and_only_the_latest_carries_the_card(
    advisor_client, make_request, ticket, advisor_membership, django_capture_on_commit_callbacks
):
    from payments.requests import services as requests_services

    payment = make_request(send=True)
    with django_capture_on_commit_callbacks(execute=True):
        requests_services.payment_request_resend(
            payment_request=payment, actor=advisor_membership.user
        )
    first, second = TimelineEntry.objects.filter(
        ticket=ticket, event__in=["payment_request.sent", "payment_request.resent"]
    ).order_by("pk")

    page = advisor_client.get(ticket_url(ticket)).content.decode()

    assert "app-pay-card-compact" in entry_html(page, first)
    assert f'id="conversation-request-{payment.pk}"' in entry_html(page, second)
    assert page.count(f'id="conversation-request-{payment.pk}"') == 1


def test_an_opted_out_customer_s_request_says_it_was_not_texted(
    advisor_client, make_request, ticket, customer
):
    from django.utils import timezone

    customer.opted_out_at = timezone.now()
    customer.save()
    make_request()

    page = advisor_client.get(ticket_url(ticket)).content.decode()

    sent = TimelineEntry.objects.get(ticket=ticket, event="payment_request.sent")
    assert "Not texted: the customer replied STOP" in entry_html(page, sent)


def test_the_conversation_reads_in_constant_queries(
    advisor_client, make_request, ticket, django_assert_max_num_queries
):
    make_request(send=True)
    advisor_client.get(ticket_url(ticket))
    with django_assert_max_num_queries(12) as few:
        advisor_client.get(ticket_url(ticket))
    for amount in range(5):
        make_request(amount_cents=5_000 + amount, send=True)
        ticket_services.timeline_add(ticket=ticket, kind="inbound", body=f"Paid {amount}?")
    with django_assert_max_num_queries(len(few.captured_queries)):
        advisor_client.get(ticket_url(ticket))


def test_a_poll_that_brings_the_same_conversation_has_the_same_version(advisor_client, ticket):
    ticket_services.timeline_add(ticket=ticket, kind="outbound", body="Your car is ready.")

    def version_and_announce():
        part = advisor_client.get(ticket_url(ticket), headers={"HX-Request": "true"})
        found = re.search(
            r'data-live-version="(\w+)" data-live-announce="([^"]*)"', part.content.decode()
        )
        return found.groups()

    first = version_and_announce()
    assert version_and_announce() == first
    ticket_services.timeline_add(ticket=ticket, kind="inbound", body="On my way")
    changed = version_and_announce()
    assert changed[0] != first[0]
    assert changed[1] == "New text from Dana Driver."
    assert first[1] == "The conversation was updated."
