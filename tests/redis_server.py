"""A Redis server of the test's own, on a free port, that a test can stop, start again or make
refuse writes: what happens to the product when its Redis goes away."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.test import override_settings

from expertconnect.celery import app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our arguments)
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Kill it, as a crashed or unreachable Redis (SIGKILL: nothing saved, nothing said)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def refuse_writes(self) -> None:
        """Answer reads, refuse every write with OOM, as a full Redis with noeviction."""
        client = redis.Redis(port=self.port)
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", 1)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=0.2)


def own_redis_server():
    """The ``own_redis`` fixture (tests/conftest.py): a started server, killed after."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _reset_broker_pools() -> None:
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def product_on(server: OwnRedis):
    """The cache and the Celery broker on ``server``, as in production (tasks not eager)."""
    import expertconnect.cache

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    caches = {
        "default": {
            "BACKEND": "expertconnect.cache.SharedClientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    retry_after = getattr(expertconnect.cache, "RETRY_AFTER", 0)
    expertconnect.cache.RETRY_AFTER = 0  # type: ignore[attr-defined]  # no pause after errors
    app.conf.broker_url = server.url
    app.conf.task_always_eager = False
    _reset_broker_pools()
    try:
        with override_settings(CACHES=caches):
            yield
    finally:
        expertconnect.cache.RETRY_AFTER = retry_after  # type: ignore[attr-defined]
        for key, value in saved.items():
            setattr(app.conf, key, value)
        _reset_broker_pools()
