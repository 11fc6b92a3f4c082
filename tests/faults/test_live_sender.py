"""The live feed's sender thread (Redis): events leave in order, several per round trip, and
a Redis that is frozen holds the sender, not the publisher, and events flow again after it."""

from __future__ import annotations

import json
import time

import redis

from kiemdich.core import pubsub
from tests.faults.harness import own_redis


def _listen(url: str, key: str):
    subscriber = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(key)
    assert subscriber.get_message(timeout=2) is None  # the subscription's confirmation
    return subscriber


def _received(subscriber, count: int) -> list[dict]:
    got = []
    deadline = time.monotonic() + 10
    while len(got) < count and time.monotonic() < deadline:
        message = subscriber.get_message(timeout=1)
        if message and message["type"] == "message":
            got.append(json.loads(message["data"]))
    return got


def test_events_arrive_in_order_and_a_frozen_redis_does_not_hold_the_publisher():
    with own_redis() as server:
        sender = pubsub._Sender(server.url)
        subscriber = _listen(server.url, "kd_test:venue")
        for n in range(200):
            sender.put("kd_test:venue", json.dumps({"n": n}))
        assert [event["n"] for event in _received(subscriber, 200)] == list(range(200))

        server.freeze()
        try:
            # Queued, not sent: the publisher goes on while Redis does not answer.
            for n in range(200, 300):
                sender.put("kd_test:venue", json.dumps({"n": n}))
            time.sleep(1)  # the sender meets the frozen Redis (its socket timeout)
        finally:
            server.thaw()
        sender.put("kd_test:venue", json.dumps({"n": "after"}))
        later = _received(subscriber, 101)
        assert later[-1] == {"n": "after"}
        assert [event["n"] for event in later[:-1]] == [
            n for n in range(200, 300) if {"n": n} in later]
        subscriber.close()
