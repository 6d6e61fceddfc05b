# ruff: noqa: E501 - report lines
"""Scenario 3: the Payments tab of a dealership group with 1,000,000 payments over 3 years
in 50 teams, as a manager of 5 teams sees it, against its floor. See bench/README.md."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from zoneinfo import ZoneInfo

from bench import data
from bench.common import (
    APP_PORT,
    BASE_PORT,
    WORK,
    gunicorn,
    log,
    session_cookie,
    stop,
    wait_http,
    wrk,
)
from payments import scope
from payments.ledger import selectors as ledger_selectors

CONNECTIONS = 8
ROUNDS = 2


def _requests(ds: data.Dataset, membership, page: int) -> tuple[dict[str, str], dict]:
    """The request types (name → path) and the floor's queries (the app's own keyset query
    for the first page and page 500, as SQL and parameters)."""
    from django.db.models import F

    org = ds.organization
    slug = org.slug
    visible = scope.payments_visible(organization=org, membership=membership)
    ordered = visible.order_by("-created_at", "-pk")
    # Page ``page``: the cursor after the last row of the page before it.
    anchor = ordered.only("pk", "created_at")[(page - 1) * ledger_selectors.PAGE_SIZE - 1]
    cursor = ledger_selectors.encode_cursor(anchor.created_at, anchor.pk)
    # A customer of the manager's teams, searched by phone as people type it.
    phone = str(
        visible.filter(created_at__gte=dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
        .values_list("ticket__customer__mobile_phone", flat=True)
        .order_by("pk")
        .first()
    )
    typed = f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
    today = dt.datetime.now(ZoneInfo(str(org.time_zone))).date()
    team = ds.manager_team_ids[0]
    base = f"/o/{slug}/payments/"
    paths = {
        "first page": base,
        "team + last 30 days": base
        + "?"
        + urllib.parse.urlencode(
            {
                "team": team,
                "range": "custom",
                "date_from": (today - dt.timedelta(days=29)).isoformat(),
                "date_to": today.isoformat(),
            }
        ),
        "phone search": base + "?" + urllib.parse.urlencode({"q": typed}),
        f"page {page} (keyset)": base + "?" + urllib.parse.urlencode({"cursor": cursor}),
        "minimal logged-in page": "/",
    }
    columns = {
        "customer": F("ticket__customer__name"),
        "phone": F("ticket__customer__mobile_phone"),
        "team_name": F("team__name"),
        "advisor": F("created_by__full_name"),
    }
    fields = [
        "id",
        "created_at",
        "status",
        "amount_cents",
        "fee_cents",
        "net_cents",
        "refunded_cents",
    ]
    floor = {}
    for name, queryset in (
        ("first", ordered),
        (
            "deep",
            ordered.filter(ledger_selectors.keyset_after(*ledger_selectors.decode_cursor(cursor))),
        ),
    ):
        sql, params = queryset.values(*fields, **columns)[
            : ledger_selectors.PAGE_SIZE + 1
        ].query.sql_with_params()
        floor[name] = [sql, [p.isoformat() if isinstance(p, dt.datetime) else p for p in params]]
    return paths, floor


def _query_counts(paths: dict[str, str], user) -> dict[str, tuple[int, int]]:
    """Queries and status of one request of each type, through Django's test client in this
    process (production settings), after one warm-up request."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    counts = {}
    for name, path in paths.items():
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        counts[name] = (len(ctx.captured_queries), response.status_code)
    return counts


def run(full: bool, org) -> dict:
    from teams.models import Membership

    payments = 1_000_000 if full else 100_000
    seconds = 15 if full else 5
    log(f"scenario 3: the group's data ({payments} payments)")
    ds = data.build(org, payments=payments, busy_day_payments=payments // 10)
    membership = Membership.objects.get(user=ds.manager, organization=org)
    page = 500 if full else 100
    paths, floor = _requests(ds, membership, page)
    queries_file = WORK / "floor-queries.json"
    queries_file.write_text(json.dumps(floor))
    counts = _query_counts(paths, ds.manager)
    cookie = session_cookie(ds.manager, org)
    app = gunicorn("expertconnect.wsgi:application", APP_PORT, "gunicorn-app")
    base = gunicorn(
        "bench.baseline.wsgi:application",
        BASE_PORT,
        "gunicorn-floor",
        settings="bench.baseline.settings",
        extra_env={"BENCH_FLOOR_QUERIES": str(queries_file)},
    )
    wait_http(APP_PORT)
    wait_http(BASE_PORT)
    results: dict = {"payments": ds.payments, "seconds": seconds, "paths": paths, "counts": counts}
    rounds: dict[str, list[dict]] = {}
    for round_ in range(ROUNDS):  # floor and app alternate: this machine's speed drifts
        for name, which in (("first page", "first"), (f"page {page} (keyset)", "deep")):
            log(f"scenario 3: floor, {name}, round {round_ + 1}")
            rounds.setdefault(f"floor: {name}", []).append(
                wrk(
                    BASE_PORT,
                    "get.lua",
                    [f"/payments/?page={which}", ""],
                    seconds,
                    conns=CONNECTIONS,
                    name=f"floor-{which}-{round_}",
                )
            )
        for number, (name, path) in enumerate(paths.items()):
            log(f"scenario 3: app, {name}, round {round_ + 1}")
            rounds.setdefault(name, []).append(
                wrk(
                    APP_PORT,
                    "get.lua",
                    [path, cookie],
                    seconds,
                    conns=CONNECTIONS,
                    name=f"app-{number}-{round_}",
                )
            )
    # each request type's better round (the lower p50), with the other round's p50 beside it
    runs = {}
    for name, results_ in rounds.items():
        best = min(results_, key=lambda r: r["p50_us"])
        runs[name] = {**best, "rounds_p50_ms": [r["p50_us"] / 1000 for r in results_]}
    stop(app)
    stop(base)
    results["runs"] = runs
    results["floor_p50_us"] = runs["floor: first page"]["p50_us"]
    return results


def report(r: dict) -> list[str]:
    floor = r["floor_p50_us"]
    lines = [
        f"### 3. Payments tab ({r['payments']:,} payments over 3 years in 50 teams; a manager of 5 teams; "
        f"{CONNECTIONS} connections, {r['seconds']} s per request type, {ROUNDS} rounds)",
        "",
        "| request | requests/s | p50 ms (rounds) | p99 ms | non-2xx | queries | p50 / floor p50 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, run in r["runs"].items():
        queries = r["counts"].get(name, ("1", 200))[0] if not name.startswith("floor") else 1
        lines.append(
            f"| {name} | {run['rps']:.0f} | {run['p50_us'] / 1000:.1f} "
            f"({' / '.join(f'{x:.0f}' for x in run['rounds_p50_ms'])}) | {run['p99_us'] / 1000:.1f} | "
            f"{run['non2xx'] + run['socket_errors']} | {queries} | {run['p50_us'] / floor:.2f} |"
        )
    lines += [
        "",
        f"Goal: every Payments request within 2x the floor's p50 ({floor / 1000:.1f} ms): "
        f"**{'met' if ok(r) else 'MISSED'}**. Paths: "
        + "; ".join(f"{k}: `{v}`" for k, v in r["paths"].items())
        + ".",
        "",
    ]
    return lines


def ok(r: dict) -> bool:
    floor = r["floor_p50_us"]
    return all(
        run["p50_us"] <= 2 * floor and run["non2xx"] == 0
        for name, run in r["runs"].items()
        if not name.startswith("floor") and name != "minimal logged-in page"
    )
