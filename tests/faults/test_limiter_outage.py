"""Redis stopped and frozen under the API server as deployed, with the rate limits in Redis:
scans and logins answer as usual, the limits still hold (counted in each server process), the
fallback is logged and counted, and the limits go back to Redis once it answers.

The figures (answers by status, seconds per answer) are printed, not asserted.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

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

pytestmark = pytest.mark.postgres_only


def _scan(client: httpx.Client, world, index: int) -> httpx.Response:
    return client.post(f"/api/v1/venues/{world.venue_id}/scans",
                       json={"code": world.codes[index % len(world.codes)], "direction": "in",
                             "nonce": uuid.uuid4().hex},
                       headers={"Authorization": f"Device {world.device_token}"})


def _last_code(outbox: Path, phone: str) -> str:
    for line in reversed(outbox.read_text("utf-8").splitlines()):
        message = json.loads(line)
        if message["phone"] == phone:
            return re.search(r"\b(\d{6})\b", message["text"]).group(1)
    raise AssertionError(f"no code sent to {phone}")


def _login(client: httpx.Client, outbox: Path, phone: str) -> tuple[int, int, int]:
    """(code request, a second request at once, the code exchanged for a token)."""
    asked = client.post("/api/v1/auth/otp", json={"phone": phone}).status_code
    again = client.post("/api/v1/auth/otp", json={"phone": phone}).status_code
    e164 = "+84" + phone[1:]
    token = client.post("/api/v1/auth/token",
                        json={"phone": phone, "code": _last_code(outbox, e164)}).status_code
    return asked, again, token


def _fallbacks(client: httpx.Client) -> float:
    text = client.get("/metrics").text
    found = re.search(r"^kiemdich_rate_limit_fallbacks_total (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_scans_and_logins_answer_while_redis_is_stopped_or_frozen(tmp_path):
    with own_postgres() as pg, own_redis() as redis:
        env = server_env(pg.create_database("kd", template=MIGRATED), tmp_path, REDIS_URL=redis.url)
        world = build_world(env)
        outbox = tmp_path / "sms-outbox.jsonl"
        figures = {}
        # One worker: the limits counted in the process are all in that one.
        with ApiServer(env, workers=1) as server, \
                httpx.Client(base_url=server.url, timeout=15) as client:
            assert _scan(client, world, 0).status_code == 201
            assert _login(client, outbox, "0915000000") == (202, 429, 200)
            for n, (fault, undo) in enumerate((("stopped", redis.start),
                                               ("frozen", redis.thaw)), start=1):
                redis.stop() if fault == "stopped" else redis.freeze()
                started = time.monotonic()
                scans = [_scan(client, world, i).status_code for i in range(5)]
                login = _login(client, outbox, f"09150000{n:02d}")
                seconds = round(time.monotonic() - started, 2)
                fallbacks = _fallbacks(client)
                undo()
                time.sleep(6)  # past RATE_LIMIT_REDIS_RETRY_SECONDS: Redis is asked again
                assert _scan(client, world, 9).status_code == 201
                figures[fault] = {"scans": scans, "login": login, "seconds": seconds,
                                  "fallbacks": fallbacks}
                assert scans == [201] * 5, (fault, scans)
                # The second request at once is refused: the limits hold in the process.
                assert login == (202, 429, 200), (fault, login)
                assert fallbacks > 0, fault
            assert _login(client, outbox, "0915000099") == (202, 429, 200)
        log = server.log.read_text()
        report("rate limits with redis stopped and frozen", **figures)
        assert "rate limits counted in this process" in log
        assert log.count("rate limits counted in Redis again") == 2
        assert "Traceback" not in log
