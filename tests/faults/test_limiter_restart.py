"""A Redis restarted while a server thread keeps its connection to the old one: the thread's
next rate-limit check is counted in the new Redis, not in the process."""

from __future__ import annotations

import redis
from django.test import override_settings
from prometheus_client import REGISTRY

from kiemdich.accounts import ratelimit
from tests.faults.harness import own_redis

FALLBACKS = "kiemdich_rate_limit_fallbacks_total"


def test_a_thread_whose_connection_outlived_a_redis_restart_counts_in_the_new_redis(
        monkeypatch):
    with own_redis() as server, override_settings(CACHES={"default": {
            "BACKEND": "kiemdich.core.redis_client.RedisCache", "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}}}):
        monkeypatch.setattr(ratelimit, "_redis_skipped_until", 0.0)
        fallbacks = REGISTRY.get_sample_value(FALLBACKS)
        assert ratelimit.take("restart-test", 3, 60).granted == 1
        server.stop()
        server.start()  # empty: the bucket counted before is gone with the old server
        assert [ratelimit.take("restart-test", 3, 60).granted for _ in range(4)] == [1, 1, 1, 0]
        assert REGISTRY.get_sample_value(FALLBACKS) == fallbacks
        assert redis.Redis.from_url(server.url).dbsize() == 1
