"""SMS through the job queue, as deployed: the API server queues each message, a real worker
delivers it to a real HTTP gateway (a server of the test's) that fails each message three
times before accepting it. Each message arrives exactly once, with the same idempotency key
on every attempt, and the codes it carried log in; a message the gateway refuses for good
is given up at once, not retried."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.faults.harness import ApiServer, build_world, report, server_env
from tests.jobs.harness import Worker, job_database, probe, wait_for

FAILURES = 3
REFUSED_PHONE = "+84912000099"


class FlakyGateway:
    """An SMS provider's HTTP API that answers 503 to the first FAILURES attempts at each
    message (told apart by their Idempotency-Key), then 200; 400 for REFUSED_PHONE."""

    def __init__(self) -> None:
        self.attempts: dict[str, list[int]] = defaultdict(list)  # key -> statuses answered
        self.accepted: list[dict] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                with gateway.lock:
                    if self.headers.get("Authorization") != "Bearer gw-token" or not key:
                        status = 401
                    elif body["to"] == REFUSED_PHONE:
                        status = 400
                    elif len(gateway.attempts[key]) < FAILURES:
                        status = 503
                    else:
                        status = 200
                        gateway.accepted.append({"key": key, **body})
                    gateway.attempts[key].append(status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    server = FlakyGateway()
    yield server
    server.close()


def test_a_gateway_failing_three_times_gets_each_message_once(tmp_path, gateway):
    phones = ["0912000011", "0912000012", "0912000013"]
    with job_database(tmp_path) as url:
        env = server_env(url, tmp_path, SMS_BACKEND="http", SMS_HTTP_URL=gateway.url,
                         SMS_HTTP_TOKEN="gw-token", SMS_SEND_NOW="0",
                         SMS_RETRY_BASE_SECONDS="1", PROBE_DIR=str(tmp_path))
        build_world(env, people=1)
        with ApiServer(env, workers=1) as server, Worker(env) as worker, \
                httpx.Client(base_url=server.url, timeout=10) as client:
            asked = time.monotonic()
            for phone in [*phones, "0" + REFUSED_PHONE[3:]]:
                answer = client.post("/api/v1/auth/otp", json={"phone": phone})
                assert answer.status_code == 202, answer.text
            wait_for(lambda: len(gateway.accepted) == len(phones), 120, (worker,),
                     "every code accepted by the gateway")
            delivered_in = time.monotonic() - asked
            # Nothing of the messages is left on the queue: no later attempt can come.
            wait_for(lambda: all(m["status"] != "pending" for m in probe(env, "sms")), 60,
                     (worker,), "no message pending")
            wait_for(lambda: probe(env, "state")["queued"] == 0, 60, (worker,),
                     "an empty queue")
            outbox = {m["id"]: m for m in probe(env, "sms")}
            for sms in gateway.accepted:
                code = sms["text"].split(": ")[1][:6]
                answer = client.post("/api/v1/auth/token", json={"phone": sms["to"],
                                                                 "code": code})
                assert answer.status_code == 200, answer.text

    assert sorted(s["to"] for s in gateway.accepted) == ["+84" + p[1:] for p in phones]
    accepted_keys = [s["key"] for s in gateway.accepted]
    assert len(set(accepted_keys)) == len(phones)
    for key in accepted_keys:
        assert gateway.attempts[key] == [503] * FAILURES + [200]
        assert outbox[key]["status"] == "sent"
        assert outbox[key]["attempts"] == FAILURES + 1
        assert outbox[key]["text"] == ""  # the code is not kept once sent
    refused = [m for m in outbox.values() if m["phone"] == REFUSED_PHONE]
    assert len(refused) == 1
    assert refused[0]["status"] == "failed" and refused[0]["attempts"] == 1
    assert gateway.attempts[refused[0]["id"]] == [400]
    assert set(gateway.attempts) == set(outbox)
    report("sms through a failing gateway", messages=len(phones), failures_each=FAILURES,
           seconds_to_all_delivered=round(delivered_in, 1))
