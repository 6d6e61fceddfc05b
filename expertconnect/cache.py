"""Django's Redis cache, shared clients, and degrading when Redis is down.

One redis-py client per connection pool instead of one per operation: redis-py builds its
table of response callbacks in every client it makes (about 0.3 ms, measured in bench/), and
a request here makes several cache calls (the Payments tab's totals, the webhook dispatch
flag, the rate limits). Clients share the pool; redis-py clients are safe to share between
threads.

Redis is a cache here, not a store: nothing in it is needed for a right answer (sessions
and the payments totals' version live in the database). So when Redis is unreachable, slow
or refuses writes (MISCONF, READONLY, OOM), an operation does not raise: a read misses, a
write, add or incr does nothing (add and incr answer as if they had worked, so a rate limit
allows), and a warning is logged at most once a minute per process. After an error the
cache is left alone for ``RETRY_AFTER`` seconds, so a request does not wait for a socket
timeout on every call while Redis is down. Socket timeouts are set in CACHES' OPTIONS
(settings/base.py).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER = 5.0  # seconds without calling Redis after one of its errors
LOG_EVERY = 60.0  # seconds between two warnings of a process about an unusable cache


class _Unavailable(Exception):
    """Redis failed just now; the operation answers its degraded result."""


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._skip_until = 0.0
        self._logged_at = -LOG_EVERY

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def _call(self, operation: str, *args: Any) -> Any:
        """Run the parent's ``operation``; raise _Unavailable if Redis fails or failed lately."""
        now = time.monotonic()
        if now < self._skip_until:
            raise _Unavailable
        try:
            return getattr(super(), operation)(*args)
        except RedisError as exc:
            with self._lock:
                self._skip_until = time.monotonic() + RETRY_AFTER
                log = now - self._logged_at >= LOG_EVERY
                if log:
                    self._logged_at = now
            if log:
                logger.warning(
                    "Redis cache unusable (%s: %s); working without it, retrying in %s s",
                    type(exc).__name__,
                    exc,
                    RETRY_AFTER,
                )
            raise _Unavailable from exc

    def add(self, key: Any, value: Any, timeout: Any) -> bool:
        try:
            return self._call("add", key, value, timeout)
        except _Unavailable:
            return True

    def get(self, key: Any, default: Any) -> Any:
        try:
            return self._call("get", key, default)
        except _Unavailable:
            return default

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        with contextlib.suppress(_Unavailable):
            self._call("set", key, value, timeout)

    def touch(self, key: Any, timeout: Any) -> bool:
        try:
            return self._call("touch", key, timeout)
        except _Unavailable:
            return False

    def delete(self, key: Any) -> bool:
        try:
            return self._call("delete", key)
        except _Unavailable:
            return False

    def get_many(self, keys: Any) -> dict[Any, Any]:
        try:
            return self._call("get_many", keys)
        except _Unavailable:
            return {}

    def has_key(self, key: Any) -> bool:
        try:
            return self._call("has_key", key)
        except _Unavailable:
            return False

    def incr(self, key: Any, delta: int) -> int:
        try:
            return self._call("incr", key, delta)
        except _Unavailable:
            return delta

    def set_many(self, data: Any, timeout: Any) -> None:
        with contextlib.suppress(_Unavailable):
            self._call("set_many", data, timeout)

    def delete_many(self, keys: Any) -> None:
        with contextlib.suppress(_Unavailable):
            self._call("delete_many", keys)

    def clear(self) -> bool:
        try:
            return self._call("clear")
        except _Unavailable:
            return False


class SharedClientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
