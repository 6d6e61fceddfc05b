"""A payout's composition from the connected account's balance transactions: the
exact Stripe request, pagination, lines linked to our payments, totals that
add up to the payout, idempotent re-sync, the demo gateway end to end, and the page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from accounts.formats import format_money
from payments.gateway.demo import tasks as gateway_demo_tasks
from payments.gateway.demo.gateway import DEMO_CARD_SUCCESS, DemoGateway
from payments.models import ConnectedAccount, PaymentRequest, Payout, PayoutLine
from payments.payouts.services import payout_composition_sync
from payments.requests import checkout as requests_checkout
from payments.webhooks import pipeline as webhooks_pipeline
from teams.audit import AuditAction, describe
from teams.models import AuditLog
from tests.factories import PASSWORD
from tests.payments import stripe_fixtures as sf

LIST_URL = f"{sf.API}/v1/balance_transactions"


def sign_in(client, membership):
    response = client.post(
        "/accounts/login/", {"login": membership.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def txn(type_: str, amount: int, *, fee: int = 0, source=None, **fields) -> dict:
    return sf.stripe_object(
        "balance_transaction",
        id=sf.unique_id("txn"),
        amount=amount,
        fee=fee,
        net=amount - fee,
        type=type_,
        source=source,
        created=sf.now(),
        description=fields.pop("description", None),
        **fields,
    )


def payment_txn(amount: int, charge_id: str, *, py_id: str | None = None) -> dict:
    source = sf.stripe_object(
        "charge",
        id=py_id or sf.unique_id("py"),
        amount=amount,
        source_transfer=sf.stripe_object(
            "transfer",
            id=sf.unique_id("tr"),
            amount=amount,
            source_transaction=charge_id,
            destination=sf.ACCOUNT_ID,
        ),
    )
    return txn("payment", amount, source=source, reporting_category="charge")


def page(data: list[dict], *, has_more: bool = False) -> dict:
    return {"object": "list", "url": "/v1/balance_transactions", "has_more": has_more, "data": data}


@pytest.fixture
def stripe_payout(connected_account, organization, real_keys):
    ConnectedAccount.objects.filter(pk=connected_account.pk).update(stripe_account_id=sf.ACCOUNT_ID)
    return Payout.objects.create(
        organization=organization,
        stripe_payout_id="po_1Pgc79B7WZ01zgkWu1KToYf4",
        amount_cents=0,
        currency="usd",
        arrival_date=date(2026, 12, 1),
        status="paid",
        stripe_created=timezone.now(),
        synced_at=timezone.now(),
    )


@pytest.fixture
def two_paid(make_request):
    first, second = make_request(10000, reference="RO-1"), make_request(25000, reference="RO-2")
    for n, payment in enumerate((first, second), start=1):
        PaymentRequest.objects.filter(pk=payment.pk).update(
            status=PaymentRequest.Status.PAID,
            payment_intent_id=f"pi_test_{n}",
            charge_id=f"ch_test_{n}",
            paid_at=timezone.now(),
        )
        payment.refresh_from_db()
    return first, second


def composition(first, second):
    """Two payments, a refund of an earlier one, a fee, an adjustment, and the payout."""
    lines = [
        payment_txn(first.amount_cents - first.fee_cents, "ch_test_1", py_id="py_first"),
        payment_txn(second.amount_cents - second.fee_cents, "ch_test_2"),
        txn(
            "payment_refund",
            -4000,
            source={"id": "pyr_1", "object": "refund", "amount": 4000, "charge": "py_old"},
        ),
        txn("stripe_fee", -200, description="Instant payout fee"),
        txn("adjustment", 55, description="Dispute won"),
        payment_txn(1000, "ch_someone_elses"),
    ]
    total = sum(line["net"] for line in lines)
    return lines, total


def test_the_exact_request_pagination_lines_links_and_totals(stripe_payout, two_paid, stripe_http):
    first, second = two_paid
    lines, total = composition(first, second)
    Payout.objects.filter(pk=stripe_payout.pk).update(amount_cents=total)
    stripe_payout.refresh_from_db()
    payout_txn = txn("payout", -total, source=stripe_payout.stripe_payout_id)
    stripe_http.get(LIST_URL, json=page(lines[:3], has_more=True))
    stripe_http.get(LIST_URL, json=page([*lines[3:], payout_txn]))

    stored = payout_composition_sync(payout=stripe_payout)

    assert len(stripe_http.calls) == 2
    request = stripe_http.calls[0].request
    assert request.method == "GET"
    assert request.headers["Stripe-Account"] == sf.ACCOUNT_ID
    assert request.headers["Authorization"] == "Bearer sk_test_1"
    query = parse_qs(urlsplit(request.url).query)
    assert urlsplit(request.url).path == "/v1/balance_transactions"
    assert query.pop("payout") == [stripe_payout.stripe_payout_id]
    assert query.pop("limit") == ["100"]
    assert [v for k, v in query.items() if k.startswith("expand[")] == [
        ["data.source.source_transfer"]
    ]
    assert not [k for k in query if not k.startswith("expand[")]
    following = parse_qs(urlsplit(stripe_http.calls[1].request.url).query)
    assert following["starting_after"] == [lines[2]["id"]]
    assert following["payout"] == [stripe_payout.stripe_payout_id]
    assert stripe_http.calls[1].request.headers["Stripe-Account"] == sf.ACCOUNT_ID

    assert len(stored) == 6  # the payout's own transaction is the total, not a line
    rows = list(PayoutLine.objects.filter(payout=stripe_payout).order_by("pk"))
    assert [r.kind for r in rows] == [
        "payment",
        "payment",
        "refund",
        "fee",
        "adjustment",
        "payment",
    ]
    assert sum(r.net_cents for r in rows) == stripe_payout.amount_cents
    assert [r.payment_id for r in rows] == [first.pk, second.pk, None, None, None, None]
    assert rows[0].source_id == "py_first"
    assert rows[2].description == "Refund of py_old"
    assert rows[3].description == "Instant payout fee"
    assert "ch_someone_elses" in rows[5].description
    assert set(PaymentRequest.objects.filter(payout=stripe_payout)) == {first, second}


def test_a_resync_replaces_the_lines_and_a_later_refund_finds_its_payment(
    stripe_payout, two_paid, stripe_http
):
    first, second = two_paid
    lines, total = composition(first, second)
    Payout.objects.filter(pk=stripe_payout.pk).update(amount_cents=total)
    stripe_http.get(LIST_URL, json=page(lines))
    payout_composition_sync(payout=stripe_payout)
    payout_composition_sync(payout=stripe_payout)
    assert PayoutLine.objects.filter(payout=stripe_payout).count() == 6
    assert sum(PayoutLine.objects.values_list("net_cents", flat=True)) == total

    later = Payout.objects.create(
        organization=stripe_payout.organization,
        stripe_payout_id="po_later",
        amount_cents=1,
        currency="usd",
        arrival_date=date(2026, 12, 2),
        status="paid",
        stripe_created=timezone.now(),
        synced_at=timezone.now(),
    )
    refund = txn(
        "payment_refund",
        -(first.amount_cents - first.fee_cents),
        source={"id": "pyr_2", "object": "refund", "charge": "py_first"},
    )
    stripe_http.replace("GET", LIST_URL, json=page([refund]))
    (line,) = payout_composition_sync(payout=later)
    assert line.kind == "refund"
    assert line.payment_id == first.pk


def test_a_paid_payout_event_queues_the_sync_on_commit(
    stripe_payout, two_paid, stripe_http, deliver, later
):
    first, second = two_paid
    lines, total = composition(first, second)
    stripe_http.get(LIST_URL, json=page(lines))
    obj = sf.payout(stripe_payout.stripe_payout_id, amount=total, status="paid")
    deliver(sf.event("payout.paid", obj, created=later()), secret="whsec_connect")
    stripe_payout.refresh_from_db()
    assert stripe_payout.amount_cents == total
    assert PayoutLine.objects.filter(payout=stripe_payout).count() == 6
    assert first.__class__.objects.get(pk=first.pk).payout_id == stripe_payout.pk


# The demo gateway, end to end --------------------------------------------------------------


@pytest.fixture
def demo_events(monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr(
        gateway_demo_tasks.demo_deliver_event, "delay", lambda url, event: sent.append(event)
    )
    return sent


def process(sent: list[dict], django_capture_on_commit_callbacks) -> None:
    while sent:
        event = sent.pop(0)
        endpoint = "connect" if event.get("account") else "platform"
        with django_capture_on_commit_callbacks(execute=True):
            stored, _new = webhooks_pipeline.webhook_event_store(event=event, endpoint=endpoint)
            webhooks_pipeline.webhook_event_process(event_id=stored.pk)


def pay(payment: PaymentRequest, sent, django_capture_on_commit_callbacks) -> PaymentRequest:
    with django_capture_on_commit_callbacks(execute=True):
        requests_checkout.payment_request_checkout(
            payment_request=payment,
            success_url="http://testserver/s",
            cancel_url="http://testserver/c",
        )
    payment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        DemoGateway().pay_checkout(payment.checkout_session_id, card_number=DEMO_CARD_SUCCESS)
    process(sent, django_capture_on_commit_callbacks)
    payment.refresh_from_db()
    assert payment.status == PaymentRequest.Status.PAID
    return payment


@pytest.mark.parametrize("amount", [None, 20000])
def test_the_demo_payout_contains_its_payments_and_adds_up(
    make_request,
    connected_account,
    demo_events,
    django_capture_on_commit_callbacks,
    amount,
):
    first = pay(make_request(10000), demo_events, django_capture_on_commit_callbacks)
    second = pay(make_request(25000), demo_events, django_capture_on_commit_callbacks)
    account_id = connected_account.stripe_account_id
    with django_capture_on_commit_callbacks(execute=True):
        sent = DemoGateway().simulate_payout(account_id, amount=amount, outcome="paid")
    process(demo_events, django_capture_on_commit_callbacks)

    payout = Payout.objects.get(stripe_payout_id=sent["id"])
    kept = first.dealership_net_cents + second.dealership_net_cents
    assert payout.amount_cents == (amount or kept)
    lines = list(payout.lines.order_by("pk"))
    # The lines are the balance's movements only: a payout of another amount does not add
    # up (the page says so), no line makes up the difference.
    assert sum(line.net_cents for line in lines) == kept
    assert [line.payment_id for line in lines if line.kind == "payment"] == [first.pk, second.pk]
    assert [line.kind for line in lines] == ["payment", "payment"]
    assert set(PaymentRequest.objects.filter(payout=payout)) == {first, second}
    # Re-reading changes nothing; a second payout holds nothing already paid out.
    payout_composition_sync(payout=payout)
    assert payout.lines.count() == len(lines)
    with pytest.raises(Exception, match="nothing to pay out"):
        DemoGateway().simulate_payout(account_id, outcome="paid")


def test_a_demo_refund_is_a_line_of_the_next_payout(
    make_request,
    connected_account,
    manager_membership,
    client,
    demo_events,
    django_capture_on_commit_callbacks,
):
    first = pay(make_request(10000), demo_events, django_capture_on_commit_callbacks)
    account_id = connected_account.stripe_account_id
    with django_capture_on_commit_callbacks(execute=True):
        DemoGateway().simulate_payout(account_id, outcome="paid")
    process(demo_events, django_capture_on_commit_callbacks)
    second = pay(make_request(30000), demo_events, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        DemoGateway().create_refund(
            payment_intent_id=first.payment_intent_id,
            refund_application_fee=True,
            metadata={},
            idempotency_key="k1",
        )
    process(demo_events, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        sent = DemoGateway().simulate_payout(account_id, outcome="paid")
    process(demo_events, django_capture_on_commit_callbacks)
    payout = Payout.objects.get(stripe_payout_id=sent["id"])
    assert payout.amount_cents == second.dealership_net_cents - first.dealership_net_cents
    lines = {line.kind: line for line in payout.lines.all()}
    assert lines["refund"].payment_id == first.pk
    assert lines["payment"].payment_id == second.pk
    assert sum(line.net_cents for line in payout.lines.all()) == payout.amount_cents


# The page ----------------------------------------------------------------------------------


@pytest.fixture
def synced(stripe_payout, two_paid, stripe_http):
    first, second = two_paid
    lines, total = composition(first, second)
    Payout.objects.filter(pk=stripe_payout.pk).update(amount_cents=total)
    stripe_payout.refresh_from_db()
    stripe_http.get(LIST_URL, json=page(lines))
    payout_composition_sync(payout=stripe_payout)
    return stripe_payout


def url(payout: Payout, suffix: str = "") -> str:
    return f"/o/{payout.organization.slug}/payouts/{payout.pk}/{suffix}"


def test_the_payout_page_lists_the_lines_adding_up(client, synced, manager_membership, two_paid):
    sign_in(client, manager_membership)
    response = client.get(url(synced))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('class="payout-line"') == 6
    for payment in two_paid:
        assert f"/payments/{payment.pk}/" in text
    assert "Dispute won" in text and "Refund of py_old" in text
    assert response.context["line_totals"]["net"] == synced.amount_cents
    assert response.context["difference"] == 0
    assert "alert-danger" not in text
    assert "Refresh from Stripe" in text


def test_refresh_from_stripe_replaces_the_lines(client, synced, manager_membership, stripe_http):
    stripe_http.replace("GET", LIST_URL, json=page([txn("adjustment", synced.amount_cents)]))
    sign_in(client, manager_membership)
    response = client.post(url(synced, "refresh/"))
    assert response.status_code == 302
    assert response["Location"] == url(synced)
    assert list(synced.lines.values_list("kind", flat=True)) == ["adjustment"]


def test_refresh_from_stripe_is_audited_for_who_pressed_it(
    client, synced, manager_membership, stripe_http
):
    stripe_http.replace("GET", LIST_URL, json=page([txn("adjustment", synced.amount_cents)]))
    manager_membership.user.full_name = "Morgan Manager"
    manager_membership.user.save(update_fields=["full_name"])
    sign_in(client, manager_membership)
    client.post(url(synced, "refresh/"))

    [entry] = AuditLog.objects.filter(action=AuditAction.PAYOUT_REFRESHED)
    assert entry.actor == manager_membership.user
    assert (entry.target_type, entry.target_id) == ("payout", synced.pk)
    assert entry.data["lines"] == 1
    amount = format_money(synced.amount_cents, "usd")
    assert describe(entry) == f"Morgan Manager refreshed the payout of {amount} from Stripe"


def test_a_refresh_stripe_refuses_writes_no_audit(client, synced, manager_membership, stripe_http):
    stripe_http.replace("GET", LIST_URL, status=500, json={"error": {"type": "api_error"}})
    sign_in(client, manager_membership)
    client.post(url(synced, "refresh/"))
    assert not AuditLog.objects.filter(action=AuditAction.PAYOUT_REFRESHED).exists()


def test_a_stripe_error_on_refresh_is_told(client, synced, manager_membership, stripe_http):
    stripe_http.replace(
        "GET",
        LIST_URL,
        status=404,
        json={"error": {"type": "invalid_request_error", "message": "No such payout"}},
    )
    sign_in(client, manager_membership)
    response = client.post(url(synced, "refresh/"), follow=True)
    page = response.content.decode()
    assert "Stripe did not accept the request. Nothing was changed." in page
    assert "No such payout" not in page  # Stripe's words for developers go to the log
    assert synced.lines.count() == 6


@pytest.mark.parametrize(
    ("who", "status"), [("advisor", 403), ("manager", 200), ("admin", 200), ("outsider", 404)]
)
def test_who_sees_and_refreshes_a_payout(
    client,
    synced,
    advisor_membership,
    manager_membership,
    admin_membership,
    outsider_membership,
    who,
    status,
):
    membership = {
        "advisor": advisor_membership,
        "manager": manager_membership,
        "admin": admin_membership,
        "outsider": outsider_membership,
    }[who]
    sign_in(client, membership)
    assert client.get(url(synced)).status_code == status
    refreshed = client.post(url(synced, "refresh/")).status_code
    assert refreshed == (302 if status == 200 else status)
    # An outsider's own organization does not hold the payout either.
    if who == "outsider":
        own = outsider_membership.organization.slug
        assert client.get(f"/o/{own}/payouts/{synced.pk}/").status_code == 404
        assert client.post(f"/o/{own}/payouts/{synced.pk}/refresh/").status_code == 404


def test_created_times_are_stripe_unix_times(synced):
    line = synced.lines.first()
    assert line.created.tzinfo is not None
    assert line.created <= datetime.now(tz=UTC)
