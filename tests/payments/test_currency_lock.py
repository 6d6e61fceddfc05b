"""Once an organization has collected a payment its country, and so its currency, is locked:
the admin tab's form refuses the change with a sentence, and so does the service."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from payments.models import LedgerEntry
from teams import services as team_services
from teams.models import Organization
from tests.payments.payments_tab import payment_row

URL = "/o/lakeside/admin/"
CANADA = {"name": "Lakeside Motors", "country": "CA", "time_zone": "America/Toronto"}


def test_before_any_payment_the_country_can_change(admin_client, organization):
    response = admin_client.post(URL, CANADA)
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.country_code == "CA"


def test_the_first_paid_payment_locks_the_currency_and_the_form_refuses_a_country_change(
    admin_client, organization, ticket
):
    payment = payment_row(ticket, amount=50_000, at=timezone.now())
    organization.refresh_from_db()
    assert organization.currency_locked_at == payment.paid_at

    page = admin_client.get(URL)
    assert b"The country can no longer change" in page.content
    response = admin_client.post(URL, CANADA)  # a forged POST: the field is disabled
    organization.refresh_from_db()
    assert organization.country_code == "US"
    assert str(organization.time_zone) == "America/Toronto"  # the other fields still save
    assert response.status_code == 302


def test_the_service_refuses_a_country_change_once_locked(organization, ticket, admin_membership):
    payment_row(ticket, at=timezone.now())
    organization.refresh_from_db()
    with pytest.raises(ValidationError, match="can no longer change"):
        team_services.organization_update(
            organization=organization, actor=admin_membership.user, **CANADA
        )
    assert Organization.objects.get(pk=organization.pk).country_code == "US"


def test_the_migration_locks_organizations_that_were_paid_before_it(organization, ticket):
    payment = payment_row(ticket, at=timezone.now())
    Organization.objects.filter(pk=organization.pk).update(currency_locked_at=None)
    assert LedgerEntry.objects.filter(payment=payment).exists()
    migration = importlib.import_module("payments.migrations.0013_currency_lock")
    migration.lock(apps, None)
    assert Organization.objects.get(pk=organization.pk).currency_locked_at == payment.paid_at
