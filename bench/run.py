# ruff: noqa: S603 - a benchmark driver: fixed commands
"""The benchmarks of bench/README.md: every scenario at small scale, or ``--full`` at the
issue's scale; ``--record`` appends the results to bench/RESULTS.md.

Run from the project root: ``.venv/bin/python bench/run.py [--full] [--record] [--only N]``
(``make bench`` / ``make bench FULL=1``)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import ACCT, BENCH, DATABASE_URL, ENV, PROCS, REDIS_URL, ROOT, VENV, WORK, log

# Scenario number -> (module of bench/, its run(full, org) -> dict, report(dict) -> markdown
# lines, ok(dict) -> whether the goals are met).
SCENARIO_FUNCTIONS = {
    "1": ("webhooks", "intake", "intake_report", "intake_ok"),
    "2": ("webhooks", "processing", "processing_report", "processing_ok"),
    "3": ("payments_tab", "run", "report", "ok"),
    "4": ("reports", "run", "report", "ok"),
    "5": ("reminders", "run", "report", "ok"),
}


def scenario(number: str):
    module_name, *names = SCENARIO_FUNCTIONS[number]
    module = importlib.import_module(f"bench.{module_name}")
    return [getattr(module, name) for name in names]


def setup_database():
    try:
        common.db_admin(f'CREATE DATABASE "{common.db_name()}"')
    except Exception as exc:
        log(f"create database: {exc}".strip())
    for command in (["migrate"], ["collectstatic", "--noinput"]):  # production settings
        subprocess.run(
            [str(VENV / "python"), "manage.py", *command, "-v", "0"], cwd=ROOT, env=ENV, check=True
        )
    import django

    django.setup()
    from django.core.cache import cache

    cache.clear()  # the bench's own Redis database: no totals or flags of an earlier run
    from payments.models import ConnectedAccount, DemoStripeAccount
    from teams.models import Organization

    org, _ = Organization.objects.get_or_create(
        slug="bench-dealer", defaults={"name": "Bench Motors", "country": "US"}
    )
    ConnectedAccount.objects.get_or_create(
        organization=org,
        defaults={
            "stripe_account_id": ACCT,
            "country": "US",
            "details_submitted": True,
            "charges_enabled": True,
            "payouts_enabled": True,
        },
    )
    DemoStripeAccount.objects.get_or_create(stripe_id=ACCT, defaults={"data": {"id": ACCT}})
    return org


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="the issue's scale")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument(
        "--only", action="append", choices=list(SCENARIO_FUNCTIONS), help="repeatable"
    )
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    chosen = args.only or list(SCENARIO_FUNCTIONS)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {'FULL' if args.full else 'small'} scale, {when}",
        "",
        f"Machine: {common.machine()}.",
        "",
    ]
    missed = []
    try:
        log(f"database {DATABASE_URL}, redis {REDIS_URL}")
        org = setup_database()
        for number in chosen:
            run, report, ok = scenario(number)
            result = run(args.full, org)
            lines += report(result)
            print("\n".join(report(result)), flush=True)
            if not ok(result):
                missed.append(number)
    finally:
        for proc in list(PROCS):
            common.stop(proc)
        with contextlib.suppress(Exception):
            common.celery_purge()
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            common.db_admin(f'DROP DATABASE IF EXISTS "{common.db_name()}" WITH (FORCE)')
            log("database dropped, processes stopped")
    text = "\n".join(lines)
    print("\n" + text)
    if args.record:
        results = BENCH / "RESULTS.md"
        with open(results, "a") as f:
            f.write(text + "\n")
    if missed:
        log(f"goals missed in scenario(s) {', '.join(missed)} (see above)")


if __name__ == "__main__":
    main()
