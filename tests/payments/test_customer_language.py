"""The customer's side speaks the customer's language: theirs when the advisor set it, else
their dealership's; the payment page can be switched, and keeps the choice for that link."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
import responses
from django.urls import reverse
from django.utils import translation

from payments.requests import checkout as requests_checkout
from payments.requests import reminders
from tests.payments import stripe_fixtures as sf


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        translated = translation.gettext(text)
    assert translated != text, f"no {language} translation: compile the catalogs (make messages)"
    return translated


@pytest.fixture
def spanish_customer(ticket):
    ticket.customer.language = "es"
    ticket.customer.save(update_fields=["language"])
    return ticket.customer


SMS = "%(org)s: %(amount)s for %(description)s. Pay securely: %(link)s"


def test_the_payment_text_is_in_the_customer_s_language(spanish_customer, make_request):
    payment_request = make_request(send=True)

    spanish = in_language("es", SMS)
    assert payment_request.sms.body == spanish % {
        "org": payment_request.organization.name,
        "amount": "$1,234.56",
        "description": "Brake service",
        "link": payment_request.sms.body.rsplit(" ", 1)[-1],
    }


def test_without_a_language_of_their_own_a_customer_reads_the_dealership_s(
    ticket, organization, make_request
):
    organization.language = "fr-ca"
    organization.save(update_fields=["language"])

    payment_request = make_request(send=True)

    french = in_language("fr-ca", SMS)
    assert french.split("%(description)s")[1].split("%(link)s")[0] in payment_request.sms.body


def test_the_payment_page_is_in_the_customer_s_language_and_can_be_switched(
    client, spanish_customer, payment_request
):
    url = reverse("payment_public", args=[payment_request.token])

    spanish = client.get(url)
    assert spanish["Content-Language"] == "es"
    assert '<html lang="es"' in spanish.content.decode()
    assert 'lang="de" hreflang="de" rel="alternate">Deutsch<' in spanish.content.decode()

    german = client.get(url, {"lang": "de"})
    assert german["Content-Language"] == "de"
    assert in_language("de", "Secure payment by Stripe") in german.content.decode()
    assert client.get(url)["Content-Language"] == "de"  # kept for that link

    assert client.get(url, {"lang": "xx"})["Content-Language"] == "de"  # not offered: ignored


def test_stripe_checkout_opens_in_the_customer_s_language(
    spanish_customer, payment_request, real_keys, stripe_http
):
    stripe_http.add(
        responses.POST,
        f"{sf.API}/v1/checkout/sessions",
        json=sf.stripe_object(
            "checkout.session", id="cs_test_es", url="https://checkout.stripe.com/c/pay/cs_test_es"
        ),
    )

    requests_checkout.payment_request_checkout(
        payment_request=payment_request,
        success_url="https://pay.example/p/t/success/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://pay.example/p/t/cancel/",
    )

    [call] = stripe_http.calls
    assert parse_qs(call.request.body)["locale"] == ["es-419"]


def test_a_reminder_is_in_the_customer_s_language(spanish_customer, payment_request):
    noon = datetime.now(ZoneInfo("America/Chicago")).replace(hour=12, minute=0)
    sent = reminders.payment_reminder_send(request_id=payment_request.pk, now=noon)

    payment_request.refresh_from_db()
    assert sent and payment_request.sms.body.startswith(
        in_language("es", "Reminder from %(sms)s").split("%(sms)s")[0]
    )


def test_the_advisor_sets_the_customer_s_language_on_the_ticket(advisor_client, ticket):
    url = f"/o/lakeside/tickets/{ticket.pk}/"
    page = advisor_client.get(url).content.decode()
    assert 'id="customer-language"' in page and 'lang="pl">Polski<' in page

    response = advisor_client.post(url + "customer-language/", {"language": "pl"})

    assert response.status_code == 302 and response["Location"] == url
    ticket.customer.refresh_from_db()
    assert ticket.customer.language == "pl"
    assert 'value="pl" lang="pl" selected>Polski<' in advisor_client.get(url).content.decode()


def test_a_language_not_offered_to_customers_is_refused_and_changes_nothing(
    advisor_client, spanish_customer, ticket
):
    response = advisor_client.post(
        f"/o/lakeside/tickets/{ticket.pk}/customer-language/", {"language": "xx"}
    )

    assert response.status_code == 400 and "not offered" in response.content.decode()
    spanish_customer.refresh_from_db()
    assert spanish_customer.language == "es"


def test_another_organization_s_ticket_answers_404(client, outsider_membership, ticket):
    client.force_login(outsider_membership.user)

    response = client.post(
        f"/o/lakeside/tickets/{ticket.pk}/customer-language/", {"language": "pl"}
    )

    assert response.status_code == 404
    ticket.customer.refresh_from_db()
    assert ticket.customer.language == ""
