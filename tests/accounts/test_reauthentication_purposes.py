"""The password page says what it confirms for every action that asks for it: a refund (tests/
payments/test_refunds.py), a role change or a removal, and a change of the payout settings."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from tests.factories import PASSWORD
from tests.helpers import age_password_check


def purpose(client, location: str) -> str:
    page = client.get(location).content.decode()
    found = re.search(r'id="reauthentication-purpose">(.*?)</p>', page, re.S)
    assert found, page
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def signed_in_long_ago(client, membership):
    assert client.post("/accounts/login/", {"login": membership.user.email, "password": PASSWORD})
    age_password_check(client, 10 * 60)
    return client


def test_a_role_change_s_password_page_says_it_is_for_members(
    client, organization, admin_membership, advisor_membership
):
    signed_in_long_ago(client, admin_membership)
    manage = reverse("manage", kwargs={"org": organization.slug})
    url = reverse("member_role", kwargs={"org": organization.slug, "pk": advisor_membership.pk})
    response = client.post(
        url,
        {"role": "manager"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{manage}",
    )
    location = response["HX-Redirect"]
    assert parse_qs(urlsplit(location).query)["next"] == [manage]

    assert purpose(client, location) == (
        "Enter your password to change a member's role or remove a member. Then make the "
        "change again on the Manage tab: it was not saved yet."
    )
    advisor_membership.refresh_from_db()
    assert advisor_membership.role == "advisor"


def test_the_payout_settings_password_page_says_what_it_confirms(
    client, organization, admin_membership
):
    signed_in_long_ago(client, admin_membership)
    response = client.post(
        reverse("payout_settings", kwargs={"org": organization.slug}), {"form": "schedule"}
    )
    assert response.status_code == 302

    assert purpose(client, response["Location"]) == (
        "Enter your password to change the payout settings: where and when Stripe pays out."
    )


def test_another_page_gets_the_general_sentence(client, organization, admin_membership):
    signed_in_long_ago(client, admin_membership)
    assert "this action needs a recent sign-in" in purpose(
        client, "/accounts/reauthenticate/?next=/accounts/password/change/"
    )
