"""The offline batch counts every item against the reader's scan limit: batches cannot walk
around `SCAN_RATE_PER_MINUTE`."""

from __future__ import annotations

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from kiemdich.people.codes import issue_app_code
from kiemdich.scans.models import Scan
from tests.conftest import ApiClient
from tests.scans.conftest import scans_url
from tests.shared_redis import shared_redis_cache

pytestmark = pytest.mark.django_db

BACKENDS = {
    "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
               "LOCATION": "batch-limits"},
    "redis": shared_redis_cache()["default"],
}


@pytest.fixture(params=sorted(BACKENDS))
def shared_cache(request, settings):
    settings.CACHES = {"default": BACKENDS[request.param]}
    cache.clear()
    yield request.param
    cache.clear()


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _batch(code: str, prefix: str, size: int) -> dict:
    return {"scans": [{"code": code, "direction": "in", "nonce": f"{prefix}-{n}"}
                      for n in range(size)]}


def test_six_batches_get_no_more_than_the_limit_through(venue, reader, lan_person, settings,
                                                        shared_cache, clock):
    settings.SCAN_RATE_PER_MINUTE = 30
    device = ApiClient(HTTP_AUTHORIZATION=f"Device {reader}")
    code = issue_app_code(lan_person.public_id, timezone.now())[0]

    answers = [device.post(scans_url(venue, "/batch"), _batch(code, f"b{n}", 50))
               for n in range(6)]

    first = answers[0]
    assert first.status_code == 200
    statuses = [item["status"] for item in first.json()["results"]]
    assert statuses == [201] * 30 + [429] * 20
    over = first.json()["results"][30]
    assert over["nonce"] == "b0-30"
    assert over["body"]["error"]["code"] == "rate_limited"
    assert over["body"]["error"]["retry_after"] == 2  # 30 a minute: one every 2 seconds
    assert "2 giây" in over["body"]["error"]["message"]
    for refused in answers[1:]:
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused["Retry-After"] == "2"
    assert Scan.objects.count() == 30
    print(f"\n{shared_cache}: 6 batches of 50 at 30/min -> 30 items taken, "
          f"{6 * 50 - 30} refused")


def test_single_scans_and_batch_items_share_one_allowance(venue, reader, lan_person, settings,
                                                          shared_cache, clock):
    settings.SCAN_RATE_PER_MINUTE = 10
    device = ApiClient(HTTP_AUTHORIZATION=f"Device {reader}")
    code = issue_app_code(lan_person.public_id, timezone.now())[0]
    singles = [device.post(scans_url(venue), {"code": code, "direction": "in",
                                              "nonce": f"one-{n}"}).status_code
               for n in range(7)]
    assert singles == [201] * 7
    batch = device.post(scans_url(venue, "/batch"), _batch(code, "late", 5)).json()["results"]
    assert [item["status"] for item in batch] == [201, 201, 201, 429, 429]
    assert device.post(scans_url(venue), {"code": code, "direction": "in",
                                          "nonce": "one-more"}).status_code == 429

    clock.shift(12)  # two more fit, one every 6 seconds
    again = device.post(scans_url(venue, "/batch"),
                        {"scans": [{"code": code, "direction": "in", "nonce": f"late-{n}"}
                                   for n in (3, 4)]}).json()["results"]
    assert [(item["nonce"], item["status"]) for item in again] == [("late-3", 201),
                                                                    ("late-4", 201)]
    assert Scan.objects.count() == 12


def test_invalid_items_are_refused_on_their_own_and_count_nothing(venue, reader, lan_person,
                                                                   settings, clock):
    settings.SCAN_RATE_PER_MINUTE = 2
    device = ApiClient(HTTP_AUTHORIZATION=f"Device {reader}")
    code = issue_app_code(lan_person.public_id, timezone.now())[0]
    body = {"scans": [{"direction": "sideways"}, {"code": code, "direction": "in", "nonce": "a"},
                      {"code": code, "direction": "in", "nonce": "b"},
                      {"code": code, "direction": "in", "nonce": "c"}, {"nonce": "d"}]}
    results = device.post(scans_url(venue, "/batch"), body).json()["results"]
    assert [item["status"] for item in results] == [422, 201, 201, 429, 422]
    assert [item["nonce"] for item in results] == [None, "a", "b", "c", "d"]


def test_an_empty_batch_is_answered_when_the_allowance_is_used_up(venue, reader, lan_person,
                                                                   settings, clock):
    settings.SCAN_RATE_PER_MINUTE = 1
    device = ApiClient(HTTP_AUTHORIZATION=f"Device {reader}")
    code = issue_app_code(lan_person.public_id, timezone.now())[0]
    assert device.post(scans_url(venue), {"code": code, "direction": "in"}).status_code == 201
    empty = device.post(scans_url(venue, "/batch"), {"scans": []})
    assert empty.status_code == 200 and empty.json() == {"results": []}
