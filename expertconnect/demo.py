"""`make demo`: database, migrations, demo data, web server and Celery, stopped together by Ctrl-C.

With DATABASE_URL unset it starts the embedded PostgreSQL (``.data/postgres``); with REDIS_URL
set it runs a real Celery worker (with beat) beside the web server, otherwise tasks run inline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
BASE_DIR = Path(__file__).resolve().parent.parent


def run(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], check=True)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "expertconnect.settings.dev")
    import environ

    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)  # DATABASE_URL, REDIS_URL, DEMO_*
    host = os.environ.get("DEMO_HOST", "127.0.0.1")
    port = os.environ.get("DEMO_PORT", "8000")
    # Links in texts and e-mails, and the demo gateway's webhook deliveries, go to this server.
    os.environ.setdefault("SITE_URL", f"http://{host}:{port}")
    from expertconnect import embedded_db

    server = None
    if not os.environ.get("DATABASE_URL"):
        server = embedded_db.start()
        embedded_db.database_settings()
        print(f"Embedded PostgreSQL running from {embedded_db.DATA_DIR}")
    run("migrate", "--noinput")
    run("seed_demo")

    children = [
        subprocess.Popen([PYTHON, "manage.py", "runserver", f"{host}:{port}"]),
    ]
    if os.environ.get("REDIS_URL"):
        children.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "expertconnect",
                    "worker",
                    "--beat",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "2",
                ]
            )
        )
        print("Celery worker (with beat) running on", os.environ["REDIS_URL"])
    else:
        print("No REDIS_URL: background tasks run inline in the web process.")
    print(f"\nOpen http://{host}:{port}/ (Ctrl-C stops everything)\n")

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if server is not None:
            embedded_db.stop()
            print("Embedded PostgreSQL stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
