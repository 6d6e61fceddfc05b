"""The Payments tab (F6): scope, filters, search, totals, local days, pages, posting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from payments import dates
from payments.ledger import selectors as ledger_selectors
from payments.ledger import services as ledger_services
from payments.models import LedgerEntry, PaymentRequest
from payments.requests import services as requests_services
from teams.audit import AuditAction, describe
from teams.models import AuditLog
from teams.roles import ROLE_CAPABILITIES, Capability, Role
from tests.factories import MembershipFactory, TeamFactory
from tests.payments.payments_tab import money_out, payment_row
from tickets.models import TimelineEntry
from tickets.services import customer_get_or_create, ticket_open

CHICAGO = ZoneInfo("America/Chicago")
URL = "/o/lakeside/payments/"


def local(*args):
    return datetime(*args, tzinfo=CHICAGO)


def numbers(response):
    return [row["pk"] for row in response.context["rows"]]


@pytest.fixture
def other_team_ticket(organization, advisor_membership):
    team = TeamFactory(organization=organization, name="Body Shop", payments_enabled=True)
    customer = customer_get_or_create(
        organization=organization, name="Avery Other", mobile_phone="+13125550199"
    )
    return ticket_open(organization=organization, team=team, customer=customer)


# Scope ------------------------------------------------------------------------------------


def test_manager_sees_only_payments_of_their_payments_enabled_teams(
    client, manager_membership, ticket, other_team_ticket
):
    mine = payment_row(ticket, at=timezone.now())
    payment_row(other_team_ticket, at=timezone.now())
    client.force_login(manager_membership.user)

    response = client.get(URL)

    assert response.status_code == 200
    assert numbers(response) == [mine.pk]
    assert response.context["totals"].count == 1


def test_admin_sees_every_team(admin_client, ticket, other_team_ticket):
    payment_row(ticket, at=timezone.now())
    payment_row(other_team_ticket, at=timezone.now())
    assert len(numbers(admin_client.get(URL))) == 2


def test_the_list_holds_collected_payments_and_unpaid_requests_only_when_asked_for(
    admin_client, ticket
):
    now = timezone.now()
    shown = [
        payment_row(ticket, at=now, status="paid"),
        payment_row(ticket, at=now, status="refunded", refunded_cents=10_000),
        payment_row(ticket, at=now, status="disputed"),
    ]
    opened = payment_row(ticket, at=now, status="open")  # Checkout started, not paid
    payment_row(ticket, at=now, status="open", checkout_session_id="")  # never opened Pay
    payment_row(ticket, at=now, status="cancelled", checkout_session_id="")
    assert sorted(numbers(admin_client.get(URL))) == sorted(p.pk for p in shown)

    response = admin_client.get(URL, {"status": "open"})
    assert numbers(response) == [opened.pk]
    row = response.context["rows"][0]
    assert (row["collected"], row["fee"], row["net"]) == ("—", "—", "—")
    assert response.context["totals"].by_currency == {}  # an unpaid request moved nothing


def test_advisor_gets_403(advisor_client, ticket):
    assert advisor_client.get(URL).status_code == 403


def test_member_of_another_organization_gets_404(client, outsider_membership):
    client.force_login(outsider_membership.user)
    assert client.get(URL).status_code == 404


def test_payment_page_outside_scope_is_404(client, manager_membership, other_team_ticket):
    theirs = payment_row(other_team_ticket, at=timezone.now())
    client.force_login(manager_membership.user)
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404


def test_payment_of_another_organization_is_404(admin_client, other_organization):
    team = TeamFactory(organization=other_organization, payments_enabled=True)
    customer = customer_get_or_create(
        organization=other_organization, name="Hill", mobile_phone="+13125550111"
    )
    theirs = payment_row(
        ticket_open(organization=other_organization, team=team, customer=customer),
        at=timezone.now(),
    )
    assert admin_client.get(f"{URL}{theirs.pk}/").status_code == 404


# Filters and search -----------------------------------------------------------------------


def test_status_team_advisor_and_posted_filters(
    admin_client, ticket, other_team_ticket, advisor_membership, admin_membership
):
    now = timezone.now()
    paid = payment_row(ticket, at=now, created_by=advisor_membership.user)
    refunded = payment_row(ticket, at=now, status="refunded", refunded_cents=10_000)
    other = payment_row(other_team_ticket, at=now, created_by=admin_membership.user)
    posted = payment_row(
        ticket, at=now, posted_at=now, posted_reference="DBS-1", posted_by=admin_membership.user
    )

    assert set(numbers(admin_client.get(URL, {"status": "refunded"}))) == {refunded.pk}
    team = other_team_ticket.team_id
    assert set(numbers(admin_client.get(URL, {"team": team}))) == {other.pk}
    advisor = advisor_membership.user.pk
    assert set(numbers(admin_client.get(URL, {"advisor": advisor}))) == {paid.pk}
    assert set(numbers(admin_client.get(URL, {"posted": "yes"}))) == {posted.pk}
    assert set(numbers(admin_client.get(URL, {"posted": "no"}))) == {paid.pk, refunded.pk, other.pk}


def _advisor_choices(response):
    return {
        label for value, label, _selected in response.context["form"].options()["advisor"] if value
    }


@pytest.fixture
def people_of_two_teams(organization, service_team, parts_team, admin_membership):
    """Besides the fixtures' manager and advisor of Service: an advisor of Parts, an advisor
    on no team, a manager of Parts and an advisor of another dealership who manages Service."""
    names = {}
    for name, role, teams in [
        ("Pat Parts", Role.ADVISOR, [parts_team]),
        ("Nell Noteam", Role.ADVISOR, []),
        ("Max Partsmanager", Role.MANAGER, [parts_team]),
        ("Eli Elsewhere", Role.MANAGER, [service_team]),
    ]:
        membership = MembershipFactory(organization=organization, role=role, user__full_name=name)
        for team in teams:
            team.members.add(membership)
        names[name] = membership
    MembershipFactory(user=names["Eli Elsewhere"].user, role=Role.ADVISOR)  # another org
    return names


def test_the_advisor_filter_lists_only_advisors_of_the_teams_the_admin_sees(
    admin_client, manager_membership, advisor_membership, people_of_two_teams
):
    response = admin_client.get(URL)

    assert _advisor_choices(response) == {advisor_membership.user.full_name, "Pat Parts"}


def test_the_advisor_filter_lists_only_advisors_of_the_managers_teams(
    client, manager_membership, advisor_membership, people_of_two_teams
):
    client.force_login(manager_membership.user)

    response = client.get(URL)

    assert _advisor_choices(response) == {advisor_membership.user.full_name}


def test_the_advisor_filter_costs_one_query_however_many_advisors(
    client, organization, service_team, manager_membership, django_assert_max_num_queries
):
    client.force_login(manager_membership.user)
    client.get(URL)  # warm the session
    with django_assert_max_num_queries(9):
        client.get(URL)
    for _ in range(30):
        service_team.members.add(MembershipFactory(organization=organization, role=Role.ADVISOR))

    with django_assert_max_num_queries(9):
        response = client.get(URL)

    assert len(_advisor_choices(response)) == 30


def test_a_team_outside_the_managers_scope_filters_to_nothing(
    client, manager_membership, ticket, other_team_ticket
):
    payment_row(other_team_ticket, at=timezone.now())
    client.force_login(manager_membership.user)
    assert numbers(client.get(URL, {"team": other_team_ticket.team_id})) == []


def test_date_presets_today_yesterday_and_this_week(admin_client, ticket, monkeypatch):
    now = local(2026, 11, 26, 10, 0)  # a Thursday
    monkeypatch.setattr(timezone, "now", lambda: now.astimezone(UTC))
    today = payment_row(ticket, at=local(2026, 11, 26, 0, 5))
    yesterday = payment_row(ticket, at=local(2026, 11, 25, 23, 30))
    monday = payment_row(ticket, at=local(2026, 11, 23, 8, 0))
    payment_row(ticket, at=local(2026, 11, 22, 23, 59))  # Sunday: last week

    assert numbers(admin_client.get(URL, {"range": "today"})) == [today.pk]
    assert numbers(admin_client.get(URL, {"range": "yesterday"})) == [yesterday.pk]
    assert numbers(admin_client.get(URL, {"range": "week"})) == [today.pk, yesterday.pk, monday.pk]


def test_custom_range_is_inclusive_of_both_local_days(admin_client, ticket):
    inside = payment_row(ticket, at=local(2026, 6, 2, 12, 0))
    last = payment_row(ticket, at=local(2026, 6, 3, 23, 59))
    payment_row(ticket, at=local(2026, 6, 4, 0, 0))
    payment_row(ticket, at=local(2026, 6, 1, 23, 59))

    response = admin_client.get(
        URL, {"range": "custom", "date_from": "2026-06-02", "date_to": "2026-06-03"}
    )
    assert numbers(response) == [last.pk, inside.pk]


def test_a_payment_at_2330_local_belongs_to_that_local_day(admin_client, ticket):
    late = payment_row(ticket, at=local(2026, 7, 14, 23, 30))  # 04:30 UTC on the 15th
    assert late.created_at.astimezone(UTC).day == 15
    payment_row(ticket, at=local(2026, 7, 15, 0, 30))

    day = {"date_from": "2026-07-14", "date_to": "2026-07-14"}
    assert numbers(admin_client.get(URL, day)) == [late.pk]
    next_day = {"date_from": "2026-07-15", "date_to": "2026-07-15"}
    assert late.pk not in numbers(admin_client.get(URL, next_day))


@pytest.mark.parametrize(
    ("day", "hours"), [((2026, 3, 8), 23), ((2026, 11, 1), 25), ((2026, 7, 1), 24)]
)
def test_dst_days_are_as_long_as_their_clocks_say(admin_client, ticket, day, hours):
    start, end = dates.local_day_bounds(datetime(*day).date(), "America/Chicago")
    assert end - start == timedelta(hours=hours)
    first = payment_row(ticket, at=start)
    last = payment_row(ticket, at=end - timedelta(seconds=1))
    payment_row(ticket, at=end)
    payment_row(ticket, at=start - timedelta(seconds=1))
    iso = datetime(*day).date().isoformat()

    response = admin_client.get(URL, {"date_from": iso, "date_to": iso})

    assert numbers(response) == [last.pk, first.pk]


@pytest.mark.parametrize(
    "query",
    [
        "Dana",
        "dana driver",
        "5550143",
        "(312) 555-0143",
        "1234.56",
        "1,234.56",
        "$1,234.56",
        "RO-4411",
        "ro-4411",
        "pi_test_abc",
        "ch_test_abc",
        "cs_test_find",
        "{number}",
    ],
)
def test_search_finds_the_payment(admin_client, ticket, other_team_ticket, query):
    wanted = payment_row(
        ticket,
        amount=123_456,
        at=timezone.now(),
        reference="RO-4411",
        payment_intent_id="pi_test_abc",
        charge_id="ch_test_abc",
        checkout_session_id="cs_test_find",
    )
    payment_row(other_team_ticket, amount=123_400, at=timezone.now(), reference="RO-9")

    response = admin_client.get(URL, {"q": query.format(number=wanted.display_number)})

    assert numbers(response) == [wanted.pk]


def test_amount_search_is_exact_to_the_cent():
    assert ledger_selectors.parse_search_amount("1,234.56") == 123_456
    assert ledger_selectors.parse_search_amount("1234.5") == 123_450
    assert ledger_selectors.parse_search_amount("75") == 7_500
    assert ledger_selectors.parse_search_amount("1,23.45") is None
    assert ledger_selectors.parse_search_amount("12.345") is None


# Totals -----------------------------------------------------------------------------------


def test_totals_add_up_to_the_cent_against_the_ledger(admin_client, ticket):
    now = timezone.now()
    amounts = [50, 99, 101, 12_345, 4_999_999, 333_333]
    for i, amount in enumerate(amounts):
        payment_row(ticket, amount=amount, at=now - timedelta(minutes=i))
    payment_row(ticket, amount=20_000, at=now, status="refunded", refunded_cents=20_000)
    payment_row(ticket, amount=7_777, at=now, status="open")  # not listed, moved nothing

    response = admin_client.get(URL)
    totals = response.context["totals"]
    figures = totals.figures("usd")

    collected = PaymentRequest.objects.exclude(status="open")
    assert totals.count == 7
    assert figures.collected == sum(p.amount_cents for p in collected)
    assert figures.fees == sum(p.fee_cents for p in collected)
    assert figures.refunds == -20_000
    assert figures.net == figures.collected - 20_000 - figures.fees
    assert figures.gross == figures.fees + figures.net
    ledger = sum(LedgerEntry.objects.values_list("amount_cents", flat=True))
    assert figures.net == ledger


def test_totals_follow_the_filters(admin_client, ticket):
    payment_row(ticket, amount=1_000, at=local(2026, 7, 14, 23, 30))
    payment_row(ticket, amount=2_000, at=local(2026, 7, 15, 0, 30))
    response = admin_client.get(URL, {"date_from": "2026-07-15", "date_to": "2026-07-15"})
    assert response.context["totals"].figures("usd").collected == 2_000
    assert b"$20.00" in response.content


def test_totals_are_two_queries(django_assert_num_queries, ticket):
    payment_row(ticket, at=timezone.now())
    selection = ledger_selectors.Selection(PaymentRequest.objects.all(), None, "paid_at")
    with django_assert_num_queries(2):
        ledger_selectors.payments_totals(selection)


def test_totals_are_read_from_the_cache_until_a_payment_of_the_organization_changes(
    admin_client, ticket, other_organization
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    payment = payment_row(ticket, amount=10_000, at=timezone.now())
    assert admin_client.get(URL).context["totals"].figures("usd").collected == 10_000

    def aggregates():
        with CaptureQueriesContext(connection) as queries:
            totals = admin_client.get(URL).context["totals"]
        return totals, sum("COUNT(*)" in q["sql"] for q in queries)

    assert aggregates() == (admin_client.get(URL).context["totals"], 0)  # no sum again
    money_out(payment, LedgerEntry.Kind.REFUND, 10_000, timezone.now())  # a refund's handler
    totals, summed = aggregates()
    assert (totals.figures("usd").refunds, summed) == (-10_000, 1)
    payment_row(ticket, amount=2_500, at=timezone.now())  # a new payment counts at once
    assert aggregates()[0].figures("usd").collected == 12_500


def test_a_search_is_a_union_of_lookups_its_indexes_serve(ticket):
    """Each arm of the search can use an index (bench/RESULTS.md shows the plan at a million
    payments): customers by name or number, the payment's own columns; no OR across tables."""
    from django.db import connection

    from payments.ledger.selectors import PaymentFilters, payments_filter

    organization = ticket.organization
    queryset = payments_filter(
        PaymentRequest.objects.filter(organization=organization),
        organization=organization,
        filters=PaymentFilters(q="(312) 555-0142"),
    ).queryset
    sql = str(queryset.query)
    assert " UNION " in sql
    assert "mobile_phone" in sql.split(" UNION ")[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s OR indexname LIKE %s",
            ["%trgm", "%_upper"],
        )
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "customer_name_trgm",
        "customer_phone_trgm",
        "payment_reference_trgm",
        "payment_posted_reference_upper",  # looked up whole: a btree answers the equality
    }


# Pages ------------------------------------------------------------------------------------


def test_keyset_pages_return_each_row_once(admin_client, ticket):
    base = timezone.now()
    # Ties on created_at are broken by id.
    created = [
        payment_row(ticket, at=base - timedelta(minutes=i // 3), save=False) for i in range(123)
    ]
    PaymentRequest.objects.bulk_create(created)
    seen, cursor, pages = [], "", 0
    while True:
        response = admin_client.get(URL, {"cursor": cursor} if cursor else {})
        seen += numbers(response)
        pages += 1
        cursor = response.context["next_cursor"]
        if not cursor:
            break
        assert f"cursor={cursor}".encode() in response.content  # the "Older" link
    assert pages == 3
    assert len(seen) == len(set(seen)) == 123
    expected = PaymentRequest.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)
    assert seen == list(expected)


def test_cursor_pages_keep_the_filters(admin_client, ticket):
    rows = [payment_row(ticket, amount=5_000, at=timezone.now(), save=False) for _ in range(60)]
    rows += [payment_row(ticket, amount=6_000, at=timezone.now(), save=False) for _ in range(5)]
    PaymentRequest.objects.bulk_create(rows)
    first = admin_client.get(URL, {"q": "50.00"})
    second = admin_client.get(URL, {"q": "50.00", "cursor": first.context["next_cursor"]})
    assert len(numbers(first)) == 50 and len(numbers(second)) == 10
    assert b"q=50.00&amp;cursor=" in first.content


def test_a_bad_cursor_is_the_first_page(admin_client, ticket):
    payment_row(ticket, at=timezone.now())
    assert len(numbers(admin_client.get(URL, {"cursor": "nonsense"}))) == 1


@pytest.mark.parametrize("count", [10, 1_000])
def test_list_query_count_is_constant(
    client, manager_membership, ticket, count, django_assert_max_num_queries
):
    now = timezone.now()
    PaymentRequest.objects.bulk_create(
        [payment_row(ticket, at=now - timedelta(seconds=i), save=False) for i in range(count)]
    )
    client.force_login(manager_membership.user)
    client.get(URL)  # warm the session

    # the session, the user, their memberships and payment teams, the advisors of the filter,
    # the page, the totals' version (in the database: Redis may be down), and the totals,
    # two: the count of payments, the sums of their ledger entries
    with django_assert_max_num_queries(9):
        response = client.get(URL, {"q": "Dana", "status": "paid", "posted": "no"})

    assert len(numbers(response)) == min(count, 50)
    assert response.context["totals"].count == count


def test_table_part_refreshes_in_place_with_the_filters(admin_client, ticket):
    payment_row(ticket, at=timezone.now())
    page = admin_client.get(URL).content.decode()
    assert 'hx-trigger="every 10s"' in page
    assert 'hx-include="#payment-filters"' in page
    assert "UTC" in page and "America/Chicago" in page
    assert 'id="time-zone-help"' in page

    part = admin_client.get(URL, {"part": "table"}, headers={"HX-Request": "true"})

    assert part.status_code == 200
    body = part.content.decode()
    assert body.lstrip().startswith('<div id="payment-table"')
    assert "<html" not in body


def test_a_line_names_its_team_and_advisor_for_a_manager_and_an_admin(
    client, admin_membership, manager_membership, ticket, other_team_ticket, advisor_membership
):
    payment_row(ticket, at=timezone.now(), created_by=advisor_membership.user)
    theirs = payment_row(other_team_ticket, at=timezone.now() - timedelta(minutes=1))
    client.force_login(admin_membership.user)
    everything = client.get(URL).context["rows"]
    client.force_login(manager_membership.user)

    (line,) = client.get(URL).context["rows"]

    assert (line["team"], line["advisor"]) == (ticket.team.name, advisor_membership.user.full_name)
    assert [row["team"] for row in everything] == [ticket.team.name, theirs.team.name]


def test_a_line_escapes_what_people_typed_and_an_unpaid_request_says_what_it_asked(
    admin_client, ticket
):
    typed = '<b>Brakes</b> & "rotors"'
    payment_row(ticket, amount=7_777, at=timezone.now(), status="open", description=typed)
    payment_row(ticket, amount=5_000, at=timezone.now(), description=typed)

    unpaid = admin_client.get(URL, {"status": "open"}).content.decode()
    paid = admin_client.get(URL).content.decode()

    for body in (unpaid, paid):
        assert "&lt;b&gt;Brakes&lt;/b&gt; &amp; &quot;rotors&quot;" in body
        assert "<b>Brakes" not in body
    assert '<div class="text-body-secondary">Requested $77.77</div>' in unpaid
    assert '<div class="text-body-secondary">Requested' not in paid  # it collected: no ask


# Detail, posting to the DBS ---------------------------------------------------------------


@pytest.fixture
def paid_request(payment_request):
    requests_services.payment_request_mark_paid(
        payment_request=payment_request, payment_intent_id="pi_test_1"
    )
    payment_request.refresh_from_db()
    return payment_request


def test_payment_page_shows_amounts_receipt_timeline_and_refund_slot(admin_client, paid_request):
    response = admin_client.get(f"{URL}{paid_request.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "$1,234.56" in body
    assert f"/p/{paid_request.token}/" in body
    assert 'id="refund-slot"' in body
    assert 'value="RO-4411"' in body  # the DBS reference, prefilled
    events = [item["entry"].event for item in response.context["timeline"]]
    assert events[-1] == "payment_request.paid"
    assert "(America/Chicago)" in body


def test_manager_marks_posted_and_undoes_both_audited(client, manager_membership, paid_request):
    client.force_login(manager_membership.user)
    url = f"{URL}{paid_request.pk}/"

    response = client.post(url + "post/", {"reference": "DBS-7781"})

    assert response.status_code == 302
    paid_request.refresh_from_db()
    assert paid_request.posted_reference == "DBS-7781"
    assert paid_request.posted_by == manager_membership.user
    assert paid_request.posted_at is not None
    page = client.get(url).content.decode()
    assert "DBS-7781" in page and manager_membership.user.get_full_name() in page
    assert TimelineEntry.objects.filter(event="payment_request.posted").count() == 1

    assert client.post(url + "unpost/").status_code == 302
    paid_request.refresh_from_db()
    assert (paid_request.posted_at, paid_request.posted_by, paid_request.posted_reference) == (
        None,
        None,
        "",
    )
    actions = list(AuditLog.objects.order_by("pk").values_list("action", "actor"))
    assert actions[-2:] == [
        ("payment_request.posted", manager_membership.user.pk),
        ("payment_request.unposted", manager_membership.user.pk),
    ]


def test_posting_and_undoing_read_as_sentences(manager_membership, paid_request):
    manager_membership.user.full_name = "Morgan Manager"
    manager_membership.user.save(update_fields=["full_name"])
    ledger_services.payment_post_to_dbs(
        payment=paid_request, actor=manager_membership.user, reference="INV-1001"
    )
    ledger_services.payment_unpost(payment=paid_request, actor=manager_membership.user)

    number = paid_request.display_number
    posted = AuditLog.objects.get(action=AuditAction.PAYMENT_REQUEST_POSTED)
    assert describe(posted) == f"Morgan Manager posted {number} to the DBS as INV-1001"
    unposted = AuditLog.objects.get(action=AuditAction.PAYMENT_REQUEST_UNPOSTED)
    assert describe(unposted) == (
        f"Morgan Manager undid the posting of {number} to the DBS as INV-1001"
    )


def test_posting_twice_or_an_unpaid_request_is_refused(
    admin_client, admin_membership, paid_request, make_request
):
    url = f"{URL}{paid_request.pk}/post/"
    admin_client.post(url, {"reference": "DBS-1"})
    response = admin_client.post(url, {"reference": "DBS-2"})
    assert response.status_code == 422
    paid_request.refresh_from_db()
    assert paid_request.posted_reference == "DBS-1"

    unpaid = make_request(amount_cents=5_000)
    with pytest.raises(Exception, match="Only a payment"):
        ledger_services.payment_post_to_dbs(
            payment=unpaid, actor=admin_membership.user, reference="X"
        )
    assert admin_client.post(f"{URL}{paid_request.pk}/post/", {"reference": " "}).status_code == 422


def test_advisor_cannot_post_or_undo(advisor_client, paid_request):
    url = f"{URL}{paid_request.pk}/"
    assert advisor_client.post(url + "post/", {"reference": "DBS-1"}).status_code == 403
    assert advisor_client.post(url + "unpost/").status_code == 403
    paid_request.refresh_from_db()
    assert paid_request.posted_at is None
    assert not AuditLog.objects.filter(action__startswith="payment_request.posted").exists()


def test_manager_of_other_team_cannot_post(client, organization, paid_request):
    other = TeamFactory(organization=organization, name="Parts Desk", payments_enabled=True)
    manager = MembershipFactory(organization=organization, role=Role.MANAGER)
    other.members.add(manager)
    client.force_login(manager.user)
    assert client.post(f"{URL}{paid_request.pk}/post/", {"reference": "X"}).status_code == 404


def test_manager_of_other_team_cannot_undo_a_posting(client, organization, paid_request):
    ledger_services.payment_post_to_dbs(
        payment=paid_request, actor=paid_request.created_by, reference="DBS-1"
    )
    other = TeamFactory(organization=organization, name="Parts Desk", payments_enabled=True)
    manager = MembershipFactory(organization=organization, role=Role.MANAGER)
    other.members.add(manager)
    client.force_login(manager.user)
    assert client.post(f"{URL}{paid_request.pk}/unpost/").status_code == 404
    paid_request.refresh_from_db()
    assert paid_request.posted_reference == "DBS-1"


def test_posting_follows_its_own_capability(monkeypatch, client, manager_membership, paid_request):
    """A member who sees the payment but does not hold POST_TO_DBS: no form, and 403."""
    monkeypatch.setitem(
        ROLE_CAPABILITIES,
        Role.MANAGER,
        ROLE_CAPABILITIES[Role.MANAGER] - {Capability.POST_TO_DBS},
    )
    client.force_login(manager_membership.user)
    url = f"{URL}{paid_request.pk}/"

    page = client.get(url)
    assert page.status_code == 200
    assert page.context["may_post"] is False
    assert "/post/" not in page.content.decode()
    assert client.post(url + "post/", {"reference": "DBS-1"}).status_code == 403

    ledger_services.payment_post_to_dbs(
        payment=paid_request, actor=paid_request.created_by, reference="DBS-1"
    )
    assert "/unpost/" not in client.get(url).content.decode()
    assert client.post(url + "unpost/").status_code == 403
    paid_request.refresh_from_db()
    assert paid_request.posted_reference == "DBS-1"


def test_the_payment_page_offers_posting_to_those_who_may_post(manager_client, paid_request):
    page = manager_client.get(f"{URL}{paid_request.pk}/")
    assert page.context["may_post"] is True
    assert f"/payments/{paid_request.pk}/post/" in page.content.decode()


def test_the_refund_button_is_the_refund_views_rule(
    monkeypatch, client, manager_membership, paid_request
):
    client.force_login(manager_membership.user)
    url = f"{URL}{paid_request.pk}/"
    page = client.get(url)
    assert page.context["may_refund"] is True
    assert 'id="refund-button"' in page.content.decode()

    monkeypatch.setitem(
        ROLE_CAPABILITIES,
        Role.MANAGER,
        ROLE_CAPABILITIES[Role.MANAGER] - {Capability.REFUND_PAYMENT},
    )
    page = client.get(url)
    assert page.context["may_refund"] is False
    assert 'id="refund-button"' not in page.content.decode()
    assert client.get(url + "refund/").status_code == 403


def test_same_number_of_queries_for_10_and_1000_payments(client, manager_membership, ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager_membership.user)
    counts = []
    for total in (10, 1_000):
        PaymentRequest.objects.all().delete()
        now = timezone.now()
        PaymentRequest.objects.bulk_create(
            [payment_row(ticket, at=now - timedelta(seconds=i), save=False) for i in range(total)]
        )
        client.get(URL)
        with CaptureQueriesContext(connection) as queries:
            client.get(URL, {"range": "week", "team": ticket.team_id, "q": "Dana"})
        counts.append(len(queries))
    assert counts[0] == counts[1]
