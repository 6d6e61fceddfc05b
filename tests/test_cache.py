"""The Redis cache backend with one client per pool (expertconnect/cache.py), on real Redis."""

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
