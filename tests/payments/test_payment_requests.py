"""F4: requesting a payment from a ticket: validation, roles and tenancy, the SMS, and the
exact Checkout Session parameters sent to Stripe."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import responses
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import sms
from payments.models import ConnectedAccount, PaymentRequest
from payments.requests import checkout as requests_checkout
from payments.requests import services as requests_services
from teams.models import AuditLog
from teams.roles import Role
from tests.factories import MembershipFactory, TeamFactory
from tests.payments import stripe_fixtures as sf
from tickets.models import TimelineEntry
from tickets.services import customer_get_or_create, ticket_open


def panel_url(ticket) -> str:
    return reverse(
        "ticket_payment_requests", kwargs={"org": ticket.organization.slug, "pk": ticket.pk}
    )


def post_request(client, ticket, **data):
    payload = {"amount": "1,234.56", "description": "Brake service", "reference": "RO-4411"}
    payload.update(data)
    return client.post(panel_url(ticket), payload, HTTP_HX_REQUEST="true")


# The service ----------------------------------------------------------------------------


def test_create_stores_the_request_texts_the_link_and_writes_the_timeline(
    make_request, ticket, organization
):
    from django.conf import settings as django_settings

    created = make_request(send=True)
    assert created.status == PaymentRequest.Status.OPEN
    assert created.amount_cents == 123_456
    assert created.currency == "usd"
    assert created.fee_cents == 4042  # 3.25% of 1,234.56 = 40.12, + 0.30
    assert created.dealership_net_cents == 123_456 - 4042
    assert len(created.token) >= 32  # 24 random bytes, URL-safe
    assert created.sms is not None
    [message] = sms.outbox
    link = f"{django_settings.SITE_URL}/p/{created.token}/"
    assert message.body == (f"Lakeside Motors: $1,234.56 for Brake service. Pay securely: {link}")
    assert message.to == "+13125550143"
    entry = TimelineEntry.objects.get(ticket=ticket, event="payment_request.sent")
    assert entry.data["amount"] == "$1,234.56"
    assert entry.data["description"] == "Brake service"
    assert AuditLog.objects.filter(
        organization=organization, action="payment_request.created"
    ).exists()


def test_tokens_are_unique_and_long(make_request):
    tokens = {make_request(amount_cents=100 + i).token for i in range(20)}
    assert len(tokens) == 20
    assert all(len(t) == 32 for t in tokens)


def test_an_opted_out_customer_gets_no_text_but_a_request_with_a_link(
    make_request, customer, ticket
):
    customer.opted_out_at = timezone.now()
    customer.save()
    created = make_request(send=True)
    assert created.sms is None
    assert sms.outbox == []
    assert (
        TimelineEntry.objects.get(ticket=ticket, event="payment_request.sent").data["texted"]
        is False
    )


def test_no_request_before_stripe_is_connected(lakeside_account, ticket, advisor_membership):
    with pytest.raises(ValidationError):
        requests_services.payment_request_create(
            ticket=ticket, actor=advisor_membership.user, amount_cents=1000, description="Oil"
        )
    assert not PaymentRequest.objects.exists()


def test_resend_texts_the_same_link_again(
    make_request, ticket, advisor_membership, django_capture_on_commit_callbacks
):
    created = make_request(send=True)
    with django_capture_on_commit_callbacks(execute=True):
        requests_services.payment_request_resend(
            payment_request=created, actor=advisor_membership.user
        )
    first, second = sms.outbox
    assert first.body == second.body
    assert TimelineEntry.objects.filter(ticket=ticket, event="payment_request.resent").count() == 1


def test_cancel_then_nothing_more(make_request, advisor_membership):
    created = make_request()
    requests_checkout.payment_request_cancel(payment_request=created, actor=advisor_membership.user)
    created.refresh_from_db()
    assert created.status == PaymentRequest.Status.CANCELLED
    with pytest.raises(ValidationError):
        requests_checkout.payment_request_cancel(
            payment_request=created, actor=advisor_membership.user
        )
    with pytest.raises(ValidationError):
        requests_services.payment_request_resend(
            payment_request=created, actor=advisor_membership.user
        )
    with pytest.raises(ValidationError):
        requests_checkout.payment_request_checkout(
            payment_request=created, success_url="x", cancel_url="y"
        )


def test_cancel_closes_the_open_checkout_session(
    make_request, advisor_membership, django_capture_on_commit_callbacks
):
    from payments.gateway.demo.gateway import DemoGateway

    created = make_request()
    with django_capture_on_commit_callbacks(execute=False):
        requests_checkout.payment_request_checkout(
            payment_request=created,
            success_url="http://testserver/s",
            cancel_url="http://testserver/c",
        )
    created.refresh_from_db()
    session_id = created.checkout_session_id
    with django_capture_on_commit_callbacks(execute=False):
        requests_checkout.payment_request_cancel(
            payment_request=created, actor=advisor_membership.user
        )
    assert DemoGateway().retrieve_checkout_session(session_id)["status"] == "expired"
    with django_capture_on_commit_callbacks(execute=False):
        result = DemoGateway().pay_checkout(session_id, card_number="4242 4242 4242 4242")
    assert result["paid"] is False


# The form (422, nothing created, no SMS) --------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "0.49"}, "amount"),
        ({"amount": "50,000.01"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"amount": "-10"}, "amount"),
        (
            {"amount": "\u0661\u0662\u0663.\u0664\u0665"},
            "amount",
        ),  # Arabic-Indic digits are not read as 123.45
        ({"amount": "\uff11\uff12\uff13"}, "amount"),  # nor full-width ones as 123
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
    ],
)
def test_bad_input_is_422_with_the_reason_and_creates_nothing(
    advisor_client, connected_account, ticket, data, field, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_request(advisor_client, ticket, **data)
    assert response.status_code == 422
    assert b"is-invalid" in response.content
    assert not PaymentRequest.objects.exists()
    assert sms.outbox == []


def test_a_good_post_creates_and_shows_the_request(
    advisor_client, connected_account, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_request(advisor_client, ticket, amount="$1,234.56")
    assert response.status_code == 200
    created = PaymentRequest.objects.get()
    assert created.amount_cents == 123_456 and created.reference == "RO-4411"
    assert b"$1,234.56" in response.content
    assert len(sms.outbox) == 1


def test_the_panel_stops_the_outer_polling_and_lists_requests(
    advisor_client, payment_request, ticket
):
    response = advisor_client.get(panel_url(ticket), HTTP_HX_REQUEST="true")
    assert response.status_code == 286
    assert b"Brake service" in response.content
    assert b"Request payment" in response.content
    listed = advisor_client.get(panel_url(ticket) + "?part=list", HTTP_HX_REQUEST="true")
    assert listed.status_code == 200
    assert b'id="pr-form"' not in listed.content


# Roles and tenancy ----------------------------------------------------------------------


def test_a_manager_of_another_team_may_see_but_not_request(
    client, organization, connected_account, ticket
):
    other_team = TeamFactory(organization=organization, name="Sales", payments_enabled=True)
    manager = MembershipFactory(organization=organization, role=Role.MANAGER)
    other_team.members.add(manager)
    client.force_login(manager.user)
    panel = client.get(panel_url(ticket))
    assert panel.status_code == 200
    assert b"Only members of the Service team" in panel.content
    assert post_request(client, ticket).status_code == 403
    assert not PaymentRequest.objects.exists()


def test_an_advisor_outside_the_team_gets_404(
    client, organization, connected_account, ticket, payment_request
):
    outsider = MembershipFactory(organization=organization, role=Role.ADVISOR)
    client.force_login(outsider.user)
    assert client.get(panel_url(ticket)).status_code == 404
    assert post_request(client, ticket).status_code == 404
    kwargs = {"org": "lakeside", "ticket_pk": ticket.pk, "pk": payment_request.pk}
    assert client.post(reverse("payment_request_cancel", kwargs=kwargs)).status_code == 404
    assert client.post(reverse("payment_request_resend", kwargs=kwargs)).status_code == 404


def test_another_organization_gets_404(client, outsider_membership, ticket, payment_request):
    client.force_login(outsider_membership.user)
    assert client.get(panel_url(ticket)).status_code == 404
    hilltop = reverse("ticket_payment_requests", kwargs={"org": "hilltop", "pk": ticket.pk})
    assert client.get(hilltop).status_code == 404
    kwargs = {"org": "hilltop", "ticket_pk": ticket.pk, "pk": payment_request.pk}
    assert client.post(reverse("payment_request_cancel", kwargs=kwargs)).status_code == 404


def test_a_request_of_another_ticket_is_404(
    advisor_client, organization, service_team, payment_request
):
    other_customer = customer_get_or_create(
        organization=organization, name="Sam", mobile_phone="+13125550199"
    )
    other_ticket = ticket_open(
        organization=organization, team=service_team, customer=other_customer
    )
    kwargs = {"org": "lakeside", "ticket_pk": other_ticket.pk, "pk": payment_request.pk}
    assert advisor_client.post(reverse("payment_request_cancel", kwargs=kwargs)).status_code == 404


def test_a_team_without_payments_explains_why(
    client, organization, connected_account, parts_team, customer, admin_membership
):
    parts_ticket = ticket_open(organization=organization, team=parts_team, customer=customer)
    client.force_login(admin_membership.user)
    panel = client.get(panel_url(parts_ticket))
    assert b"doesn&#x27;t take payments" in panel.content
    assert post_request(client, parts_ticket).status_code == 422
    assert not PaymentRequest.objects.exists()


def test_not_connected_explains_why(advisor_client, lakeside_account, ticket):
    panel = advisor_client.get(panel_url(ticket))
    assert b"not connected to Stripe yet" in panel.content
    assert post_request(advisor_client, ticket).status_code == 422


def test_cancel_and_resend_through_the_panel(
    advisor_client, payment_request, ticket, django_capture_on_commit_callbacks
):
    kwargs = {"org": "lakeside", "ticket_pk": ticket.pk, "pk": payment_request.pk}
    with django_capture_on_commit_callbacks(execute=True):
        resent = advisor_client.post(
            reverse("payment_request_resend", kwargs=kwargs), HTTP_HX_REQUEST="true"
        )
        assert resent.status_code == 200
        assert b"texted again" in resent.content
    assert len(sms.outbox) == 1
    # A plain form post (no htmx) goes back to the ticket page with the message.
    cancelled = advisor_client.post(reverse("payment_request_cancel", kwargs=kwargs))
    assert cancelled.status_code == 302
    assert cancelled["Location"] == f"/o/lakeside/tickets/{ticket.pk}/"
    payment_request.refresh_from_db()
    assert payment_request.status == "cancelled"
    assert advisor_client.post(reverse("payment_request_cancel", kwargs=kwargs)).status_code == 422


def test_the_service_refuses_a_non_member_too(connected_account, ticket, organization):
    outsider = MembershipFactory(organization=organization, role=Role.ADVISOR)
    with pytest.raises(PermissionDenied):
        requests_services.payment_request_create(
            ticket=ticket, actor=outsider.user, amount_cents=1000, description="x"
        )


# Checkout parameters at the HTTP boundary -------------------------------------------------


def checkout_answer(**fields):
    session = sf.stripe_object("checkout.session", **fields)
    return session


def test_checkout_session_parameters_sent_to_stripe(
    payment_request, real_keys, stripe_http, settings
):
    settings.SITE_URL = "https://pay.example"
    expires = int(timezone.now().timestamp()) + 23 * 3600
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/checkout/sessions",
        json=checkout_answer(
            id="cs_test_1", url="https://checkout.stripe.com/c/pay/cs_test_1", expires_at=expires
        ),
    )
    account = ConnectedAccount.objects.get(
        organization_id=payment_request.organization_id
    ).stripe_account_id
    url = requests_checkout.payment_request_checkout(
        payment_request=payment_request,
        success_url="https://pay.example/p/t/success/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://pay.example/p/t/cancel/",
    )
    assert url == "https://checkout.stripe.com/c/pay/cs_test_1"
    [call] = stripe_http.calls
    sent = parse_qs(call.request.body, keep_blank_values=True)
    one = {k: v[0] for k, v in sent.items()}
    assert (
        call.request.headers["Idempotency-Key"]
        == f"payment-request-{payment_request.pk}-checkout-1"
    )
    assert one["mode"] == "payment"
    assert one["line_items[0][quantity]"] == "1"
    assert one["line_items[0][price_data][currency]"] == "usd"
    assert one["line_items[0][price_data][unit_amount]"] == "123456"
    assert one["line_items[0][price_data][product_data][name]"] == "Brake service"
    assert one["payment_intent_data[application_fee_amount]"] == "4042"
    assert one["payment_intent_data[transfer_data][destination]"] == account
    assert one["payment_intent_data[on_behalf_of]"] == account
    assert one["payment_intent_data[metadata][payment_request_id]"] == str(payment_request.pk)
    assert one["payment_intent_data[metadata][organization_id]"] == str(
        payment_request.organization_id
    )
    assert one["metadata[payment_request_id]"] == str(payment_request.pk)
    assert one["metadata[organization_id]"] == str(payment_request.organization_id)
    assert one["client_reference_id"] == str(payment_request.pk)
    assert one["allowed_payment_method_types[0]"] == "card"
    assert "allowed_payment_method_types[1]" not in one
    assert one["success_url"].endswith("?session_id={CHECKOUT_SESSION_ID}")
    assert one["cancel_url"] == "https://pay.example/p/t/cancel/"
    ahead = int(one["expires_at"]) - timezone.now().timestamp()
    assert 23 * 3600 - 60 < ahead <= 23 * 3600  # within Stripe's 30 minutes to 24 hours
    assert one["locale"] == "en"  # the customer's language (English: theirs and the dealership's)
    payment_request.refresh_from_db()
    assert payment_request.checkout_session_id == "cs_test_1"
    assert payment_request.checkout_attempt == 1


def test_an_open_session_is_reused_and_an_expired_one_replaced(
    payment_request, real_keys, stripe_http
):
    now = int(timezone.now().timestamp())
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/checkout/sessions",
        json=checkout_answer(
            id="cs_test_1",
            url="https://checkout.stripe.com/c/pay/cs_test_1",
            expires_at=now + 82800,
        ),
    )
    first = requests_checkout.payment_request_checkout(
        payment_request=payment_request, success_url="https://s", cancel_url="https://c"
    )
    again = requests_checkout.payment_request_checkout(
        payment_request=payment_request, success_url="https://s", cancel_url="https://c"
    )
    assert first == again
    assert len(stripe_http.calls) == 1
    # The session has expired (Stripe's event cleared it, or its time is up).
    PaymentRequest.objects.filter(pk=payment_request.pk).update(checkout_expires_at=timezone.now())
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/checkout/sessions/cs_test_1/expire",
        json=checkout_answer(id="cs_test_1", status="expired"),
    )
    stripe_http.replace(
        responses.POST,
        f"{sf.API}/v1/checkout/sessions",
        json=checkout_answer(
            id="cs_test_2",
            url="https://checkout.stripe.com/c/pay/cs_test_2",
            expires_at=now + 82800,
        ),
    )
    renewed = requests_checkout.payment_request_checkout(
        payment_request=payment_request, success_url="https://s", cancel_url="https://c"
    )
    assert renewed.endswith("cs_test_2")
    create_calls = [c for c in stripe_http.calls if c.request.url.endswith("/v1/checkout/sessions")]
    assert create_calls[-1].request.headers["Idempotency-Key"] == (
        f"payment-request-{payment_request.pk}-checkout-2"
    )


def test_a_stripe_refusal_creates_no_session(payment_request, real_keys, stripe_http):
    from payments.gateway import GatewayError

    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/checkout/sessions",
        json=sf.error_body("The destination account can't take charges.", code="account_invalid"),
        status=400,
    )
    with pytest.raises(GatewayError):
        requests_checkout.payment_request_checkout(
            payment_request=payment_request, success_url="https://s", cancel_url="https://c"
        )
    payment_request.refresh_from_db()
    assert payment_request.checkout_session_id == ""
