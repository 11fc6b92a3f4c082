"""The live feed through real servers: Server-Sent Events with the person masked as the venue
may see them, in one process (memory) and across two processes (PostgreSQL, Redis)."""

from __future__ import annotations

import time

import httpx
import pytest
from django.db import connection

from kiemdich.core.pubsub import broker, venue_channel
from kiemdich.privacy.models import AuditEntry
from kiemdich.scans.access import forget
from tests.scans.servers import first_scan_event, process_server, shared_database_url, thread_server

pytestmark = pytest.mark.django_db(transaction=True)


def _eventually(check, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def post_scan(base: str, token: str, venue_id: int, **body) -> None:
    response = httpx.post(f"{base}/api/v1/venues/{venue_id}/scans",
                          json={"direction": "in", **body},
                          headers={"Authorization": f"Bearer {token}"}, timeout=20)
    assert response.status_code == 201, response.text


def test_an_entry_reaches_the_live_stream_masked(venue, minh, hoa, lan_person, settings):
    settings.PUBSUB_BACKEND = "memory"
    with thread_server() as base:
        event = first_scan_event(
            f"{base}/api/v1/venues/{venue.pk}/live", minh.token,
            lambda: post_scan(base, hoa.token, venue.pk, phone="0912000001"))
        # Closing the stream ends the subscription (the server notices the disconnect).
        assert _eventually(lambda: not broker()._subscribers.get(venue_channel(venue.pk)))
    assert event["direction"] == "in" and event["visit"] == "opened"
    assert event["person"]["display_name"] == "Nguyễn T** L**"
    assert event["person"]["phone"] == "091****001" and event["person"]["masked"] is True
    assert event["at"]


def test_a_special_venue_streams_full_data_and_audits_the_viewer(hospital, minh, lan_person,
                                                                settings):
    settings.PUBSUB_BACKEND = "memory"
    with thread_server() as base:
        event = first_scan_event(
            f"{base}/api/v1/venues/{hospital.pk}/live", minh.token,
            lambda: post_scan(base, minh.token, hospital.pk, phone="0912000001"))
    assert event["person"]["display_name"] == "Nguyễn Thị Lan"
    assert event["person"]["masked"] is False
    assert AuditEntry.objects.filter(action="view_live_full").exists()


def test_only_the_venues_people_may_watch(venue, binh, anon):
    with thread_server() as base:
        url = f"{base}/api/v1/venues/{venue.pk}/live"
        assert httpx.get(url, headers={"Authorization": f"Bearer {binh.token}"},
                         timeout=10).status_code == 404
        assert httpx.get(url, timeout=10).status_code == 401


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", ["postgres", "redis"])
def test_the_stream_crosses_server_processes(backend, venue, minh, hoa, lan_person):
    if connection.vendor != "postgresql":
        pytest.skip("two processes share a PostgreSQL database")
    database_url = shared_database_url()
    forget()
    with process_server(database_url, PUBSUB_BACKEND=backend) as watcher, \
            process_server(database_url, PUBSUB_BACKEND=backend) as scanner:
        event = first_scan_event(
            f"{watcher}/api/v1/venues/{venue.pk}/live", minh.token,
            lambda: post_scan(scanner, hoa.token, venue.pk, phone="0912000001"))
    assert event["person"]["display_name"] == "Nguyễn T** L**"
    assert event["direction"] == "in"


def test_the_stream_says_ready_then_keeps_the_connection_alive_with_comments(settings):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from kiemdich.scans.live import event_stream

    settings.PUBSUB_BACKEND = "memory"

    async def first_chunks() -> list[str]:
        async def allowed() -> bool:
            return True

        stream = event_stream(1, allowed, heartbeat=0.05)
        chunks = [await anext(stream) for _ in range(3)]
        await stream.aclose()
        return chunks

    # In a thread of its own: a browser test may have left an event loop on this one.
    with ThreadPoolExecutor(1) as pool:
        ready, *beats = pool.submit(asyncio.run, first_chunks()).result()
    assert "event: ready" in ready
    assert beats == [": heartbeat\n\n", ": heartbeat\n\n"]


@pytest.mark.django_db
def test_a_wsgi_server_refuses_the_stream_instead_of_hanging(venue, minh):
    response = minh.get(f"/api/v1/venues/{venue.pk}/live")
    assert (response.status_code, response.json()["error"]["code"]) == (503, "live_needs_asgi")
