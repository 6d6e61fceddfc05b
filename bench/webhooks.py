# ruff: noqa: S311, E501 - a benchmark: seeded randomness, long report lines
"""Scenarios 1 (webhook intake) and 2 (webhook processing). See bench/README.md."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from pathlib import Path

from bench.common import (
    ACCT,
    APP_PORT,
    BASE_PORT,
    WORK,
    celery_purge,
    celery_worker,
    gunicorn,
    log,
    stop,
    wait_http,
    wrk,
)

# Events ------------------------------------------------------------------------------------


def make_events(n: int, prefix: str, org_id: int, seed: int = 6) -> list[bytes]:
    """Stripe-shaped events, 2-4 KB each, a mix of the four types, ids unique."""
    rng = random.Random(seed)
    base = int(time.time()) - 3600
    out = []
    for i in range(n):
        kind = i % 4
        created = base + i // 50
        pad = {"bench_note": ""}
        if kind == 0:
            type_, account, obj = (
                "checkout.session.completed",
                None,
                {
                    "id": f"cs_bench_{prefix}{i}",
                    "object": "checkout.session",
                    "mode": "payment",
                    "payment_status": "paid",
                    "status": "complete",
                    "amount_total": 12999,
                    "currency": "usd",
                    "payment_intent": f"pi_bench_{prefix}{i}",
                    "client_reference_id": str(900_000_000 + i),
                    "metadata": {
                        "payment_request_id": str(900_000_000 + i),
                        "organization_id": str(org_id),
                        **pad,
                    },
                },
            )
        elif kind == 1:
            type_, account, obj = (
                "charge.succeeded",
                None,
                {
                    "id": f"ch_bench_{prefix}{i}",
                    "object": "charge",
                    "amount": 12999,
                    "currency": "usd",
                    "paid": True,
                    "status": "succeeded",
                    "payment_intent": f"pi_bench_{prefix}{i}",
                    "payment_method_details": {
                        "type": "card",
                        "card": {"brand": "visa", "last4": "4242"},
                    },
                    "receipt_url": "https://pay.stripe.com/receipts/bench",
                    "metadata": {
                        "payment_request_id": str(900_000_000 + i),
                        "organization_id": str(org_id),
                        **pad,
                    },
                },
            )
        elif kind == 2:
            type_, account, obj = (
                "payout.paid",
                ACCT,
                {
                    "id": f"po_bench_{prefix}{i % 200}",
                    "object": "payout",
                    "amount": 250000,
                    "currency": "usd",
                    "arrival_date": created,
                    "created": created - 86400,
                    "status": "paid",
                    "method": "standard",
                    "metadata": dict(pad),
                },
            )
        else:
            type_, account, obj = (
                "account.updated",
                ACCT,
                {
                    "id": ACCT,
                    "object": "account",
                    "country": "US",
                    "default_currency": "usd",
                    "details_submitted": True,
                    "charges_enabled": True,
                    "payouts_enabled": True,
                    "capabilities": {"card_payments": "active", "transfers": "active"},
                    "requirements": {
                        "currently_due": [],
                        "past_due": [],
                        "eventually_due": [],
                        "pending_verification": [],
                        "disabled_reason": None,
                    },
                    "settings": {"payouts": {"schedule": {"interval": "daily"}}},
                    "metadata": dict(pad),
                },
            )
        event = {
            "id": f"evt_bench_{prefix}{i:07d}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": created,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
            "data": {"object": obj},
        }
        if account:
            event["account"] = account
        size = rng.randint(2048, 4000)
        body = json.dumps(event, separators=(",", ":"))
        obj["metadata"]["bench_note"] = "x" * max(0, size - len(body))
        out.append(json.dumps(event, separators=(",", ":")).encode())
    return out


def write_signed(events: list[bytes], path: Path) -> None:
    from payments.gateway import demo_webhook_secret
    from payments.gateway.stripe import signature_header

    ts, secret = int(time.time()), demo_webhook_secret()
    with open(path, "wb") as f:
        for body in events:
            f.write(signature_header(body, secret, ts).encode() + b"\t" + body + b"\n")


# Scenarios ---------------------------------------------------------------------------------


ROUNDS = 2  # app and baseline alternate, twice: this machine's speed drifts over minutes


def intake(full: bool, org) -> dict:
    from django.db import connection

    from payments.models import WebhookEvent

    n, seconds = (200_000, 30) if full else (50_000, 10)
    WebhookEvent.objects.filter(stripe_id__startswith="evt_bench_i").delete()  # earlier runs
    log(f"scenario 1: generating {n} events")
    events = make_events(n, "i", org.pk)
    sizes = [len(e) for e in events]
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_baseline_event")
        c.execute(
            "CREATE TABLE bench_baseline_event (id bigserial PRIMARY KEY, body text NOT NULL,"
            " received_at timestamptz NOT NULL DEFAULT now())"
        )
    app = gunicorn("expertconnect.wsgi:application", APP_PORT, "gunicorn-app")
    base = gunicorn(
        "bench.baseline.wsgi:application",
        BASE_PORT,
        "gunicorn-baseline",
        settings="bench.baseline.settings",
    )
    wait_http(APP_PORT)
    wait_http(BASE_PORT)
    path = WORK / "events.tsv"
    rounds: dict[str, list[dict]] = {"app": [], "baseline": []}
    share = n // ROUNDS  # each round sends events of its own
    for round_ in range(ROUNDS):
        for name, port in (("app", APP_PORT), ("baseline", BASE_PORT)):
            # signed now: Stripe's tolerance is 300 s
            write_signed(events[round_ * share : (round_ + 1) * share], path)
            log(f"scenario 1: wrk on {name}, round {round_ + 1} ({seconds}s, 32 connections)")
            rounds[name].append(
                wrk(port, "webhooks.lua", [str(path), "2"], seconds, name=f"{name}-{round_}")
            )
    results: dict = {}
    for name, runs in rounds.items():
        best = max(runs, key=lambda r: r["rps"])
        total = {
            k: sum(r[k] for r in runs)
            for k in (
                "requests",
                "ok",
                "duplicates",
                "non2xx",
                "socket_errors",
                "sent",
                "distinct_sent",
            )
        }
        results[name] = {**best, **total, "rounds_rps": [r["rps"] for r in runs]}
    stop(app)
    stop(base)
    stored = WebhookEvent.objects.filter(stripe_id__startswith="evt_bench_i")
    rows = stored.count()
    distinct = stored.values("stripe_id").distinct().count()
    with connection.cursor() as c:
        c.execute("SELECT count(*), count(DISTINCT (body::jsonb->>'id')) FROM bench_baseline_event")
        b_rows, b_distinct = c.fetchone()
        c.execute("DROP TABLE bench_baseline_event")
    a = results["app"]
    results["app"].update(
        stored_rows=rows, stored_distinct=distinct, created_answers=a["ok"] - a["duplicates"]
    )
    results["baseline"].update(stored_rows=b_rows, stored_distinct=b_distinct)
    results["ratio"] = a["rps"] / results["baseline"]["rps"]
    results["events"] = n
    results["seconds"] = seconds
    results["body_bytes"] = (min(sizes), sum(sizes) // len(sizes), max(sizes))
    # every accepted id stored exactly once: the unique ids answered "created" are all stored,
    # once; at most the requests in flight when wrk stopped (<= 32 a round) are stored unanswered.
    ok = (
        rows == distinct
        and a["non2xx"] == 0
        and a["socket_errors"] == 0
        and a["created_answers"] <= rows <= a["created_answers"] + 32 * ROUNDS
        and rows <= a["distinct_sent"]
    )
    results["exactly_once"] = ok
    return results


def processing(full: bool, org) -> dict:
    from django.db import connection
    from django.db.models import Count

    from payments.models import Payout, WebhookEvent
    from payments.webhooks.tasks import webhook_events_dispatch_task

    n = 10_000 if full else 2_000
    celery_purge()
    WebhookEvent.objects.all().delete()
    Payout.objects.all().delete()
    log(f"scenario 2: storing {n} pending events (bulk_create)")
    rows = []
    for body in make_events(n, "p", org.pk, seed=7):
        e = json.loads(body)
        rows.append(
            WebhookEvent(
                stripe_id=e["id"],
                endpoint="platform",
                type=e["type"],
                account=e.get("account", ""),
                livemode=False,
                created=dt.datetime.fromtimestamp(e["created"], tz=dt.UTC),
                payload=e,
                status=WebhookEvent.Status.PENDING,
            )
        )
    WebhookEvent.objects.bulk_create(rows, batch_size=1000)
    worker = celery_worker()
    log("scenario 2: one dispatch, then draining")
    t0 = time.perf_counter()
    webhook_events_dispatch_task.delay()  # what the first stored event of a burst queues
    enqueued = time.perf_counter() - t0
    pending = WebhookEvent.objects.filter(status__in=["pending", "failed"])
    deadline = time.time() + 600
    while pending.exists() and time.time() < deadline:
        time.sleep(0.1)
    elapsed = time.perf_counter() - t0
    stop(worker)
    connection.close()
    by_status = dict(WebhookEvent.objects.values_list("status").annotate(c=Count("id")))
    once = WebhookEvent.objects.filter(status="processed", attempts=1).count()
    more = WebhookEvent.objects.filter(attempts__gt=1).count()
    return {
        "events": n,
        "seconds": elapsed,
        "enqueue_seconds": enqueued,
        "rps": n / elapsed,
        "by_status": by_status,
        "processed_once": once,
        "attempts_gt_1": more,
        "exactly_once": once == n and more == 0,
    }


def intake_report(s1: dict) -> list[str]:
    a, b = s1["app"], s1["baseline"]
    lines = [
        f"### 1. Webhook intake ({s1['events']} pre-signed events, bodies "
        f"{s1['body_bytes'][0]}/{s1['body_bytes'][1]}/{s1['body_bytes'][2]} B min/avg/max, "
        f"32 connections, {s1['seconds']} s)",
        "",
        "| | events/s (best; rounds) | p50 ms | p99 ms | requests | non-2xx | socket errors | duplicates sent | rows stored | distinct ids stored |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in (("app", a), ("baseline", b)):
        each = " / ".join(f"{x:.0f}" for x in r["rounds_rps"])
        lines.append(
            f"| {name} | {r['rps']:.0f} ({each}) | {r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} | "
            f"{r['requests']} | {r['non2xx']} | {r['socket_errors']} | "
            f"{r['sent'] - r['distinct_sent']} | {r['stored_rows']} | {r['stored_distinct']} |"
        )
    return [
        *lines,
        "",
        f"Ratio app/baseline: **{s1['ratio']:.2f}** (goal >= 0.5: "
        f"{'met' if s1['ratio'] >= 0.5 else 'MISSED'}). App answered {a['created_answers']}"
        f" new + {a['duplicates']} duplicate; every accepted id stored exactly once: "
        f"**{'yes' if s1['exactly_once'] else 'NO'}**.",
        "",
    ]


def intake_ok(s1: dict) -> bool:
    return s1["exactly_once"] and s1["ratio"] >= 0.5


def processing_report(s2: dict) -> list[str]:
    return [
        f"### 2. Webhook processing ({s2['events']} stored events, one worker, concurrency 2)",
        "",
        f"Drained in {s2['seconds']:.1f} s (one dispatch task queued batches of 50):"
        f" **{s2['rps']:.0f} events/s**. Statuses: {s2['by_status']}. Processed with "
        f"attempts == 1: {s2['processed_once']} / {s2['events']}; attempts > 1: "
        f"{s2['attempts_gt_1']}; exactly once: **{'yes' if s2['exactly_once'] else 'NO'}**.",
        "",
    ]


def processing_ok(s2: dict) -> bool:
    return s2["exactly_once"]
