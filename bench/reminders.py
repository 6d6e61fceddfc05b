# ruff: noqa: S311, E501 - a benchmark: seeded randomness, long report lines
"""Scenario 5 (reminders): 10,000 (FULL) / 1,000 (small) unpaid requests due at once, all
reminders texted through one Celery worker (locmem SMS backend), two beat runs overlapping,
each reminder sent once. See bench/README.md.

The beat task reminds every organization's due requests, so the requests live in an
organization of their own ("<org> Reminders", with its own connected account) and every other
connected account's reminders are switched off for the run and restored after: the open
payments other scenarios seed into the shared organization are not reminded, nor timed."""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
import time
from zoneinfo import ZoneInfo

from bench.common import ENV, WORK, celery_purge, celery_worker, log, stop

PHONE_PREFIX = "+1202555"  # +1 202 555 0000-9999: distinct valid US numbers, one a customer
WORKER = "celery-worker-reminders"
STALL_SECONDS = 20  # nothing changed for this long: the beat runs did all they will do


def _phone(i: int) -> str:
    return f"{PHONE_PREFIX}{i:04d}"


def _seed(org, n: int):
    """The organization, its connected account, a team, an advisor, ``n`` customers, each with
    a ticket and one open request created 48 h ago (the reminder delay is 24 h)."""
    from accounts.models import User
    from payments.models import ConnectedAccount, PaymentRequest
    from payments.money import platform_fee
    from teams.models import Membership, Organization, Team
    from teams.roles import Role
    from tickets.models import Customer, Ticket

    rng = random.Random(5)
    sibling = Organization.objects.create(
        slug=f"{org.slug}-reminders", name=f"{org.name} Reminders", country=org.country
    )
    ConnectedAccount.objects.create(
        organization=sibling,
        stripe_account_id="acct_benchreminders01",
        country="US",
        details_submitted=True,
        charges_enabled=True,
        payouts_enabled=True,
        reminder_after_hours=24,
    )
    team = Team.objects.create(
        organization=sibling, name="Reminders Service", payments_enabled=True
    )
    user = User.objects.create(email="reminders-advisor@bench.test", full_name="Riley Reminder")
    membership = Membership.objects.create(user=user, organization=sibling, role=Role.ADVISOR)
    team.members.add(membership)
    customers = Customer.objects.bulk_create(
        (
            Customer(organization=sibling, name=f"Reminder Customer {i}", mobile_phone=_phone(i))
            for i in range(n)
        ),
        batch_size=2000,
    )
    tickets = Ticket.objects.bulk_create(
        (
            Ticket(
                organization=sibling,
                team=team,
                customer=c,
                advisor=membership,
                subject="Service",
            )
            for c in customers
        ),
        batch_size=2000,
    )
    created = dt.datetime.now(dt.UTC) - dt.timedelta(hours=48)
    requests = []
    for i, ticket in enumerate(tickets):
        amount = rng.randint(5_000, 250_000)
        requests.append(
            PaymentRequest(
                organization=sibling,
                ticket=ticket,
                team=team,
                created_by=user,
                amount_cents=amount,
                currency="usd",
                description="Service and parts",
                reference=f"RO-{50_000 + i}",
                token=secrets.token_urlsafe(24),
                fee_cents=platform_fee(amount),
                created_at=created - dt.timedelta(seconds=n - i),  # distinct, all due
            )
        )
    PaymentRequest.objects.bulk_create(requests, batch_size=2000)
    return sibling


def _cleanup(sibling, others: dict[int, int | None]) -> None:
    from accounts.models import SmsMessage, User
    from payments.models import ConnectedAccount, PaymentRequest
    from teams.models import Organization, Team
    from tickets.models import Customer, Ticket, TimelineEntry

    if sibling is not None:
        PaymentRequest.objects.filter(organization=sibling)._raw_delete(using="default")
        TimelineEntry.objects.filter(ticket__organization=sibling).delete()
        Ticket.objects.filter(organization=sibling)._raw_delete(using="default")
        Customer.objects.filter(organization=sibling)._raw_delete(using="default")
        Team.objects.filter(organization=sibling).delete()
        ConnectedAccount.objects.filter(organization=sibling).delete()
        Organization.objects.filter(pk=sibling.pk).delete()
    SmsMessage.objects.filter(to__startswith=PHONE_PREFIX).delete()
    User.objects.filter(email="reminders-advisor@bench.test").delete()
    for pk, hours in others.items():
        ConnectedAccount.objects.filter(pk=pk).update(reminder_after_hours=hours)


def _beat_runs() -> list[tuple[float, int]]:
    """(seconds, what it returned) of each beat run, from the worker's log."""
    text = (WORK / f"{WORKER}.log").read_text()
    pattern = r"payments\.tasks\.payment_reminders_send\[[^\]]+\] succeeded in ([\d.]+)s: (\d+)"
    return [(float(s), int(c)) for s, c in re.findall(pattern, text)]


def run(full: bool, org) -> dict:
    from django.db import connection
    from django.db.models import Count, Max

    from accounts.models import SmsMessage
    from payments.models import ConnectedAccount, PaymentRequest
    from payments.requests.tasks import payment_reminders_send
    from tickets.models import TimelineEntry

    n = 10_000 if full else 1_000
    celery_purge()
    _cleanup(None, {})  # the leftovers of an interrupted run
    others = dict(
        ConnectedAccount.objects.filter(reminder_after_hours__isnull=False).values_list(
            "pk", "reminder_after_hours"
        )
    )
    ConnectedAccount.objects.filter(pk__in=others).update(reminder_after_hours=None)
    sibling = None
    worker = None
    try:
        log(f"scenario 5: {n} unpaid requests due (bulk_create)")
        sibling = _seed(org, n)
        sms = SmsMessage.objects.filter(to__startswith=PHONE_PREFIX, body__startswith="Reminder")
        reminded = PaymentRequest.objects.filter(
            organization=sibling, reminder_sent_at__isnull=False
        )
        worker = celery_worker(
            WORKER, env={**ENV, "BENCH_SMS_BACKEND": "accounts.sms.LocmemBackend"}
        )
        log("scenario 5: two beat runs at once, waiting until every reminder is sent")
        started = dt.datetime.now(dt.UTC)
        # Reminders go 8 a.m.-8 p.m. in the customer's zone (New York numbers here): the runs
        # are told it is noon there today, whatever the clock says.
        noon = dt.datetime.now(ZoneInfo("America/New_York")).replace(hour=12, minute=0)
        t0 = time.perf_counter()
        payment_reminders_send.delay(now=noon.isoformat())
        payment_reminders_send.delay(now=noon.isoformat())
        last, changed = None, time.perf_counter()
        deadline = t0 + 900
        while time.perf_counter() < deadline:
            state = (reminded.count(), sms.count(), sms.filter(status="sent").count())
            if state[2] >= n:
                break
            if state != last:
                last, changed = state, time.perf_counter()
            elif time.perf_counter() - changed > STALL_SECONDS:
                break
            time.sleep(0.25)
        waited = time.perf_counter() - t0
        time.sleep(1)  # a late duplicate would show now
        stop(worker)
        worker = None
        connection.close()
        last_sent = sms.filter(status="sent").aggregate(m=Max("sent_at"))["m"]
        seconds = (last_sent - started).total_seconds() if last_sent else waited
        by_status = dict(sms.values_list("status").annotate(c=Count("id")))
        sms_rows = sms.count()
        sms_dup = sms.values("to").annotate(c=Count("id")).filter(c__gt=1).count()
        sent_phones = sms.filter(status="sent").values("to").distinct().count()
        timeline_dup = (
            TimelineEntry.objects.filter(
                ticket__organization=sibling, event="payment_request.reminded"
            )
            .values("ticket")
            .annotate(c=Count("id"))
            .filter(c__gt=1)
            .count()
        )
        result = {
            "requests": n,
            "seconds": seconds,
            "rps": sent_phones / seconds if seconds else 0.0,
            "reminded": reminded.count(),
            "sms_rows": sms_rows,
            "by_status": by_status,
            "attempts_gt_1": sms.filter(attempts__gt=1).count(),
            "duplicates": max(sms_dup, timeline_dup),
            "sms_duplicates": sms_dup,
            "timeline_duplicates": timeline_dup,
            "not_sent": n - sent_phones,
            "stalled": sent_phones < n,
            "beat_runs": _beat_runs(),
        }
    finally:
        if worker is not None:
            stop(worker)
        celery_purge()
        _cleanup(sibling, others)
    return result


def report(result: dict) -> list[str]:
    r = result
    runs = ", ".join(f"{count} in {s:.1f} s" for s, count in r["beat_runs"]) or "none logged"
    outcome = (
        f"every reminder sent in **{r['seconds']:.1f} s: {r['rps']:.0f} reminders/s**"
        if not r["not_sent"]
        else f"**{r['not_sent']} of {r['requests']} reminders NOT sent** (nothing more happened"
        f" for {STALL_SECONDS} s after {r['seconds']:.1f} s; {r['rps']:.0f} reminders/s while it ran)"
    )
    return [
        f"### 5. Reminders ({r['requests']} unpaid requests due at once, one worker, "
        "concurrency 2, locmem SMS, two overlapping beat runs)",
        "",
        f"From the two `payment_reminders_send.delay()` to the last SMS sent: {outcome}. "
        f"Requests reminded: {r['reminded']} / {r['requests']}; reminder SMS rows: {r['sms_rows']}"
        f" {r['by_status']}; SMS tried more than once: {r['attempts_gt_1']}. Beat runs (as the "
        f"worker logged them; what each returned: reminders sent before the fix, handed out in batches after): {runs}. Payment requests reminded more than once: "
        f"{r['sms_duplicates']} by SMS, {r['timeline_duplicates']} by timeline entry; "
        f"zero duplicates: **{'yes' if not r['duplicates'] else 'NO'}**.",
        "",
    ]


def ok(result: dict) -> bool:
    return result["duplicates"] == 0 and result["not_sent"] == 0
