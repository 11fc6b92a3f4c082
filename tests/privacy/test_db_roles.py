"""The application as a PostgreSQL role that can only INSERT and SELECT the audit trail, on a
PostgreSQL server of its own: `setup_db_roles` from the administrator's connection, the
migrations as the owner role, the API server as the app role writing audit entries over
HTTP; then, as the app role (a real login of its own), every way of rewriting the trail is
refused, and as the owner the triggers still refuse UPDATE, DELETE and TRUNCATE."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.faults.harness import MIGRATED, ApiServer, manage, own_postgres, server_env

pytestmark = pytest.mark.postgres_only

OWNER, APP = "kd_owner", "kd_app"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    with own_postgres() as postgres:
        admin_url = postgres.create_database("kiemdich", template=MIGRATED)
        data = tmp_path_factory.mktemp("data")
        admin = server_env(admin_url, data)
        manage(admin, "migrate", "--noinput")
        print(manage(admin, "setup_db_roles", "--owner", OWNER, "--app", APP).strip())
        owner = server_env(postgres.url("kiemdich").replace("postgres@", f"{OWNER}@"), data)
        app = server_env(postgres.url("kiemdich").replace("postgres@", f"{APP}@"), data)
        # An audited action, so the trail has an entry for the row triggers to guard
        # whichever test runs first (the tests of this module may run on several workers).
        manage(owner, "signing_keys", "rotate")
        yield postgres, admin, owner, app


def _connect(postgres, role: str) -> psycopg.Connection:
    return psycopg.connect(postgres.url("kiemdich").replace("postgres@", f"{role}@"),
                           autocommit=True)


def test_migrations_run_as_the_owner_and_the_app_writes_the_trail_over_http(deployment):
    postgres, _admin, owner, app = deployment
    manage(owner, "migrate", "--noinput")  # nothing to do, but as the owner: it may
    with ApiServer(app, workers=1) as server:
        sent = httpx.post(f"{server.url}/api/v1/auth/otp", json={"phone": "0912345670"})
        outbox = Path(app["KIEMDICH_DATA_DIR"]) / "sms-outbox.jsonl"
        code = re.search(r"\b(\d{6})\b", outbox.read_text().splitlines()[-1]).group(1)
        wrong = httpx.post(f"{server.url}/api/v1/auth/token", json={
            "phone": "0912345670", "code": "000000" if code != "000000" else "111111"})
    assert sent.status_code == 202
    assert wrong.json()["error"]["code"] == "otp_invalid"
    with _connect(postgres, APP) as connection:
        actions = [row[0] for row in connection.execute(
            "SELECT action FROM privacy_auditentry ORDER BY id").fetchall()]
    assert "login_failed" in actions
    print(manage(owner, "verify_audit").strip())


@pytest.mark.parametrize("statement, refusal", [
    ("UPDATE privacy_auditentry SET reason = 'x'", "permission denied"),
    ("DELETE FROM privacy_auditentry", "permission denied"),
    ("TRUNCATE privacy_auditentry", "permission denied"),
    ("ALTER TABLE privacy_auditentry DISABLE TRIGGER USER", "must be owner"),
    ("SET session_replication_role = replica", "permission denied"),
    ("DROP TABLE privacy_auditentry", "must be owner"),
])
def test_the_app_role_cannot_rewrite_the_trail(deployment, statement, refusal):
    postgres = deployment[0]
    with _connect(postgres, APP) as connection, \
            pytest.raises(psycopg.errors.InsufficientPrivilege, match=refusal):
        connection.execute(statement)


def test_the_app_role_appends_and_reads_the_trail_and_writes_the_data(deployment):
    postgres = deployment[0]
    with _connect(postgres, APP) as connection:
        connection.execute("UPDATE people_person SET full_name = full_name")
        assert connection.execute("SELECT has_table_privilege('privacy_auditentry', "
                                  "'INSERT')").fetchone() == (True,)
        privileges = connection.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE table_name = 'privacy_auditentry' AND grantee = %s ORDER BY 1",
            [APP]).fetchall()
    assert [row[0] for row in privileges] == ["INSERT", "SELECT"]


@pytest.mark.parametrize("statement", [
    "UPDATE privacy_auditentry SET reason = 'x'",
    "DELETE FROM privacy_auditentry",
    "TRUNCATE privacy_auditentry",
])
def test_even_the_owner_meets_the_triggers(deployment, statement):
    postgres = deployment[0]
    with _connect(postgres, OWNER) as connection, \
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        connection.execute(statement)


def test_setting_up_the_roles_again_changes_nothing(deployment):
    _postgres, admin, _owner, _app = deployment
    assert "0 relations and 0 functions handed over" in manage(
        admin, "setup_db_roles", "--owner", OWNER, "--app", APP)
