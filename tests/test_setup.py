"""The `make run` steps on a fresh SQLite database, and the production server answering."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE")}
    env.update({"KIEMDICH_DATA_DIR": str(data_dir), "DEBUG": "1", **extra})
    return env


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(settings.IS_POSTGRES, reason="make run uses SQLite: the SQLite pass runs it")
def test_make_run_steps_work_on_a_fresh_sqlite_database_and_serve(tmp_path):
    port = _free_port()
    # `make run PORT=…` exports the port: what is printed and encoded follows it.
    env = _env(tmp_path, PORT=str(port))
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_areas")
    first = _manage(env, "seed_demo")
    assert "0900000001" in first and f"Open http://127.0.0.1:{port}/ " in first
    poster = _manage(env, "shell", "-c", "from kiemdich.venues.models import Venue;"
                     "print(Venue.objects.order_by('pk').first().checkin_url)")
    assert poster.splitlines()[-1].startswith(f"http://127.0.0.1:{port}/v/")
    _manage(env, "seed_demo")  # idempotent: a second run neither fails nor duplicates
    _manage(env, "collectstatic", "--noinput")
    assert (tmp_path / "kiemdich.sqlite3").exists()

    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "kiemdich.asgi:application", "--host", "127.0.0.1",
         "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        statuses = {}
        for path in ("/", "/api/v1/openapi.json", "/accounts/login/"):
            statuses[path] = _get_when_up(f"http://127.0.0.1:{port}{path}")
        assert statuses == {"/": 200, "/api/v1/openapi.json": 200, "/accounts/login/": 200}
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get_when_up(url: str) -> int:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                return response.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("secret",
                         ["", "short", "insecure-development-key-do-not-use-in-production"])
def test_it_refuses_to_start_without_a_real_secret_key_when_debug_is_off(tmp_path, secret):
    env = _env(tmp_path, DEBUG="0", SECRET_KEY=secret)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("key", ["", "short"])
def test_it_refuses_to_start_without_a_real_audit_key_when_debug_is_off(tmp_path, key):
    env = _env(tmp_path, DEBUG="0", SECRET_KEY="x" * 50, AUDIT_KEY=key)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "AUDIT_KEY" in result.stderr


@pytest.mark.parametrize("kek", ["", "short", "x" * 50,
                                 "insecure-development-key-encryption-key-do-not-use"])
def test_it_refuses_to_start_without_a_real_key_encryption_key_when_debug_is_off(tmp_path, kek):
    # "x" * 50 is the secret key here: the two must differ.
    env = _env(tmp_path, DEBUG="0", SECRET_KEY="x" * 50, KEY_ENCRYPTION_KEY=kek)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "KEY_ENCRYPTION_KEY" in result.stderr


def _public_base_url(env: dict) -> str:
    code = "from django.conf import settings as s;print(s.PUBLIC_BASE_URL)"
    result = subprocess.run([sys.executable, "-c", f"import django;django.setup();{code}"],
                            cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "kiemdich.settings"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


def test_the_public_url_follows_the_port_served_unless_it_is_set(tmp_path):
    env = {k: v for k, v in _env(tmp_path).items() if k not in ("PORT", "PUBLIC_BASE_URL")}
    assert _public_base_url(env) == "http://127.0.0.1:8000"
    assert _public_base_url({**env, "PORT": "9123"}) == "http://127.0.0.1:9123"
    assert _public_base_url({**env, "PORT": "9123",
                             "PUBLIC_BASE_URL": "https://kiemdich.example.vn/"}) \
        == "https://kiemdich.example.vn"


def test_production_settings_turn_on_browser_protections(tmp_path):
    env = _env(tmp_path, DEBUG="0", SECRET_KEY="x" * 50)
    code = ("from django.conf import settings as s;"
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)")
    result = subprocess.run([sys.executable, "-c", f"import django;django.setup();{code}"],
                            cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "kiemdich.settings"},
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["True", "True", "True"], result.stderr


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_oversized_bodies_are_refused_with_413(client, settings):
    response = client.post("/api/v1/auth/otp", data="x" * (settings.MAX_BODY_BYTES + 1),
                           content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
