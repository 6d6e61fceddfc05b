# ruff: noqa: S603, S607, S310, E501 - fixed commands and local URLs; report lines
"""Scenario 4: the daily reconciliation report of a day with 100,000 payments (time and
peak memory, in a process of its own), and the Payments tab's CSV export of 1,000,000 rows
streamed by gunicorn (rows/s and the worker's peak memory, against a 100,000-row export).
See bench/README.md."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench import data
from bench.common import APP_PORT, ENV, ROOT, VENV, gunicorn, log, session_cookie, stop, wait_http

# Run in a child process: build the report of one day, print seconds and memory (KiB).
PROBE = """
import json, resource, sys, time
import django
django.setup()
from datetime import date
from payments.reports.services import daily_report_build
from teams.models import Organization
organization = Organization.objects.get(pk=int(sys.argv[1]))
day = date.fromisoformat(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
report, _built = daily_report_build(organization=organization, day=day)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
totals = list(report.totals.values())
print(json.dumps({"seconds": seconds, "rss_before_kib": before, "peak_kib": peak,
                  "count": sum(t["charges"] for t in totals),
                  "rows": sum(t["lines"] for t in totals)}))
"""


def _report(org, day) -> dict:
    result = subprocess.run(
        [str(VENV / "python"), "-c", PROBE, str(org.pk), day.isoformat()],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _worker_pids(master: subprocess.Popen) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def _hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _export(path: str, cookie: str) -> dict:
    """Download one export through a fresh gunicorn (its workers' memory starts clean)."""
    app = gunicorn("expertconnect.wsgi:application", APP_PORT, "gunicorn-export")
    wait_http(APP_PORT)
    request = urllib.request.Request(
        f"http://127.0.0.1:{APP_PORT}/", headers={"Cookie": cookie, "Host": "127.0.0.1"}
    )
    for _ in range(4):  # every worker answers once: imports and templates loaded
        urllib.request.urlopen(request, timeout=30).read()
    workers = _worker_pids(app)
    before = max(_hwm_kib(pid) for pid in workers)
    request = urllib.request.Request(
        f"http://127.0.0.1:{APP_PORT}{path}", headers={"Cookie": cookie, "Host": "127.0.0.1"}
    )
    started = time.perf_counter()
    first_byte = None
    lines = size = 0
    with urllib.request.urlopen(request, timeout=1800) as response:
        while chunk := response.read(1 << 16):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            lines += chunk.count(b"\n")
            size += len(chunk)
    seconds = time.perf_counter() - started
    peak = max(_hwm_kib(pid) for pid in workers)
    stop(app)
    rows = lines - 2  # the header and the totals row
    return {
        "rows": rows,
        "bytes": size,
        "seconds": seconds,
        "first_byte_seconds": first_byte or 0.0,
        "rows_per_s": rows / seconds if seconds else 0.0,
        "worker_before_kib": before,
        "worker_peak_kib": peak,
    }


def run(full: bool, org) -> dict:
    payments = 1_000_000 if full else 100_000
    log(f"scenario 4: the group's data ({payments} payments)")
    ds = data.build(org, payments=payments, busy_day_payments=payments // 10)
    log(f"scenario 4: daily report of {ds.busy_day} ({ds.busy_day_payments} payments)")
    report = _report(org, ds.busy_day)
    cookie = session_cookie(ds.admin, org)
    base = f"/o/{org.slug}/payments/export.csv"
    day = ds.busy_day.isoformat()
    small = (
        base + "?" + urllib.parse.urlencode({"range": "custom", "date_from": day, "date_to": day})
    )
    log("scenario 4: CSV export of the busy day")
    day_export = _export(small, cookie)
    log("scenario 4: CSV export of everything")
    all_export = _export(base, cookie)
    return {
        "payments": ds.payments,
        "day": day,
        "report": report,
        "exports": {"one day": day_export, "everything": all_export},
    }


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def report(r: dict) -> list[str]:
    rep = r["report"]
    lines = [
        f"### 4. Daily report and CSV export ({r['payments']:,} payments; the busy day {r['day']})",
        "",
        f"Daily report of the busy day ({rep['count']:,} payments, {rep['rows']:,} lines): "
        f"**{rep['seconds']:.1f} s**, peak memory of its process **{_mib(rep['peak_kib'])} MiB** "
        f"({_mib(rep['rss_before_kib'])} MiB before it started).",
        "",
        "| CSV export | rows | MB | seconds | first byte s | rows/s | worker peak MiB (before) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, e in r["exports"].items():
        lines.append(
            f"| {name} | {e['rows']:,} | {e['bytes'] / 1e6:.0f} | {e['seconds']:.1f} | "
            f"{e['first_byte_seconds']:.2f} | {e['rows_per_s']:,.0f} | "
            f"{_mib(e['worker_peak_kib'])} ({_mib(e['worker_before_kib'])}) |"
        )
    e1, e2 = r["exports"]["one day"], r["exports"]["everything"]
    growth = (e2["worker_peak_kib"] - e2["worker_before_kib"]) - (
        e1["worker_peak_kib"] - e1["worker_before_kib"]
    )
    lines += [
        "",
        f"Worker memory growth, everything vs one day ({e2['rows'] / max(e1['rows'], 1):.0f}x the rows): "
        f"{growth / 1024:+.0f} MiB; goal (peak memory independent of row count): "
        f"**{'met' if ok(r) else 'MISSED'}**.",
        "",
    ]
    return lines


def ok(r: dict) -> bool:
    e1, e2 = r["exports"]["one day"], r["exports"]["everything"]
    grew = (e2["worker_peak_kib"] - e2["worker_before_kib"]) - (
        e1["worker_peak_kib"] - e1["worker_before_kib"]
    )
    return grew < 32 * 1024  # within 32 MiB whatever the rows (allocator noise)


if __name__ == "__main__":
    sys.exit("run through bench/run.py --only 4")
