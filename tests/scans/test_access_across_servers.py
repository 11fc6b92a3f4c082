"""A change of access made through one server is obeyed by every other at once: two server
processes on the PostgreSQL test database, the change published through PostgreSQL NOTIFY or
Redis. A reader revoked or a staff member removed at one server is refused at the other (whose
caches held them a moment before), a staff member just added is accepted there at once, and
the open live streams of a viewer who lost access end. In one process (memory, both
databases), a stream ends when its viewer is removed.

The seconds from the change to the refusal are printed; the issue's bound (2 s) is asserted.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
import pytest

from kiemdich.venues.devices import create_device
from tests.faults.harness import report
from tests.scans.servers import EventStream, process_server, shared_database_url, thread_server

pytestmark = pytest.mark.django_db(transaction=True)
BACKENDS = ["postgres", "redis"]
# What issue 14 asks: a change takes effect on every process "within a second or two".
BOUND_SECONDS = 2.0


def _scan(base: str, venue_id: int, authorization: str) -> int:
    return httpx.post(f"{base}/api/v1/venues/{venue_id}/scans",
                      json={"phone": "0912000001", "direction": "in"},
                      headers={"Authorization": authorization}, timeout=10).status_code


def _seconds_until(check, seconds: float = BOUND_SECONDS) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return round(time.monotonic() - started, 3)
        time.sleep(0.02)
    return None


def _owner_call(method: str, url: str, token: str, **kwargs) -> int:
    return httpx.request(method, url, headers={"Authorization": f"Bearer {token}"},
                         timeout=10, **kwargs).status_code


def _two_servers(backend: str):
    url = shared_database_url()
    return process_server(url, PUBSUB_BACKEND=backend), process_server(url, PUBSUB_BACKEND=backend)


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_reader_revoked_at_one_server_is_refused_at_the_other(backend, venue, minh,
                                                                lan_person):
    device, token = create_device(venue, "Cổng phụ")
    one, other = _two_servers(backend)
    with one as a, other as b:
        reader = f"Device {token}"
        assert _scan(b, venue.pk, reader) == 201  # b now holds the reader in its cache
        assert _owner_call("DELETE", f"{a}/api/v1/venues/{venue.pk}/devices/{device.pk}",
                           minh.token) == 204
        refused = _seconds_until(lambda: _scan(b, venue.pk, reader) == 401)
    report(f"reader revoked ({backend})", refused_at_the_other_after_s=refused)
    assert refused is not None


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", BACKENDS)
def test_staff_removed_at_one_server_is_refused_at_the_other_and_new_staff_accepted_at_once(
        backend, venue, minh, hoa, binh, lan_person):
    one, other = _two_servers(backend)
    with one as a, other as b:
        staff_url = f"{a}/api/v1/venues/{venue.pk}/staff"
        assert _scan(b, venue.pk, f"Bearer {hoa.token}") == 201  # b caches the staff list
        assert _scan(b, venue.pk, f"Bearer {binh.token}") == 404
        assert _owner_call("POST", staff_url, minh.token,
                           json={"phone": binh.user.phone}) == 201
        added = _scan(b, venue.pk, f"Bearer {binh.token}")
        assert _owner_call("DELETE", f"{staff_url}/{quote(hoa.user.phone)}", minh.token) == 204
        refused = _seconds_until(lambda: _scan(b, venue.pk, f"Bearer {hoa.token}") == 404)
    report(f"staff removed ({backend})", refused_at_the_other_after_s=refused)
    assert added == 201
    assert refused is not None


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", BACKENDS)
def test_live_streams_of_viewers_who_lost_access_end_on_the_other_server(backend, venue, minh,
                                                                        hoa, lan_person):
    device, token = create_device(venue, "Màn hình cổng")
    one, other = _two_servers(backend)
    live_url = f"/api/v1/venues/{venue.pk}/live"
    with one as a, other as b, EventStream(a + live_url, f"Bearer {hoa.token}") as staff, \
            EventStream(a + live_url, f"Device {token}") as screen:
        assert staff.wait_for("ready") and screen.wait_for("ready"), (staff.status,
                                                                      screen.status)
        assert _scan(b, venue.pk, f"Bearer {minh.token}") == 201
        assert staff.wait_for("scan") and screen.wait_for("scan")

        removed = time.monotonic()
        assert _owner_call("DELETE", f"{b}/api/v1/venues/{venue.pk}/staff/"
                           f"{quote(hoa.user.phone)}", minh.token) == 204
        staff_ended = staff.wait_for("revoked", seconds=BOUND_SECONDS)
        revoked = time.monotonic()
        assert _owner_call("DELETE", f"{b}/api/v1/venues/{venue.pk}/devices/{device.pk}",
                           minh.token) == 204
        screen_ended = screen.wait_for("revoked", seconds=BOUND_SECONDS)
        assert _scan(b, venue.pk, f"Bearer {minh.token}") == 201
        time.sleep(0.5)
        staff_events, screen_events = staff.names(), screen.names()
    report(f"live streams after revocation ({backend})",
           staff_stream_ended_after_s=staff_ended and round(staff_ended - removed, 3),
           reader_stream_ended_after_s=screen_ended and round(screen_ended - revoked, 3))
    assert staff_events == ["ready", "scan", "revoked"], staff_events
    assert screen_events == ["ready", "scan", "revoked"], screen_events
    assert staff.ended_at is not None and screen.ended_at is not None


def test_a_live_stream_ends_when_its_viewer_is_removed(venue, minh, hoa, lan_person, settings):
    settings.PUBSUB_BACKEND = "memory"
    with thread_server() as base, \
            EventStream(f"{base}/api/v1/venues/{venue.pk}/live", f"Bearer {hoa.token}") as stream:
        assert stream.wait_for("ready"), stream.status
        assert _scan(base, venue.pk, f"Bearer {minh.token}") == 201
        assert stream.wait_for("scan")
        assert _owner_call("DELETE", f"{base}/api/v1/venues/{venue.pk}/staff/"
                           f"{quote(hoa.user.phone)}", minh.token) == 204
        ended = stream.wait_for("revoked", seconds=BOUND_SECONDS)
        assert _scan(base, venue.pk, f"Bearer {minh.token}") == 201
        time.sleep(0.3)
    assert ended is not None
    assert stream.names() == ["ready", "scan", "revoked"]
    assert stream.ended_at is not None
