"""The Redis cache backend (expertconnect/cache.py) on real Redis: one client per pool, and
working on, degraded, when Redis is down, hangs or refuses writes."""

import pytest

from expertconnect.cache import SharedClientRedisCache
from tests.helpers import REDIS_URL, require_redis


@pytest.fixture
def redis_cache():
    require_redis()
    cache = SharedClientRedisCache(REDIS_URL, {"KEY_PREFIX": "test-shared-client"})
    yield cache
    cache.delete_many(["flag", "value", "counter"])


def test_one_client_serves_every_operation(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client() is client
    redis_cache.set("value", {"gross": 12_345}, 30)
    assert redis_cache.get("value") == {"gross": 12_345}
    assert redis_cache._cache.get_client() is client


def test_add_is_still_set_if_absent(redis_cache):
    redis_cache.delete("flag")
    assert redis_cache.add("flag", 1, 30) is True
    assert redis_cache.add("flag", 1, 30) is False  # the webhook dispatch flag's guarantee
    redis_cache.delete("flag")
    assert redis_cache.add("flag", 1, 30) is True


def test_with_redis_down_reads_miss_writes_do_nothing_and_one_warning_is_logged(
    own_redis, caplog, monkeypatch
):
    import expertconnect.cache

    monkeypatch.setattr(expertconnect.cache, "RETRY_AFTER", 0)
    cache = SharedClientRedisCache(
        own_redis.url, {"OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}}
    )
    cache.set("value", 1, 30)
    own_redis.stop()
    with caplog.at_level("WARNING", logger="expertconnect.cache"):
        assert cache.get("value") is None
        assert cache.get("value", "default") == "default"
        cache.set("value", 2, 30)
        cache.delete("value")
        assert cache.add("counter", 1, 30) is True  # a rate limit allows
        assert cache.incr("counter") == 1
        assert cache.get_or_set("value", lambda: "computed", 30) == "computed"
        assert cache.get_many(["value"]) == {}
        cache.set_many({"value": 3}, 30)
    assert len(caplog.records) == 1  # not one line per call
    assert "Redis cache unusable" in caplog.records[0].getMessage()


def test_after_an_error_redis_is_left_alone_for_a_while(own_redis, monkeypatch):
    import expertconnect.cache

    monkeypatch.setattr(expertconnect.cache, "RETRY_AFTER", 60)
    cache = SharedClientRedisCache(own_redis.url, {})
    own_redis.stop()
    assert cache.get("value") is None
    own_redis.start()
    assert cache.add("flag", 1, 30) is True
    assert own_redis.client().get(":1:flag") is None  # not even tried: no timeout per call
    monkeypatch.setattr(cache._cache, "_skip_until", 0.0)
    cache.set("value", 5, 30)
    assert cache.get("value") == 5


def test_with_redis_refusing_writes_reads_still_answer(own_redis):
    cache = SharedClientRedisCache(own_redis.url, {})
    cache.set("value", {"gross": 100}, 30)
    own_redis.refuse_writes()
    cache.set("other", 1, 30)  # refused by Redis, not raised
    assert cache.add("counter", 1, 30) is True
    assert cache.get("other") is None


def test_a_slow_redis_costs_a_request_at_most_the_socket_timeout(monkeypatch):
    """A Redis that accepts connections and never answers (a hung server, a full network)."""
    import socket
    import time

    import expertconnect.cache

    monkeypatch.setattr(expertconnect.cache, "RETRY_AFTER", 0)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        cache = SharedClientRedisCache(
            f"redis://127.0.0.1:{port}/0",
            {"OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}},
        )
        started = time.monotonic()
        assert cache.get("value") is None
        assert time.monotonic() - started < 1.0
