"""The one-code-per-place rule holds when registrations race (the database decides)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from kiemdich.venues.models import Venue
from tests.conftest import client_for
from tests.venues.conftest import place


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_ten_owners_registering_one_place_at_once_make_one_venue(areas):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    clients = [client_for(f"09120001{n:02d}") for n in range(10)]
    statuses: list[int] = []
    codes: list[str] = []
    barrier = threading.Barrier(len(clients))

    def register(client) -> None:
        barrier.wait()
        try:
            response = client.post("/api/v1/venues", place())
            statuses.append(response.status_code)
            codes.append(response.json().get("error", {}).get("code", "created"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 9
    assert codes.count("venue_duplicate") == 9
    assert Venue.objects.count() == 1
