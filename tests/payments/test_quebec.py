"""A dealership in Québec serves its customers in French first (the Charter of the French
language): its texts and payment pages are in French unless the customer chose otherwise,
and its customer pages offer French ahead of the other languages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from teams.models import AuditLog

SMS = "%(org)s: %(amount)s for %(description)s. Pay securely: %(link)s"


@pytest.fixture
def quebec(organization):
    organization.country, organization.province = "CA", "QC"
    organization.language = "en"  # its staff work in English: its customers still read French
    organization.save(update_fields=["country", "province", "language"])
    return organization


def test_the_admin_places_the_dealership_in_quebec_and_it_is_audited(admin_client, organization):
    settings = {"name": organization.name, "time_zone": "America/Toronto", "language": ""}

    response = admin_client.post(
        "/o/lakeside/admin/", {**settings, "country": "CA", "province": "QC"}
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.in_quebec and organization.customer_language == "fr-ca"
    entry = AuditLog.objects.get(action="organization.updated")
    assert entry.data["province"] == ["", "QC"]


def test_a_province_of_another_country_is_refused_with_a_sentence_and_changes_nothing(
    admin_client, organization
):
    settings = {"name": organization.name, "time_zone": "America/Chicago", "language": ""}

    refused = admin_client.post(
        "/o/lakeside/admin/", {**settings, "country": "US", "province": "QC"}
    )

    assert refused.status_code == 422
    assert "is not in the country chosen" in refused.content.decode()
    organization.refresh_from_db()
    assert (
        organization.province == ""
        and not AuditLog.objects.filter(action="organization.updated").exists()
    )


def test_a_quebec_customer_without_a_language_gets_the_text_in_french(quebec, make_request):
    payment_request = make_request(send=True)

    with translation.override("fr-ca"):
        french = translation.gettext(SMS)
    assert french != SMS, "compile the catalogs (make messages)"
    amount = "1 234,56 $"  # Canadian dollars, written in French, with plain spaces for GSM-7
    assert payment_request.sms.body == french % {
        "org": quebec.name,
        "amount": amount,
        "description": "Brake service",
        "link": payment_request.sms.body.rsplit(" ", 1)[-1],
    }


def test_a_quebec_customer_who_chose_english_reads_english(quebec, ticket, make_request):
    ticket.customer.language = "en"
    ticket.customer.save(update_fields=["language"])

    payment_request = make_request(send=True)

    assert payment_request.sms.body.startswith(f"{quebec.name}: $1,234.56 for ")


def test_the_quebec_payment_page_is_in_french_and_offers_french_first(
    client, quebec, payment_request
):
    html = client.get(reverse("payment_public", args=[payment_request.token])).content.decode()

    assert '<html lang="fr-ca"' in html
    languages = html[html.index('id="languages"') :]
    assert languages.index("Français (Canada)") < languages.index("English")


def test_elsewhere_english_comes_first(client, payment_request):
    html = client.get(reverse("payment_public", args=[payment_request.token])).content.decode()

    languages = html[html.index('id="languages"') :]
    assert languages.index("English") < languages.index("Français (Canada)")


def test_the_ticket_says_which_language_the_dealership_s_customers_read(
    admin_client, quebec, ticket
):
    html = admin_client.get(f"/o/lakeside/tickets/{ticket.pk}/").content.decode()

    assert "Default (Français (Canada))" in html
