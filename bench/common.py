# ruff: noqa: S603, S607, E501 - a benchmark driver: fixed commands
"""What every scenario shares: the environment of the app's production run, processes in
their own process groups, the benchmark database, wrk, the machine's description."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
VENV = ROOT / ".venv" / "bin"
APP_PORT = int(os.environ.get("BENCH_PORT", "8210"))  # the app; the baseline on the next port
BASE_PORT = APP_PORT + 1
ACCT = "acct_benchdealer001"

DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/expertconnect_bench"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")
ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "DJANGO_SETTINGS_MODULE": "bench.settings",  # production's, with the demo gateway
    "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-secret-key-not-for-production-0123456789"),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "False",
    "PYTHONPATH": str(ROOT),
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))

PROCS: list[subprocess.Popen] = []


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def start(cmd: list[str], name: str, env: dict | None = None) -> subprocess.Popen:
    out = open(WORK / f"{name}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env or ENV,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    PROCS.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: gunicorn/celery and children
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc in PROCS:
        PROCS.remove(proc)


def db_admin(sql: str) -> None:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(DATABASE_URL)
    info["dbname"] = "postgres"
    with psycopg.connect(**info, autocommit=True) as conn:
        conn.execute(sql)


def db_name() -> str:
    return DATABASE_URL.rsplit("/", 1)[1].split("?")[0]


def wait_http(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/stripe/", timeout=2)
        except urllib.error.HTTPError:
            return  # 405/400: it answers
        except OSError:
            time.sleep(0.3)
            continue
        return
    raise RuntimeError(f"nothing answers on port {port}; see bench/.work/*.log")


def machine() -> str:
    mem = (
        subprocess.run(["free", "-h"], capture_output=True, text=True)
        .stdout.split("\n")[1]
        .split()[1]
    )
    return f"{os.cpu_count()} cores (nproc {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()}), {mem} RAM"


def wrk(
    port: int,
    script: str,
    script_args: list[str],
    seconds: int,
    conns: int = 32,
    threads: int = 2,
    name: str = "",
) -> dict:
    """Run wrk with a Lua script of bench/ whose done() prints one ``BENCH_JSON {...}`` line."""
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(conns),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / script),
        f"http://127.0.0.1:{port}",
        "--",
        *script_args,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    (WORK / f"wrk-{name or port}.txt").write_text(res.stdout + res.stderr)
    line = next(x for x in res.stdout.splitlines() if x.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def gunicorn(
    wsgi: str, port: int, name: str, settings: str | None = None, extra_env: dict | None = None
) -> subprocess.Popen:
    """``wsgi`` served the production way: gunicorn, 2 sync workers."""
    env = {**ENV, **(extra_env or {})}
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
    cmd = [str(VENV / "gunicorn"), wsgi, "-w", "2", "-b", f"127.0.0.1:{port}"]
    return start(cmd, name, env=env)


def celery_purge() -> None:
    subprocess.run(
        [str(VENV / "celery"), "-A", "expertconnect", "purge", "-f"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        timeout=60,
    )


def celery_worker(
    name: str = "celery-worker", concurrency: int = 2, env: dict | None = None
) -> subprocess.Popen:
    """One Celery worker (prefork, ``concurrency`` processes), returned once it is ready."""
    cmd = [
        str(VENV / "celery"),
        "-A",
        "expertconnect",
        "worker",
        "--concurrency",
        str(concurrency),
        "-l",
        "INFO",
    ]
    worker = start(cmd, name, env=env)
    deadline = time.time() + 60
    while "ready." not in (WORK / f"{name}.log").read_text():
        if time.time() > deadline or worker.poll() is not None:
            raise RuntimeError(f"the Celery worker did not start; see bench/.work/{name}.log")
        time.sleep(0.2)
    return worker


def session_cookie(user, organization) -> str:
    """A logged-in session of ``user`` working in ``organization``, as the ``Cookie`` header's
    value: what the browser of a member who signed in sends (Django's own session keys)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string

    from teams.access import SESSION_KEY as ORGANIZATION_KEY

    store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[ORGANIZATION_KEY] = organization.slug
    store.create()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
