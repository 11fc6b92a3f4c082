"""What an operator reads off a running server: `/metrics` in Prometheus's format, added up
across granian's worker processes, and one JSON log event per request with its id — through
the real server (`deploy/serve-api`, two workers) on a PostgreSQL of the test's own, parsed
by the Prometheus client's own parser. Neither carries a phone or ID number."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.harness import (
    MIGRATED,
    ApiServer,
    World,
    build_world,
    manage,
    own_postgres,
    server_env,
)

pytestmark = pytest.mark.postgres_only

HEALTH_REQUESTS = 30
GOOD_SCANS = 12
# A typed phone nobody has and an ID number: both refused, both must stay out of the output.
TYPED_PHONE, TYPED_ID = "0987654321", "079203004321"
TOKEN = "scraper-token-0123456789abcdef"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Two workers answered a known mix of requests; yields the server, its world and what
    the requests answered."""
    with own_postgres() as postgres:
        data = tmp_path_factory.mktemp("data")
        env = server_env(postgres.create_database("kiemdich", template=MIGRATED), data,
                         LOG_LEVEL="INFO", LOG_FORMAT="json", SCAN_RATE_PER_MINUTE="100000",
                         METRICS_TOKEN=TOKEN)
        world = build_world(env, people=GOOD_SCANS)
        with ApiServer(env, workers=2) as server:
            # The harness asked for health until the server answered: counted from here.
            before = scrape(server)
            answers = _traffic(server, world)
            yield server, before, answers, data, env


def _traffic(server: ApiServer, world: World) -> dict[str, list[httpx.Response]]:
    reader = {"Authorization": f"Device {world.device_token}"}
    scans_url = f"{server.url}/api/v1/venues/{world.venue_id}/scans"
    answers: dict[str, list[httpx.Response]] = {"health": [], "scans": [], "manual": [],
                                                "refused": []}
    # A new connection per request: the kernel spreads them over both workers' sockets.
    for _ in range(HEALTH_REQUESTS):
        answers["health"].append(httpx.get(f"{server.url}/api/v1/health"))
    for code in world.codes:
        answers["scans"].append(httpx.post(scans_url, headers=reader, json={
            "code": code, "direction": "in", "nonce": uuid.uuid4().hex}))
    for body in ({"phone": TYPED_PHONE, "direction": "in"},
                 {"id_number": TYPED_ID, "full_name": "Nguyễn Văn A", "direction": "in"}):
        answers["manual"].append(httpx.post(scans_url, headers=reader,
                                            json={**body, "nonce": uuid.uuid4().hex}))
    for code in ("not a code at all", "https://example.com/phishing", "not a code either"):
        answers["refused"].append(httpx.post(scans_url, headers=reader, json={
            "code": code, "direction": "in", "nonce": uuid.uuid4().hex}))
    return answers


def scrape(server: ApiServer, **headers: str) -> dict[tuple[str, tuple], float]:
    response = httpx.get(f"{server.url}/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def total(samples: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return sum(value for (sample, found), value in samples.items()
               if sample == name and set(labels.items()) <= set(found))


def counted(server: ApiServer, before: dict, name: str, **labels: str) -> float:
    """How much a metric grew since the traffic began, as one scrape of the server says."""
    return total(scrape(server), name, **labels) - total(before, name, **labels)


def test_counts_add_up_across_the_worker_processes(served):
    server, before, answers, data, _env = served
    assert [r.status_code for r in answers["health"]] == [200] * HEALTH_REQUESTS
    assert [r.status_code for r in answers["scans"]] == [201] * GOOD_SCANS
    assert [r.status_code for r in answers["manual"]] == [201, 201]
    # Both workers answered some of them (each keeps its own files) ...
    files = Path(data, "metrics", f"api-{server.port}").glob("counter_*.db")
    assert len({path.stem.rsplit("_", 1)[1] for path in files}) == 2
    # ... and whichever worker answers the scrape counts every one.
    for _ in range(4):
        assert counted(server, before, "kiemdich_http_requests_total", route="api/v1/health",
                       method="GET", status="200") == HEALTH_REQUESTS
        assert counted(server, before, "kiemdich_http_request_duration_seconds_count",
                       route="api/v1/health") == HEALTH_REQUESTS
        assert counted(server, before, "kiemdich_scans_total", result="accepted",
                       method="device") == GOOD_SCANS
        assert counted(server, before, "kiemdich_scans_total", result="accepted",
                       method="manual") == 2
        # The world's venue is in a commune of province 75 (tests/fixtures).
        assert counted(server, before, "kiemdich_scans_accepted_by_province_total",
                       province="75") == GOOD_SCANS + 2


def test_refused_scans_are_counted_by_their_reason_code(served):
    server, before, answers, _data, _env = served
    assert [r.status_code for r in answers["refused"]] == [422, 422, 422]
    reasons = [r.json()["error"]["code"] for r in answers["refused"]]
    for reason in set(reasons):
        assert counted(server, before, "kiemdich_scans_total", result="refused",
                       reason=reason) == reasons.count(reason)
    assert counted(server, before, "kiemdich_scans_total", result="refused") == 3
    assert counted(server, before, "kiemdich_http_requests_total",
                   route="api/v1/venues/<venue_id>/scans", status="422") == 3


def test_metrics_only_to_the_servers_network_or_with_the_token(served):
    server, *_ = served
    # Relayed by a proxy, the request comes from the proxy's address: not trusted by it.
    relayed = httpx.get(f"{server.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert relayed.status_code == 403
    assert "kiemdich_" not in relayed.text
    wrong = httpx.get(f"{server.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9",
                                                        "Authorization": "Bearer guess"})
    assert wrong.status_code == 403
    assert total(scrape(server, **{"X-Forwarded-For": "203.0.113.9",
                                   "Authorization": f"Bearer {TOKEN}"}),
                 "kiemdich_scans_total", result="accepted") == GOOD_SCANS + 2


def test_no_phone_or_id_number_in_a_label_or_a_log_line(served):
    server, *_ = served
    output = httpx.get(f"{server.url}/metrics").text + server.log.read_text()
    phones = [TYPED_PHONE, "0913000001", *(f"09140{n:05d}" for n in range(GOOD_SCANS))]
    assert TYPED_ID not in output
    for phone in phones:
        # The national number without its 0 is in every written form (+84…, 84…, 0…).
        assert phone[1:] not in output


def test_one_json_log_event_per_request_with_the_id_it_answered(served):
    server, *_ = served
    mine = httpx.get(f"{server.url}/api/v1/health", headers={"X-Request-ID": "gate-7-abcdef"})
    forged = httpx.get(f"{server.url}/api/v1/health",
                       headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert mine.headers["X-Request-ID"] == "gate-7-abcdef"
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    events = [json.loads(line) for line in server.log.read_text().splitlines()
              if line.startswith("{")]
    requests = [e for e in events if e["logger"] == "kiemdich.request"]
    by_id = {e["request_id"]: e for e in requests}
    assert by_id["gate-7-abcdef"]["route"] == "api/v1/health"
    assert by_id["gate-7-abcdef"]["status"] == 200
    assert by_id["gate-7-abcdef"]["duration_ms"] > 0
    assert forged.headers["X-Request-ID"] in by_id
    # One event per request: the harness's start, the traffic and these two, each once.
    assert len(requests) == len(by_id)
    health = [e for e in requests if e["route"] == "api/v1/health"]
    assert len(health) == 1 + HEALTH_REQUESTS + 2


def test_the_signing_keys_age_and_a_rotation_are_read_from_the_database(served):
    server, *_rest, env = served
    before = scrape(server)
    assert total(before, "kiemdich_signing_keys_verifying") == 1
    age = total(before, "kiemdich_signing_key_age_seconds")
    assert 0 <= age < 3600
    manage(env, "signing_keys", "rotate")
    after = scrape(server)
    # The new key signs (younger than the old one); the old one verifies until its codes expire.
    assert total(after, "kiemdich_signing_keys_verifying") == 2
    assert 0 <= total(after, "kiemdich_signing_key_age_seconds") < age
