"""The sliding-window limiter, over any sequence of requests: what it lets through over any
span, that a caller who waits the Retry-After it was told gets in, and that Redis's script
and the per-process store count alike."""

from __future__ import annotations

import itertools
import uuid

import time_machine
from django.core.cache import caches
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from kiemdich.accounts import ratelimit
from tests.shared_redis import shared_redis_cache

REDIS = shared_redis_cache()
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "LOCATION": "gcra-property"}}

requests = st.lists(st.tuples(st.floats(min_value=0, max_value=40, allow_nan=False),
                              st.integers(min_value=1, max_value=12)), max_size=40)


def _run(caches_setting: dict, sequence, limit: int, window: int) -> list[tuple[float, int, int]]:
    bucket = f"property:{uuid.uuid4()}"
    answers = []
    with override_settings(CACHES=caches_setting), \
            time_machine.travel(1_800_000_000, tick=False) as clock:
        caches["default"]  # noqa: B018 — the overridden cache, fresh
        now = 0.0
        for gap, n in sequence:
            clock.shift(gap)
            now += gap
            allowance = ratelimit.take(bucket, limit, window, n)
            answers.append((now, allowance.granted, allowance.retry_after))
    return answers


@settings(max_examples=60, deadline=None)
@given(sequence=requests, limit=st.integers(min_value=1, max_value=20),
       window=st.sampled_from([10, 60, 3600]))
def test_no_span_lets_more_through_than_a_burst_and_the_rate(sequence, limit, window):
    answers = _run(LOCMEM, sequence, limit, window)
    for (start, _g, _w), end in itertools.product(answers, answers):
        if end[0] < start:
            continue
        taken = sum(g for t, g, _w in answers if start <= t <= end[0])
        assert taken <= limit + (end[0] - start + 0.001) * limit / window


@settings(max_examples=40, deadline=None)
@given(sequence=requests, limit=st.integers(min_value=1, max_value=20),
       window=st.sampled_from([10, 60]))
def test_redis_and_the_local_store_answer_alike(sequence, limit, window):
    assert _run(REDIS, sequence, limit, window) == _run(LOCMEM, sequence, limit, window)


@settings(max_examples=60, deadline=None)
@given(sequence=requests, limit=st.integers(min_value=1, max_value=20),
       window=st.sampled_from([10, 60, 3600]))
def test_who_waits_the_retry_after_gets_one_in(sequence, limit, window):
    answers = _run(LOCMEM, sequence, limit, window)
    refused = [(t, wait) for t, granted, wait in answers if wait > 0]
    if not refused:
        return
    # Replay up to the last refusal, then wait as told: one event fits.
    cut = max(i for i, (_t, _g, wait) in enumerate(answers) if wait > 0)
    wait = answers[cut][2]
    again = _run(LOCMEM, [*sequence[:cut + 1], (float(wait), 1)], limit, window)
    assert again[-1][1] == 1

