# ruff: noqa: S311, S105 - seeded randomness and the generated people's password
"""The dealership group of scenarios 3 and 4: 50 rooftops' teams, their advisors, a
manager of 5 teams, an admin, customers, tickets and payments over 3 years, written with
PostgreSQL's COPY (psycopg), plus one busy local day for the daily report.

Shapes follow the app: about 91 % paid, 3 % refunded (in full or in part), 1 % disputed,
5 % open with a Checkout started; fees and nets as the app fixes them (fee at creation, net
= gross - fee); a payout and DBS posting for most of the older ones; their movements in the
ledger (charge and fee, refund, dispute and its fee)."""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from bench.common import log

TEAMS = 50
MANAGER_TEAMS = 5
ADVISORS_PER_TEAM = 4
PASSWORD = "bench-dealer-2026"


@dataclass
class Dataset:
    organization: object
    admin: object
    manager: object
    manager_team_ids: list[int]
    team_ids: list[int]
    payments: int
    busy_day: dt.date
    busy_day_payments: int
    search_phone: str  # a customer's number as an accountant types it: "(312) 555-0142"


def _copy(table: str, columns: list[str], rows) -> int:
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: COPY ... FROM STDIN
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def _phone(i: int) -> str:
    """A distinct valid US mobile number per customer (area codes of Chicago and suburbs)."""
    area = (312, 773, 872, 630, 847)[i % 5]
    n = i // 5
    exchange = 200 + (n // 10_000) % 800
    return f"+1{area}{exchange:03d}{n % 10_000:04d}"


def build(organization, *, payments: int, busy_day_payments: int, seed: int = 3) -> Dataset:
    """Create the group's people and ``payments`` payments spread over 3 years up to now,
    ``busy_day_payments`` of them on the previous local day. Idempotent per organization:
    the rows are created once and reused by later scenarios of the same run."""
    from accounts.models import User
    from payments.models import PaymentRequest
    from teams.models import Membership, Team
    from teams.roles import Role

    rng = random.Random(seed)
    zone = ZoneInfo(str(organization.time_zone))
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(zone).date()
    busy_day = today - dt.timedelta(days=1)
    existing = PaymentRequest.objects.filter(organization=organization).count()
    teams = list(
        Team.objects.filter(organization=organization, name__startswith="Rooftop").order_by("pk")
    )
    if existing >= payments and len(teams) == TEAMS:
        busy_day, busy_day_payments = _busiest_day(organization, zone)
        manager = User.objects.get(email="manager@bench.test")
        membership = Membership.objects.get(user=manager, organization=organization)
        return Dataset(
            organization=organization,
            admin=User.objects.get(email="admin@bench.test"),
            manager=manager,
            manager_team_ids=sorted(membership.teams.values_list("pk", flat=True)),
            team_ids=[t.pk for t in teams],
            payments=existing,
            busy_day=busy_day,
            busy_day_payments=busy_day_payments,
            search_phone=_search_phone(),
        )
    if teams:  # a smaller dataset of an earlier run (--keep-db): made again at this size
        _wipe(organization)
    started = time.perf_counter()
    password = make_password(PASSWORD)
    with transaction.atomic():
        teams = Team.objects.bulk_create(
            Team(organization=organization, name=f"Rooftop {n:02d} Service", payments_enabled=True)
            for n in range(1, TEAMS + 1)
        )
        admin = User.objects.create(email="admin@bench.test", full_name="Avery Admin")
        manager = User.objects.create(email="manager@bench.test", full_name="Morgan Manager")
        advisors = User.objects.bulk_create(
            User(email=f"advisor{n:03d}@bench.test", full_name=f"Advisor {n:03d}")
            for n in range(TEAMS * ADVISORS_PER_TEAM)
        )
        for user in (admin, manager, *advisors):
            user.password = password
        User.objects.bulk_update([admin, manager, *advisors], ["password"])
        Membership.objects.create(user=admin, organization=organization, role=Role.ADMIN)
        manager_membership = Membership.objects.create(
            user=manager, organization=organization, role=Role.MANAGER
        )
        advisor_memberships = Membership.objects.bulk_create(
            Membership(user=u, organization=organization, role=Role.ADVISOR) for u in advisors
        )
        through = Team.members.through
        links = [
            through(team_id=teams[i // ADVISORS_PER_TEAM].pk, membership_id=m.pk)
            for i, m in enumerate(advisor_memberships)
        ]
        manager_teams = teams[:MANAGER_TEAMS]
        links += [through(team_id=t.pk, membership_id=manager_membership.pk) for t in manager_teams]
        through.objects.bulk_create(links)

    customers = payments // 4
    tickets = payments // 2
    org_id = organization.pk
    start_at = now - dt.timedelta(days=3 * 365)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_customer")
        (customer_base,) = cursor.fetchone()
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
        (ticket_base,) = cursor.fetchone()
        first_names = ["Jordan", "Casey", "Riley", "Taylor", "Morgan", "Alex", "Sam", "Jamie"]
        last_names = ["Nguyen", "Garcia", "Smith", "Johnson", "Brown", "Lee", "Patel", "Kim"]
        _copy(
            "tickets_customer",
            ["id", "organization_id", "name", "mobile_phone", "created_at"],
            (
                (
                    customer_base + i + 1,
                    org_id,
                    f"{first_names[i % 8]} {last_names[(i // 8) % 8]} {i}",
                    _phone(i),
                    start_at,
                )
                for i in range(customers)
            ),
        )
        # A ticket: one customer with one team; closed once paid.
        ticket_team = [teams[rng.randrange(TEAMS)].pk for _ in range(tickets)]
        _copy(
            "tickets_ticket",
            [
                "id",
                "organization_id",
                "team_id",
                "customer_id",
                "subject",
                "status",
                "created_at",
                "last_activity_at",
            ],
            (
                (
                    ticket_base + i + 1,
                    org_id,
                    ticket_team[i],
                    customer_base + (i % customers) + 1,
                    "Service visit",
                    "closed",
                    start_at,
                    start_at,
                )
                for i in range(tickets)
            ),
        )
        for table in ("tickets_customer", "tickets_ticket"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        team_advisors = {
            t.pk: [advisors[i * ADVISORS_PER_TEAM + k].pk for k in range(ADVISORS_PER_TEAM)]
            for i, t in enumerate(teams)
        }
        busy_start = dt.datetime.combine(busy_day, dt.time(7), tzinfo=zone).astimezone(dt.UTC)
        span = (now - start_at).total_seconds()

        def rows():
            for i in range(payments):
                ticket = rng.randrange(tickets)
                team = ticket_team[ticket]
                if i < busy_day_payments:  # 07:00-19:00 local on the busy day
                    created = busy_start + dt.timedelta(seconds=rng.random() * 12 * 3600)
                else:
                    created = start_at + dt.timedelta(seconds=rng.random() * span)
                amount = rng.choice((4999, 8995, 12999, 24950, 38000, 64512, 129900, 250000))
                amount += rng.randrange(0, 100)
                fee = amount * 29 // 1000 + 30  # the platform's fee, fixed at creation
                roll = rng.random()
                status, refunded, paid = "paid", 0, True
                if roll < 0.05:
                    status, paid = "open", False
                elif roll < 0.065:
                    status, refunded = "refunded", amount
                elif roll < 0.08:
                    status, refunded = "paid", amount // 4  # partly refunded
                elif roll < 0.09:
                    status = "disputed"
                paid_at = created + dt.timedelta(minutes=rng.randrange(2, 600)) if paid else None
                old = paid_at is not None and (now - paid_at).days > 2
                n = i + 1
                yield (
                    org_id,
                    ticket_base + ticket + 1,
                    team,
                    rng.choice(team_advisors[team]),
                    amount,
                    "usd",
                    "Repair order",
                    f"RO-{700000 + n}",
                    f"bench{seed}x{n}",
                    status,
                    fee,
                    f"cs_bench_{n}",
                    f"pi_bench_{n}" if paid else "",
                    f"ch_bench_{n}" if paid else "",
                    "visa" if paid else "",
                    "4242" if paid else "",
                    amount - fee if paid else None,
                    paid_at,
                    created,
                    refunded,
                    paid_at + dt.timedelta(days=1) if old and rng.random() < 0.8 else None,
                    f"GL-{n}" if old else "",
                    0,
                    "",
                    "",
                    "",
                    "",
                    "",
                    n,
                )

        # The request-number trigger upserts the organization's counters row for each
        # inserted row: a million updates of one row in one transaction slow down with each
        # (every one walks the row's versions). The numbers are given instead, and the
        # counters row set once after.
        cursor.execute(
            "ALTER TABLE payments_paymentrequest DISABLE TRIGGER payments_request_number"
        )
        count = _copy(
            "payments_paymentrequest",
            [
                "organization_id",
                "ticket_id",
                "team_id",
                "created_by_id",
                "amount_cents",
                "currency",
                "description",
                "reference",
                "token",
                "status",
                "fee_cents",
                "checkout_session_id",
                "payment_intent_id",
                "charge_id",
                "card_brand",
                "card_last4",
                "net_cents",
                "paid_at",
                "created_at",
                "refunded_cents",
                "posted_at",
                "posted_reference",
                "checkout_attempt",
                "checkout_url",
                "receipt_number",
                "receipt_url",
                "failure_message",
                "submission_key",
                "number",
            ],
            rows(),
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows' foreign keys, checked now
        cursor.execute("ALTER TABLE payments_paymentrequest ENABLE TRIGGER payments_request_number")
        cursor.execute(
            "INSERT INTO payments_paymentcounters (organization_id, last_number, version)"
            " VALUES (%s, %s, 1) ON CONFLICT (organization_id)"
            " DO UPDATE SET last_number = EXCLUDED.last_number",
            [org_id, count],
        )
        _ledger(cursor, org_id, now)
    with connection.cursor() as cursor:
        for table in (
            "tickets_customer",
            "tickets_ticket",
            "payments_paymentrequest",
            "payments_ledgerentry",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    log(
        f"data: {count} payments, {customers} customers, {tickets} tickets in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return build(organization, payments=payments, busy_day_payments=busy_day_payments)


# The payments' money movements, as the webhook handlers write them: a charge and its fee when
# paid, the refunded amount a day later, a dispute (and Stripe's fee) three days later.
LEDGER = [
    """INSERT INTO payments_ledgerentry
           (organization_id, kind, source, currency, amount_cents, occurred_at, payment_id,
            created_at)
       SELECT p.organization_id, k.kind, 'payment-' || p.id, p.currency, k.amount, p.paid_at,
              p.id, p.paid_at
         FROM payments_paymentrequest p
        CROSS JOIN LATERAL (VALUES ('charge', p.amount_cents), ('platform_fee', -p.fee_cents))
              AS k(kind, amount)
        WHERE p.organization_id = %(org)s AND p.paid_at IS NOT NULL""",
    """INSERT INTO payments_ledgerentry
           (organization_id, kind, source, currency, amount_cents, occurred_at, payment_id,
            created_at)
       SELECT organization_id, 'refund', 'refund-bench-' || id, currency, -refunded_cents,
              LEAST(paid_at + interval '1 day', %(now)s), id, %(now)s
         FROM payments_paymentrequest
        WHERE organization_id = %(org)s AND paid_at IS NOT NULL AND refunded_cents > 0""",
    """INSERT INTO payments_ledgerentry
           (organization_id, kind, source, currency, amount_cents, occurred_at, payment_id,
            created_at)
       SELECT p.organization_id, k.kind, 'dispute-bench-' || p.id, p.currency, k.amount,
              LEAST(p.paid_at + interval '3 days', %(now)s), p.id, %(now)s
         FROM payments_paymentrequest p
        CROSS JOIN LATERAL (VALUES ('dispute', -p.amount_cents), ('dispute_fee', -1500))
              AS k(kind, amount)
        WHERE p.organization_id = %(org)s AND p.status = 'disputed'""",
]


def _ledger(cursor, org_id: int, now: dt.datetime) -> None:
    for sql in LEDGER:
        cursor.execute(sql, {"org": org_id, "now": now})


def _wipe(organization) -> None:
    log("data: removing the smaller dataset of an earlier run")
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in (
            "DELETE FROM payments_dailyreportline WHERE report_id IN"
            " (SELECT id FROM payments_dailyreport WHERE organization_id = %s)",
            "DELETE FROM payments_dailyreport WHERE organization_id = %s",
            "DELETE FROM payments_ledgerentry WHERE organization_id = %s",
            "DELETE FROM payments_paymentrequest WHERE organization_id = %s",
            "DELETE FROM tickets_ticket WHERE organization_id = %s",
            "DELETE FROM tickets_customer WHERE organization_id = %s",
            "DELETE FROM teams_team_members WHERE team_id IN"
            " (SELECT id FROM teams_team WHERE organization_id = %s)",
            "DELETE FROM teams_team WHERE organization_id = %s",
            "DELETE FROM teams_membership WHERE organization_id = %s",
        ):
            cursor.execute(sql, [organization.pk])
        cursor.execute("DELETE FROM accounts_user WHERE email LIKE %s", ["%@bench.test"])


def _busiest_day(organization, zone: ZoneInfo) -> tuple[dt.date, int]:
    """The generated busy day (the data may have been made on an earlier day)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (paid_at AT TIME ZONE %s)::date AS day, count(*) FROM payments_paymentrequest"
            " WHERE organization_id = %s AND paid_at IS NOT NULL"
            " GROUP BY day ORDER BY count(*) DESC LIMIT 1",
            [str(zone), organization.pk],
        )
        day, count = cursor.fetchone()
    return day, count


def _search_phone() -> str:
    """Customer 142's number, typed as people write it."""
    e164 = _phone(142)
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
