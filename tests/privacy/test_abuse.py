"""Flags for mass and remote check-ins, counted after commit, in locmem and in Redis."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import account_for_phone
from kiemdich.privacy import abuse
from kiemdich.privacy.models import Flag
from tests.privacy.factories import venue
from tests.shared_redis import shared_redis_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    if request.param == "redis":
        settings.CACHES = shared_redis_cache(KEY_PREFIX="kd-privacy-test")
    from django.core.cache import cache

    cache.clear()
    yield request.param
    cache.clear()


@pytest.fixture
def market(areas):
    return venue(account_for_phone("0912000002"), areas["25993"], latitude=10.7721,
                 longitude=106.6983)


def test_many_accounts_in_one_minute_raise_one_flag(market, settings, shared_cache):
    settings.ABUSE_MASS_ACCOUNTS_PER_MINUTE = 5
    for account_id in range(1, 6):
        abuse.check_checkin(market, account_id)
        abuse.check_checkin(market, account_id)  # the same account again does not count
    assert not Flag.objects.exists()
    for account_id in range(6, 12):
        abuse.check_checkin(market, account_id)
    flag = Flag.objects.get()
    assert flag.kind == "mass" and flag.venue_id == market.pk


def test_a_check_in_far_from_the_venue_is_flagged(market, settings):
    settings.ABUSE_REMOTE_KM = 2
    assert abuse.check_checkin(market, 1, (10.7760, 106.7009)) == []  # ~0.5 km away
    [flag] = abuse.check_checkin(market, 1, (10.8231, 106.6297))  # Tân Bình, ~9 km
    assert flag.kind == "remote" and flag.detail.startswith("distance_km=")
    assert 8 < float(flag.detail.split("=")[1]) < 10


def test_a_venue_without_coordinates_is_never_remote(areas):
    place = venue(account_for_phone("0912000002"), areas["25993"])
    assert abuse.check_checkin(place, 1, (21.0, 105.8)) == []


def test_checks_wait_for_the_commit(market, settings, django_capture_on_commit_callbacks):
    settings.ABUSE_REMOTE_KM = 2
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        abuse.note_checkin(market, 1, (10.8231, 106.6297))
        assert not Flag.objects.exists()
    assert len(callbacks) == 1 and Flag.objects.count() == 1


def test_a_rolled_back_check_in_raises_nothing(market, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                abuse.note_checkin(market, 1, (10.8231, 106.6297))
                raise RuntimeError("scan refused")
        except RuntimeError:
            pass
    assert not Flag.objects.exists()


def test_flags_are_listed_to_the_officers_of_the_area_only(market, areas, make_officer, lan):
    abuse.check_checkin(market, 1, (10.8231, 106.6297))
    inside = make_officer("0912000020", Role.OFFICER, areas["731"])
    outside = make_officer("0912000021", Role.OFFICER, areas["740"])
    assert [f["venue_id"] for f in inside.get("/api/v1/flags").json()] == [market.pk]
    assert outside.get("/api/v1/flags").json() == []
    assert lan.get("/api/v1/flags").status_code == 403
    page = Client()
    page.force_login(inside.user)
    assert market.name in page.get("/privacy/flags/").content.decode()
    page.force_login(lan.user)
    assert page.get("/privacy/flags/").status_code == 403


def test_distance_is_symmetric_and_zero_on_itself():
    a, b = (10.77, 106.69), (21.03, 105.85)
    assert abuse.distance_km(a, a) == 0
    assert abs(abuse.distance_km(a, b) - abuse.distance_km(b, a)) < 1e-9
    assert 1130 < abuse.distance_km(a, b) < 1160  # Hồ Chí Minh City – Hà Nội


def test_self_check_ins_from_many_accounts_are_flagged(market, settings, make_client,
                                                       django_capture_on_commit_callbacks):
    settings.ABUSE_MASS_ACCOUNTS_PER_MINUTE = 3
    for n in range(4):
        client = make_client(f"091200{n:04d}")
        me = client.get("/api/v1/people").json()[0]
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/api/v1/checkins", {"venue_code": market.code,
                                                        "person_ids": [me["id"]],
                                                        "direction": "in"})
        assert response.status_code == 201, response.content
    flag = Flag.objects.get()
    assert flag.kind == "mass" and flag.venue_id == market.pk


def test_a_self_check_in_sent_from_far_away_is_flagged(market, settings, make_client,
                                                       django_capture_on_commit_callbacks):
    settings.ABUSE_REMOTE_KM = 2
    client = make_client("0912000100")
    me = client.get("/api/v1/people").json()[0]
    for where in ((10.7760, 106.7009), (10.8231, 106.6297)):  # at the market, then ~9 km off
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/api/v1/checkins", {
                "venue_code": market.code, "person_ids": [me["id"]], "direction": "in",
                "latitude": where[0], "longitude": where[1]})
        assert response.status_code == 201, response.content
    flag = Flag.objects.get()
    assert flag.kind == "remote" and flag.account_id == client.user.pk


def test_a_location_off_the_globe_is_bad_input(market, make_client):
    client = make_client("0912000101")
    me = client.get("/api/v1/people").json()[0]
    response = client.post("/api/v1/checkins", {"venue_code": market.code,
                                                "person_ids": [me["id"]], "direction": "in",
                                                "latitude": 123.0, "longitude": 106.0})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "latitude"


def test_the_poster_page_sends_the_phones_position_and_far_away_is_flagged(
        market, settings, make_client, django_capture_on_commit_callbacks):
    """The page's form carries the position the browser gave; junk in those fields never
    costs the visitor the check-in."""
    settings.ABUSE_REMOTE_KM = 2
    citizen = make_client("0912000102")
    me = citizen.get("/api/v1/people").json()[0]
    page = Client()
    page.force_login(citizen.user)
    form = page.get(f"/v/{market.code}").content.decode()
    assert 'name="latitude"' in form and "scans/checkin" in form
    for where in (("10.7760", "106.7009"), ("north", ""), ("95", "106.7"), ("10.8231", "106.6297")):
        with django_capture_on_commit_callbacks(execute=True):
            done = page.post(f"/v/{market.code}", {"person": [me["id"]], "direction": "in",
                                                   "latitude": where[0],
                                                   "longitude": where[1]})
        assert done.status_code == 201
    flag = Flag.objects.get()  # only the last one, ~9 km off
    assert flag.kind == "remote" and flag.account_id == citizen.user.pk
