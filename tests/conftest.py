"""Shared fixtures: personas, API clients with real tokens, the SMS outbox, a small area tree.

Personas follow the people of the platform: Lan (citizen), Minh (venue owner), Hoa (staff),
Tuan (district officer), Mai (health officer), and officers of other areas to prove scopes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import hypothesis
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from kiemdich.accounts.auth import issue_token
from kiemdich.accounts.models import Role
from kiemdich.accounts.services import account_for_phone, grant_role
from kiemdich.areas.services import file_tree, load_tree
from kiemdich.people.keys import stored_keyring

FIXTURES = Path(__file__).parent / "fixtures"
# tests/cluster/ starts a whole cluster of its own (etcd, Patroni, HAProxy, app servers):
# `make test-cluster` runs it, apart from the suite.
collect_ignore = [] if os.environ.get("CLUSTER_TESTS") == "1" else ["cluster"]


def _flush_past_the_audit_guard() -> None:
    """Between transactional tests Django empties every table with one TRUNCATE, which the
    audit trail's guard on PostgreSQL refuses (privacy migration 0004). The test database's
    owner lifts the guard for that statement only, inside the flush's own transaction."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = flush(self, style, tables, reset_sequences=reset_sequences,
                           allow_cascade=allow_cascade)
        if "privacy_auditentry" not in tables or not statements:
            return statements
        table = "ALTER TABLE privacy_auditentry {} TRIGGER privacy_audit_no_truncate"
        return [table.format("DISABLE"), *statements, table.format("ENABLE")]

    DatabaseOperations.sql_flush = sql_flush


def pytest_configure(config) -> None:
    _flush_past_the_audit_guard()
    # CI (a fresh clone, no example database) tries the property tests on the same examples
    # each run, so a red CI is a change's doing, never a draw's; elsewhere they draw anew.
    # The "too slow" health check times how fast examples are drawn: on a loaded machine it
    # failed a test for the machine's speed (tests time nothing), not for the code's doing.
    everywhere = hypothesis.settings(
        suppress_health_check=[hypothesis.HealthCheck.too_slow])
    hypothesis.settings.register_profile("kiemdich", everywhere)
    hypothesis.settings.register_profile("ci", everywhere, derandomize=True, database=None)
    hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "kiemdich")


# What a test module's names come from when its tests start real processes (servers, job
# workers, PostgreSQL and Redis of their own, Chromium, `make`): tens of seconds to minutes a
# test, against a fraction of a second for most of the others.
_PROCESS_SOURCES = {"subprocess", "playwright.sync_api", "tests.faults.harness",
                    "tests.jobs.harness", "tests.scans.servers"}
_DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


def _starts_processes_without_the_database(item) -> bool:
    if item.get_closest_marker("django_db") or _DATABASE_FIXTURES & set(item.fixturenames):
        return False  # pytest-django's order of database tests stands (transactional last)
    names = vars(getattr(item, "module", None) or object)
    return any(getattr(value, "__module__", None) in _PROCESS_SOURCES
               or getattr(value, "__name__", None) in _PROCESS_SOURCES
               for value in names.values())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items) -> None:
    """The tests that start processes and need no test database go first (pytest-django put
    them last): the two xdist workers share them out while the quick tests are still there to
    even out their ends, rather than one worker ending on a minutes-long test alone."""
    items.sort(key=lambda item: not _starts_processes_without_the_database(item))


def pytest_runtest_setup(item) -> None:
    if item.get_closest_marker("postgres_only") and not settings.IS_POSTGRES:
        pytest.skip("needs PostgreSQL (run by the PostgreSQL pass of make test)")


@pytest.fixture(autouse=True)
def _isolation(tmp_path, settings):
    """Each test gets its own SMS outbox, signing keys (its database's), audit anchor file
    and an empty rate-limit cache."""
    settings.SMS_OUTBOX = tmp_path / "sms-outbox.jsonl"
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.jsonl"
    stored_keyring().forget()
    cache.clear()
    yield
    cache.clear()
    stored_keyring().forget()


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines()]

    def last_code(self, phone: str) -> str:
        for message in reversed(self.messages()):
            if message["phone"] == phone:
                match = re.search(r"\b(\d{6})\b", message["text"])
                if match:
                    return match.group(1)
        raise AssertionError(f"no code sent to {phone}")


@pytest.fixture
def outbox() -> Outbox:
    return Outbox(settings.SMS_OUTBOX)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def areas(db):
    """A small three-level tree (pre-2025 shape): two districts, four communes."""
    load_tree(file_tree(FIXTURES / "areas-3level.json"))
    from kiemdich.areas.models import Area

    return {a.code: a for a in Area.objects.all()}


class ApiClient(Client):
    """A test client that speaks JSON and carries a bearer token."""

    def __init__(self, token: str | None = None, **kw) -> None:
        super().__init__(**kw)
        self.token = token

    def _auth(self, extra: dict) -> dict:
        if self.token and "HTTP_AUTHORIZATION" not in extra:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return extra

    def get(self, path, data=None, **extra):
        return super().get(path, data, **self._auth(extra))

    def delete(self, path, data="", **extra):
        return super().delete(path, data, **self._auth(extra))

    def post(self, path, data=None, **extra):
        return super().post(path, json.dumps(data if data is not None else {}),
                            content_type="application/json", **self._auth(extra))

    def patch(self, path, data=None, **extra):
        return super().patch(path, json.dumps(data or {}), content_type="application/json",
                             **self._auth(extra))

    def put(self, path, data=None, **extra):
        return super().put(path, json.dumps(data or {}), content_type="application/json",
                           **self._auth(extra))


@pytest.fixture
def anon() -> ApiClient:
    return ApiClient()


def client_for(phone: str) -> ApiClient:
    user = account_for_phone(phone)
    token, _ = issue_token(user)
    client = ApiClient(token)
    client.user = user
    return client


@pytest.fixture
def make_client(db):
    return client_for


@pytest.fixture
def lan(db) -> ApiClient:
    """A citizen."""
    return client_for("0912000001")


@pytest.fixture
def minh(db) -> ApiClient:
    """A venue owner."""
    return client_for("0912000002")


@pytest.fixture
def binh(db) -> ApiClient:
    """Another venue owner."""
    return client_for("0912000003")


@pytest.fixture
def hoa(db) -> ApiClient:
    """A phone that Minh authorises as staff."""
    return client_for("0912000004")


def officer(phone: str, role: str, area=None, sector: str = "") -> ApiClient:
    grant_role(phone, role, area, sector)
    return client_for(phone)


@pytest.fixture
def make_officer(db):
    return officer


@pytest.fixture
def admin_client(db) -> ApiClient:
    return officer("0912000099", Role.ADMIN)


def run_queued_tasks() -> list[str]:
    """Run the long tasks waiting for a worker, in this process, for tests of what a task
    does (the worker's own process is tested in tests/jobs/)."""
    from kiemdich.jobs import tasks
    from kiemdich.jobs.models import Task

    return [tasks.execute(pk) for pk in
            Task.objects.filter(status=Task.Status.QUEUED).values_list("pk", flat=True)]


def task_file(client: Client, response) -> bytes:
    """The result of the task whose page `response` redirected to, once it has run."""
    run_queued_tasks()
    assert response.status_code == 302 and "/jobs/tasks/" in response["Location"], response
    download = client.get(response["Location"] + "result")
    assert download.status_code == 200
    return b"".join(download.streaming_content)


def case_report(client: Client, case_id: int, fmt: str):
    """A case's report through the API as its user asks for it: started as a task (202),
    run, then downloaded from the task's `download_url`. The download's response."""
    started = client.post(f"/api/v1/cases/{case_id}/exports", {"format": fmt})
    assert started.status_code == 202, started.content
    from kiemdich.jobs import tasks

    assert tasks.execute(started.json()["id"]) == "done"
    status = client.get(f"/api/v1/tasks/{started.json()['id']}").json()
    assert status["status"] == "done", status
    download = client.get(status["download_url"])
    assert download.status_code == 200
    from django.http import HttpResponse

    whole = HttpResponse(b"".join(download.streaming_content))
    for header, value in download.items():
        whole[header] = value
    return whole


def page_export(client: Client, path: str, query: dict | None = None, fmt: str = "csv"):
    """A page's export button: POST `format` to the page with its filters in the URL, the
    task run, the file downloaded from the task's page. The download, its body read."""
    from django.http import HttpResponse
    from django.utils.http import urlencode

    started = client.post(f"{path}?{urlencode(query or {})}", {"format": fmt})
    assert started.status_code == 302 and "/jobs/tasks/" in started["Location"], started
    assert run_queued_tasks() == ["done"]
    download = client.get(started["Location"] + "result")
    assert download.status_code == 200
    whole = HttpResponse(b"".join(download.streaming_content))
    for header, value in download.items():
        whole[header] = value
    return whole
