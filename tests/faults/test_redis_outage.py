"""Redis stopped, frozen and restarted under the servers as deployed, each test with a Redis
(and a PostgreSQL) of its own:

- stopped or frozen: the liveness check still answers 200 at once, the readiness check
  answers a JSON 503 naming Redis within its short timeout, and a page whose figures Redis
  only caches is still served (from the database);
- restarted under an open live stream: the stream says it lost its subscription, subscribes
  again by itself, and the scans after the restart arrive on it.

The figures (seconds per answer, seconds to resubscribe) are printed, not asserted.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.faults.harness import (
    MIGRATED,
    ApiServer,
    build_world,
    own_postgres,
    own_redis,
    report,
    server_env,
)
from tests.scans.servers import EventStream, process_server

pytestmark = pytest.mark.postgres_only


def _timed(client: httpx.Client, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.get(path)
    return response, round(time.monotonic() - started, 3)


def _scan(base: str, world, index: int) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/venues/{world.venue_id}/scans",
                      json={"code": world.codes[index], "direction": "in",
                            "nonce": uuid.uuid4().hex},
                      headers={"Authorization": f"Device {world.device_token}"}, timeout=10)


def test_redis_stopped_or_frozen_leaves_liveness_up_and_readiness_names_it(tmp_path):
    with own_postgres() as pg, own_redis() as redis:
        env = server_env(pg.create_database("kd", template=MIGRATED), tmp_path, REDIS_URL=redis.url,
                         PUBSUB_BACKEND="redis")
        world = build_world(env)
        with ApiServer(env) as server, httpx.Client(base_url=server.url, timeout=10) as client:
            ready, _seconds = _timed(client, "/api/v1/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {"status": "ok", "database": True, "redis": True}
            figures = {}
            for fault, undo in (("stopped", redis.start), ("frozen", redis.thaw)):
                redis.stop() if fault == "stopped" else redis.freeze()
                health, health_s = _timed(client, "/api/v1/health")
                not_ready, ready_s = _timed(client, "/api/v1/ready")
                page, page_s = _timed(client, "/progress/")
                scan = _scan(server.url, world, 0 if fault == "stopped" else 1)
                undo()
                figures[fault] = {"health_s": health_s, "ready_s": ready_s, "page_s": page_s,
                                  "scan_status": scan.status_code}

                assert (health.status_code, health.json()) == (200, {"status": "ok"}), fault
                assert not_ready.status_code == 503, (fault, not_ready.text)
                assert not_ready.headers["Retry-After"].isdigit()
                body = not_ready.json()
                assert (body["database"], body["redis"]) == (True, False), (fault, body)
                assert body["error"]["code"] == "unavailable"
                assert body["error"]["down"] == ["redis"]
                assert "Redis" in body["error"]["message"]
                assert page.status_code == 200, (fault, page.status_code)
            back, _seconds = _timed(client, "/api/v1/ready")
        report("redis stopped and frozen", **figures)
        assert back.status_code == 200, back.text


def test_a_live_stream_subscribes_again_after_a_redis_restart(tmp_path):
    with own_postgres() as pg, own_redis() as redis:
        env = server_env(pg.create_database("kd", template=MIGRATED), tmp_path, REDIS_URL=redis.url,
                         PUBSUB_BACKEND="redis")
        world = build_world(env)
        live_env = {key: value for key, value in env.items() if key != "DATABASE_URL"}
        with ApiServer(env) as api, process_server(env["DATABASE_URL"], **live_env) as live, \
                EventStream(f"{live}/api/v1/venues/{world.venue_id}/live",
                            f"Bearer {world.owner_token}") as stream:
            assert stream.wait_for("ready", 1) is not None, stream.status
            assert _scan(api.url, world, 0).status_code == 201
            assert stream.wait_for("scan", 1) is not None, stream.names()

            stopped = time.monotonic()
            redis.stop()
            time.sleep(1)
            redis.start()
            restarted = time.monotonic()
            resubscribed = stream.wait_for("ready", 2)
            assert resubscribed is not None, stream.names()
            assert _scan(api.url, world, 1).status_code == 201
            delivered = stream.wait_for("scan", 2)
            names = stream.names()
        report("redis restart under a live stream", down_seconds=round(restarted - stopped, 2),
               resubscribed_after_restart=round(resubscribed - restarted, 2),
               events=names)
        assert names[:4] == ["ready", "scan", "lost", "ready"], names
        assert delivered is not None, names
        scans = [data for event, data, _at in stream.events if event == "scan"]
        assert scans[1]["direction"] == "in"


def test_redis_stopped_a_check_in_is_answered_and_a_logout_refused_at_once(tmp_path):
    """The check-in's Redis calls (its rate limit, the mass check-in count) fail soft: the
    check-in is answered, and the token logged out meanwhile is refused at once."""
    with own_postgres() as pg, own_redis() as redis:
        env = server_env(pg.create_database("kd", template=MIGRATED), tmp_path, REDIS_URL=redis.url,
                         PUBSUB_BACKEND="redis")
        world = build_world(env)
        headers = {"Authorization": f"Bearer {world.person_tokens[0]}"}
        with ApiServer(env) as server, httpx.Client(base_url=server.url, timeout=10,
                                                    headers=headers) as client:
            people = client.get("/api/v1/me").json()["people"]
            body = {"venue_code": world.poster_code, "person_ids": [people[0]["id"]]}
            statuses = [client.post("/api/v1/checkins", json={**body, "direction": "in"})
                        .status_code]
            redis.stop()
            statuses.append(client.post("/api/v1/checkins", json={**body, "direction": "out"})
                            .status_code)
            statuses.append(client.post("/api/v1/auth/logout").status_code)
            statuses.append(client.get("/api/v1/me").status_code)
            redis.start()
            statuses.append(client.get("/api/v1/me").status_code)
    assert statuses == [201, 201, 204, 401, 401]
