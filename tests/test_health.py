"""Liveness and readiness through the API, and the shared cache failing soft: with Redis
configured but not answering (a port nobody listens on), liveness still answers 200, readiness
answers a JSON 503 naming Redis, and the public progress page (whose figures Redis only
caches) is served from the database."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.scans.servers import free_port

pytestmark = pytest.mark.django_db


def _dead_redis() -> override_settings:
    url = f"redis://127.0.0.1:{free_port()}/0"
    return override_settings(
        REDIS_URL=url, PUBSUB_BACKEND="redis",
        CACHES={"default": {"BACKEND": "kiemdich.core.redis_client.RedisCache",
                            "LOCATION": url, "OPTIONS": {"socket_connect_timeout": 0.25,
                                                         "socket_timeout": 0.25}}})


def test_liveness_and_readiness_answer_ok_when_every_part_answers(anon):
    assert anon.get("/api/v1/health").json() == {"status": "ok"}
    ready = anon.get("/api/v1/ready")
    # This suite's settings use no Redis: it is not checked.
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": True,
                                                       "redis": None})


def test_readiness_names_redis_when_it_does_not_answer_and_liveness_stays_up(anon):
    with _dead_redis():
        health = anon.get("/api/v1/health")
        ready = anon.get("/api/v1/ready", HTTP_ACCEPT_LANGUAGE="en")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit()
    body = ready.json()
    assert (body["status"], body["database"], body["redis"]) == ("unavailable", True, False)
    assert body["error"]["code"] == "unavailable" and body["error"]["down"] == ["redis"]
    assert body["error"]["message"] == "Not ready: cannot reach Redis."


def test_readiness_names_the_database_when_it_does_not_answer(anon, monkeypatch):
    # The probe is what is replaced (a PostgreSQL that is away: tests/faults); the answer is
    # the API's. Its part's name is a translated string, joined into the message.
    monkeypatch.setattr("kiemdich.readiness.database_answers", lambda: False)
    ready = anon.get("/api/v1/ready", HTTP_ACCEPT_LANGUAGE="vi")
    assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit()
    body = ready.json()
    assert (body["status"], body["database"]) == ("unavailable", False)
    assert body["error"]["down"] == ["database"]
    assert body["error"]["message"] == (
        "Máy chủ chưa sẵn sàng: không kết nối được cơ sở dữ liệu.")


def test_readiness_is_in_the_api_document(anon):
    operation = anon.get("/api/v1/openapi.json").json()["paths"]["/api/v1/ready"]["get"]
    assert {"200", "503"} <= set(operation["responses"])


def test_a_page_cached_in_redis_is_served_from_the_database_without_it(anon, areas):
    with _dead_redis():
        page = anon.get("/progress/")
    assert page.status_code == 200
    assert areas["75"].name in page.content.decode()
