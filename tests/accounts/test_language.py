"""Each person reads the product in the language they chose in the user menu, or their
browser's until they choose."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import User
from teams.models import AuditLog
from teams.roles import Role

URL = "/o/lakeside/payments/"


def test_until_they_choose_a_person_reads_their_browser_s_language(admin_client):
    response = admin_client.get(URL, headers={"Accept-Language": "es-MX,es;q=0.9"})

    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()


def test_the_language_a_person_chose_wins_over_their_browser_s(admin_client, admin_membership):
    User.objects.filter(pk=admin_membership.user.pk).update(language="fr-ca")

    response = admin_client.get(URL, headers={"Accept-Language": "es"})

    body = response.content.decode()
    assert response["Content-Language"] == "fr-ca"
    assert '<html lang="fr-ca">' in body
    # the catalogs are compiled by `make test` (make messages) before the tests run
    assert "<h1>Paiements</h1>" in body, "French not found: compile the catalogs (make messages)"


def test_choosing_a_language_in_the_menu_keeps_it_and_goes_back(admin_client, admin_membership):
    page = admin_client.get(URL).content.decode()
    assert 'action="/account/language/"' in page and 'lang="fr-ca">Français (Canada)<' in page

    response = admin_client.post("/account/language/", {"language": "es", "next": URL})

    assert response.status_code == 302 and response["Location"] == URL
    admin_membership.user.refresh_from_db()
    assert admin_membership.user.language == "es"
    assert "selected>Español<" in admin_client.get(URL).content.decode()

    admin_client.post("/account/language/", {"language": "", "next": URL})
    admin_membership.user.refresh_from_db()
    assert admin_membership.user.language == ""  # the browser's again


@pytest.mark.parametrize("language", ["de", "xx", "fr-ca'><script>"])
def test_a_language_not_offered_is_refused_and_changes_nothing(
    admin_client, admin_membership, language
):
    response = admin_client.post("/account/language/", {"language": language, "next": URL})

    assert response.status_code == 400
    assert "not offered" in response.content.decode()
    admin_membership.user.refresh_from_db()
    assert admin_membership.user.language == ""


def test_the_way_back_after_choosing_never_leaves_the_site(admin_client):
    response = admin_client.post(
        "/account/language/", {"language": "es", "next": "https://evil.example/phish"}
    )

    assert response.status_code == 302 and response["Location"] == "/"


def test_only_a_signed_in_person_chooses_a_language(client):
    response = client.post("/account/language/", {"language": "es"})

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# The organization's language --------------------------------------------------------------


def test_an_organization_s_e_mails_are_written_in_its_language_whoever_sends_them(
    organization, admin_membership, service_team, django_capture_on_commit_callbacks, mailoutbox
):
    from teams import services

    organization.language = "es"
    organization.save(update_fields=["language"])
    with translation.override("fr-ca"), django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            organization=organization,
            actor=admin_membership.user,
            full_name="Jordan Books",
            email="jordan@example.com",
            mobile_phone="+13125550123",
            role=Role.MANAGER,
            teams=[service_team],
        )

    (message,) = mailoutbox
    with translation.override("es"):
        expected = translation.gettext("%(inviter)s invited you to %(organization)s")
    assert expected != "%(inviter)s invited you to %(organization)s", "compile the catalogs"
    assert message.subject == expected % {
        "inviter": admin_membership.user,
        "organization": organization,
    }

    member = services.invitation_register(
        invitation=invitation,
        full_name="Jordan Books",
        mobile_phone="+13125550123",
        password="a-long-pass-2026!",
    )
    assert member.user.language == "es"  # a new member starts in the organization's language


def test_the_admin_sets_the_organization_s_language_and_it_is_audited(admin_client, organization):
    response = admin_client.post(
        "/o/lakeside/admin/",
        {
            "name": organization.name,
            "country": "US",
            "time_zone": "America/Chicago",
            "language": "fr-ca",
        },
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.language == "fr-ca"
    entry = AuditLog.objects.get(action="organization.updated")
    assert entry.data == {"language": ["", "fr-ca"]}

    refused = admin_client.post(
        "/o/lakeside/admin/",
        {
            "name": organization.name,
            "country": "US",
            "time_zone": "America/Chicago",
            "language": "xx",
        },
    )
    assert refused.status_code == 422
    organization.refresh_from_db()
    assert organization.language == "fr-ca"
