"""PostgreSQL going away under a steady load of reader scans, against the API server as
deployed (granian, the connection pool on), each test with a PostgreSQL of its own:

- restarted: once it is back no request fails (the pool's check replaces the connections
  PostgreSQL closed);
- stopped: every request answers a JSON 503 `unavailable` with `Retry-After` at once (a
  reader's client waits 2 s at most here), pages a short 503 page, never HTML under /api/;
  once it starts again the scans are accepted again;
- in both, every acknowledged scan is in the database exactly once.

The figures (answers by status, seconds to recover) are printed, not asserted.
"""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest

from tests.faults.harness import (
    MIGRATED,
    ApiServer,
    ScanLoad,
    build_world,
    own_postgres,
    report,
    server_env,
)

pytestmark = pytest.mark.postgres_only


def _assert_nothing_acknowledged_was_lost(pg, database: str, load: ScanLoad) -> None:
    # The database is this test's own: every scan in it came from the load.
    stored = Counter(pg.sql("SELECT nonce FROM scans_scan WHERE nonce IS NOT NULL",
                            database).split())
    acknowledged = [a.nonce for a in load.acknowledged()]
    assert acknowledged, "the load had no acknowledged scan"
    assert all(stored[n] == 1 for n in acknowledged), \
        [n for n in acknowledged if stored[n] != 1][:5]


def _by_status(answers) -> dict:
    return dict(sorted(Counter(a.status for a in answers).items()))


def _first_recovered(answers, since: float) -> float | None:
    """When the first of the answers that all succeeded from then on was sent."""
    after = [a for a in answers if a.at >= since]
    for index, answer in enumerate(after):
        if all(a.status == 201 for a in after[index:]):
            return answer.at
    return None


def test_a_restart_under_load_fails_no_request_once_postgresql_is_back(tmp_path):
    with own_postgres() as pg:
        env = server_env(pg.create_database("kd", template=MIGRATED), tmp_path)
        world = build_world(env)
        with ApiServer(env) as server, ScanLoad(server.url, world, rate=40) as load:
            time.sleep(3)  # every pooled connection in use by now
            down = time.monotonic()
            pg.restart()
            back = time.monotonic()
            time.sleep(5)
        during = [a for a in load.answers if down <= a.at < back]
        after = [a for a in load.answers if a.at >= back]
        report("postgresql restart", restart_seconds=round(back - down, 2),
               during=_by_status(during), after=_by_status(after),
               longest_gap=round(load.longest_gap(), 2))
        assert after and all(a.status == 201 for a in after), _by_status(after)
        # What a restart interrupts is refused as unavailable, never a server error.
        assert all(a.status in (201, 503) for a in during), _by_status(during)
        _assert_nothing_acknowledged_was_lost(pg, "kd", load)


def test_postgresql_stopped_answers_json_503_at_once_then_recovers(tmp_path):
    with own_postgres() as pg:
        env = server_env(pg.create_database("kd", template=MIGRATED), tmp_path)
        world = build_world(env)
        # A request finds the pool empty and waits its timeout (DB_POOL_TIMEOUT, 1 s) before
        # its 503 (the report's slowest_503); the clients give it ten times that before
        # calling it a hang, as a loaded CI machine can add seconds of queueing to each.
        with ApiServer(env) as server, ScanLoad(server.url, world, rate=20,
                                                timeout=10) as load:
            time.sleep(2)
            pg.stop()
            stopped = time.monotonic()
            time.sleep(3)
            with httpx.Client(base_url=server.url, timeout=10) as client:
                api = client.get("/api/v1/me",
                                 headers={"Authorization": f"Bearer {world.owner_token}"})
                page = client.get("/progress/")
            starting = time.monotonic()
            pg.start()
            started = time.monotonic()
            deadline = started + 30
            while time.monotonic() < deadline and _first_recovered(load.answers, started) is None:
                time.sleep(0.5)
            time.sleep(2)
        # Answered while it was down: a request that waited in the server's queue until
        # PostgreSQL came back (a loaded machine) rightly got its 201.
        while_down = [a for a in load.answers
                      if stopped + 0.5 <= a.at and a.at + a.seconds < starting]
        recovered = _first_recovered(load.answers, started)
        report("postgresql stopped", while_down=_by_status(while_down),
               slowest_503=round(max((a.seconds for a in while_down), default=0), 2),
               seconds_to_recover=round(recovered - started, 2) if recovered else None)

        assert while_down and all(a.status == 503 for a in while_down), _by_status(while_down)
        for answer in while_down:
            assert answer.body["error"]["code"] == "unavailable"
        assert api.status_code == 503 and api.headers["Retry-After"].isdigit()
        assert api.headers["Content-Type"].startswith("application/json")
        assert api.json()["error"]["code"] == "unavailable"
        assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
        assert page.headers["Content-Type"].startswith("text/html")
        # The page names its request, as the log lines of it do: a complaint can be found.
        assert page.headers["X-Request-ID"] in page.text
        assert api.headers["X-Request-ID"] != page.headers["X-Request-ID"]
        assert recovered is not None, _by_status(a for a in load.answers if a.at >= started)
        _assert_nothing_acknowledged_was_lost(pg, "kd", load)
