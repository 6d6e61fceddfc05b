"""A worker killed with SIGKILL in the middle of an event (kill -9, the OOM killer): the
event is not lost and not done twice; the beat's next sweep after DISPATCH_STALE queues it
again and another worker processes it. Real worker processes on a Redis of the test's own;
the sweep is run as the beat would run it DISPATCH_STALE later (the clock is not waited for:
claim + 50 s stale + at most 60 s to the next sweep = 110 s, measured in the report)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from payments.models import WebhookEvent
from payments.webhooks import pipeline as webhooks_pipeline
from tests.helpers import wait_for
from tests.payments import stripe_fixtures as sf
from tests.redis_server import product_on

# A worker whose account.updated handler notes the event in a file, then hangs (MODE=hang)
# or returns (MODE=done).
WORKER = """
import os, sys, time
import django
django.setup()
from payments.webhooks.registry import HANDLERS
from expertconnect.celery import app

def handler(event):
    with open(os.environ["MARKS"], "a") as marks:
        marks.write(f"{os.environ['MODE']} {event.pk}\\n")
    if os.environ["MODE"] == "hang":
        time.sleep(600)

HANDLERS["account.updated"] = handler
app.conf.task_always_eager = False
app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-heartbeat",
                 "--without-mingle", "--without-gossip", "--hostname", os.environ["MODE"] + "@%h"])
"""


def start_worker(mode: str, broker_url: str, marks: Path, log: Path) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "expertconnect.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker_url,
        "MODE": mode,
        "MARKS": str(marks),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(  # noqa: S603 (our arguments)
        [sys.executable, "-c", WORKER],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.django_db(transaction=True)
def test_an_event_of_a_worker_killed_mid_task_is_processed_once_by_another(own_redis, tmp_path):
    marks, log = tmp_path / "marks", tmp_path / "workers.log"
    marks.touch()
    with product_on(own_redis):
        hung = start_worker("hang", own_redis.url, marks, log)
        try:
            stored, _ = webhooks_pipeline.webhook_event_store(
                event=sf.event("account.updated", sf.account()), endpoint="connect"
            )
            assert wait_for(lambda: marks.read_text().strip(), 30), log.read_text()
            hung.send_signal(signal.SIGKILL)
            hung.wait(10)
        finally:
            hung.kill()
        stored.refresh_from_db()
        assert stored.status == WebhookEvent.Status.PENDING  # its transaction died with it
        claimed_at = stored.queued_at
        assert claimed_at is not None

        done = start_worker("done", own_redis.url, marks, log)
        try:
            if os.environ.get("KILLED_WORKER_REAL_CLOCK"):  # the manual measurement
                # The beat's sweep every 60 s on the real clock, as in production.
                while webhooks_pipeline.webhook_events_dispatch() == 0:
                    time.sleep(60)
                print(f"queued again {timezone.now() - claimed_at} after the claim")
            else:
                # The beat's sweep, run DISPATCH_STALE after the claim.
                sweep_at = claimed_at + webhooks_pipeline.DISPATCH_STALE + timedelta(seconds=1)
                assert webhooks_pipeline.webhook_events_dispatch(now=sweep_at) == 1

            def processed() -> bool:
                stored.refresh_from_db()
                return stored.status == WebhookEvent.Status.PROCESSED

            assert wait_for(processed, 30), log.read_text()
        finally:
            done.send_signal(signal.SIGTERM)
            done.wait(15)
    assert marks.read_text().split("\n")[:2] == [f"hang {stored.pk}", f"done {stored.pk}"]
    assert stored.attempts == 1  # the killed attempt left nothing behind
    if os.environ.get("KILLED_WORKER_REAL_CLOCK"):
        assert stored.processed_at - claimed_at < timedelta(minutes=2)
        print(f"processed {stored.processed_at - claimed_at} after the claim")
