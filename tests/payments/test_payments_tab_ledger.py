"""The Payments tab's figures are sums of the ledger: each card equals its column, money
counts on the local day it moved, refunds and disputes are money out, fees are net of fees
returned, and two currencies are never added together."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from payments.figures import Figures
from payments.models import LedgerEntry
from payments.movements import ledger_record
from tests.payments.payments_tab import money_out, payment_row

CHICAGO = ZoneInfo("America/Chicago")
URL = "/o/lakeside/payments/"
Kind = LedgerEntry.Kind


def local(*args):
    return datetime(*args, tzinfo=CHICAGO)


def day(text):
    return {"date_from": text, "date_to": text}


def column_sums(response) -> Figures:
    total = Figures()
    for row in response.context["rows"]:
        total = total + row["figures"]
    return total


def cards(response, currency="usd") -> Figures:
    return response.context["totals"].figures(currency)


def test_an_opened_but_unpaid_request_is_in_no_column_and_no_card(admin_client, ticket):
    paid = payment_row(ticket, amount=10_000, at=local(2026, 7, 14, 10))
    payment_row(ticket, amount=7_777, at=local(2026, 7, 14, 11), status="open")
    response = admin_client.get(URL, day("2026-07-14"))
    assert [row["pk"] for row in response.context["rows"]] == [paid.pk]
    assert cards(response).collected == 10_000
    assert response.context["totals"].count == 1


def test_a_request_made_at_2350_and_paid_at_0010_is_on_the_day_it_was_paid(admin_client, ticket):
    payment = payment_row(ticket, amount=5_000, at=local(2026, 7, 15, 0, 10))
    payment.created_at = local(2026, 7, 14, 23, 50)
    payment.save(update_fields=["created_at"])
    assert admin_client.get(URL, day("2026-07-14")).context["rows"] == []
    response = admin_client.get(URL, day("2026-07-15"))
    assert [row["pk"] for row in response.context["rows"]] == [payment.pk]
    assert cards(response).collected == 5_000


def test_a_refund_on_a_later_day_is_money_out_on_that_day_and_net_is_after_refunds(
    admin_client, ticket
):
    payment = payment_row(ticket, amount=10_000, at=local(2026, 7, 14, 10))
    money_out(payment, Kind.REFUND, 4_000, local(2026, 7, 16, 9))
    fee = payment.fee_cents

    paid_day = admin_client.get(URL, day("2026-07-14"))
    assert cards(paid_day) == Figures(collected=10_000, fees=fee)

    refund_day = admin_client.get(URL, day("2026-07-16"))
    row = refund_day.context["rows"][0]
    assert (row["pk"], row["collected"], row["refunds"]) == (payment.pk, "0.00", "-40.00")
    assert cards(refund_day) == Figures(refunds=-4_000)
    assert cards(refund_day).net == -4_000

    every_day = cards(admin_client.get(URL))
    assert every_day == column_sums(admin_client.get(URL))
    assert cards(refund_day) == column_sums(refund_day)
    assert every_day.net == 10_000 - 4_000 - fee
    assert every_day.gross == every_day.fees + every_day.net
    assert b"-$40.00" in refund_day.content


def test_a_fee_returned_with_a_refund_is_taken_off_the_fees(admin_client, ticket):
    payment = payment_row(ticket, amount=10_000, at=local(2026, 7, 14, 10))
    money_out(payment, Kind.REFUND, 10_000, local(2026, 7, 14, 12))
    ledger_record(
        kind=Kind.FEE_RETURNED,
        source=f"refund-test-{payment.pk}",
        organization_id=payment.organization_id,
        currency="usd",
        amount_cents=payment.fee_cents,
        occurred_at=local(2026, 7, 14, 12),
        payment=payment,
    )
    figures = cards(admin_client.get(URL))
    assert figures == Figures(collected=10_000, refunds=-10_000, fees=0)
    assert figures.net == 0


def test_a_dispute_and_stripes_dispute_fee_are_counted(admin_client, ticket):
    payment = payment_row(ticket, amount=10_000, at=local(2026, 7, 14, 10))
    money_out(payment, Kind.DISPUTE, 10_000, local(2026, 7, 20, 10), source="dispute-dp_1")
    money_out(payment, Kind.DISPUTE_FEE, 1_500, local(2026, 7, 20, 10), source="dispute-dp_1")
    figures = cards(admin_client.get(URL, day("2026-07-20")))
    assert figures == Figures(disputes=-10_000, fees=1_500)
    assert figures.net == -11_500
    row = admin_client.get(URL, day("2026-07-20")).context["rows"][0]
    assert (row["disputes"], row["fee"]) == ("-100.00", "15.00")


def test_two_currencies_are_never_added_together(admin_client, ticket):
    usd = payment_row(ticket, amount=50_000, at=local(2026, 7, 14, 10))
    cad = payment_row(ticket, amount=50_000, at=local(2026, 7, 14, 11))
    LedgerEntry.objects.filter(payment=cad).update(currency="cad")
    response = admin_client.get(URL)
    assert cards(response, "usd").collected == 50_000
    assert cards(response, "cad").collected == 50_000
    assert [c for c, _f in response.context["cards"]] == ["usd", "cad"]
    assert b"$1,000.00" not in response.content
    assert usd.pk in [row["pk"] for row in response.context["rows"]]


def test_the_refund_time_on_the_payment_page_is_local_with_its_zone(admin_client, ticket):
    from payments.models import Refund

    at = datetime(2026, 11, 1, 7, 30, tzinfo=ZoneInfo("UTC"))  # 1:30 AM CST, the second one
    payment = payment_row(
        ticket, at=local(2026, 10, 30, 10), status="refunded", refunded_cents=10_000
    )
    payment.refunded_at = at
    payment.save(update_fields=["refunded_at"])
    Refund.objects.create(
        organization=payment.organization,
        payment=payment,
        amount_cents=10_000,
        currency="usd",
        status=Refund.Status.SUCCEEDED,
    )
    response = admin_client.get(f"{URL}{payment.pk}/")
    assert re.search(
        r'id="refund-time"><time class="app-time" datetime="2026-11-01T07:30:00Z" '
        r'title="2026-11-01 07:30 UTC">Nov 1, 2026, 1:30\u202fAM CST</time>',
        response.content.decode(),
    )
