"""The demo's Checkout page refuses a card whose expiry date has passed, as Stripe's does."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from payments.gateway.demo.views import CheckoutForm
from payments.models import PaymentRequest

CARD = {"card_number": "4242 4242 4242 4242", "cvc": "123"}
PAST = "Your card&#x27;s expiration date is in the past."


def months_from_now(months: int) -> tuple[int, int]:
    today = datetime.now(tz=UTC)
    index = today.year * 12 + today.month - 1 + months
    return index // 12, index % 12 + 1


def typed(year: int, month: int) -> str:
    return f"{month:02d} / {year % 100:02d}"


def expiry_errors(expiry: str) -> list[str]:
    form = CheckoutForm({**CARD, "expiry": expiry})
    form.is_valid()
    return form.errors.get("expiry", [])


@pytest.mark.parametrize("expiry", ["12/34", "12 / 34", "1234", "12/2034", "1/34"])
def test_an_expiry_date_is_read_as_stripe_reads_it(expiry):
    form = CheckoutForm({**CARD, "expiry": expiry})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expiry"] == (2034, int(expiry.split("/")[0].strip()[:2]))


def test_a_card_is_good_through_the_end_of_its_month():
    assert expiry_errors(typed(*months_from_now(0))) == []
    assert expiry_errors(typed(*months_from_now(1))) == []


@pytest.mark.parametrize("months", [-1, -12, -30])
def test_a_past_expiry_date_is_refused(months):
    assert expiry_errors(typed(*months_from_now(months))) == [
        "Your card's expiration date is in the past."
    ]


@pytest.mark.parametrize("expiry", ["12", "13/30", "00/30", "ab/cd", "12/3", "12/345"])
def test_an_unreadable_expiry_date_is_incomplete(expiry):
    assert expiry_errors(expiry) == ["Your card's expiration date is incomplete."]


def test_the_demo_checkout_charges_nothing_with_a_past_expiry_date(
    client, payment_request, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        location = client.post(reverse("payment_public_pay", args=[payment_request.token]))[
            "Location"
        ]
    checkout = urlsplit(location).path
    with django_capture_on_commit_callbacks(execute=False) as held:
        refused = client.post(checkout, {**CARD, "expiry": typed(*months_from_now(-1))})
    assert refused.status_code == 422
    assert PAST in refused.content.decode()
    assert not held  # no charge, no event
    payment_request.refresh_from_db()
    assert payment_request.status != PaymentRequest.Status.PAID

    with django_capture_on_commit_callbacks(execute=False):
        paid = client.post(checkout, {**CARD, "expiry": typed(*months_from_now(12))})
    assert paid.status_code == 303
    assert "/success/" in paid["Location"]
