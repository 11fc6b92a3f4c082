"""The role × endpoint matrix: every operation of the OpenAPI document, called by every
persona on objects of its own and of others, must answer as the table below says.

The table is keyed by "METHOD path" and MUST list every operation: a new endpoint without an
entry fails `test_every_operation_is_in_the_table`, so access rules are decided, not assumed.
Outcomes: "ok" = not refused (2xx, or a 409/422 about the content), "empty" = 200 with an
empty list (a role-filtered list shows nothing), 401, 403, 404, or "no" (403 or 404: either
refusal is acceptable there). A 404 must also be indistinguishable from
the answer for an id that does not exist (sequential-id enumeration learns nothing).
"""

from __future__ import annotations

import json
import os
import re

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import AsyncClient, Client
from django.utils import timezone

from kiemdich.api import api
from tests.security.world import PERSONAS, build

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
PREFIX = "/api/v1"
OPERATIONS = sorted(f"{method.upper()} {path.removeprefix(PREFIX)}"
                    for path, ops in SCHEMA["paths"].items() for method in ops)

ALL = set(PERSONAS) - {"anon"}
PEOPLE = ALL - {"device"}
AUTHORITIES = {"officer", "officer_out", "health", "admin"}


def rule(ok: set[str] | str, *, denied: object = 404, anon: object = 401,
         device: object = 401, **special: object) -> dict[str, object]:
    """`ok` personas pass; the others get `denied`; anonymous callers `anon`; a reader's
    token `device` unless it is among `ok`; `special` overrides single personas."""
    ok = {ok} if isinstance(ok, str) else set(ok)
    table = {p: ("ok" if p in ok else denied) for p in PERSONAS}
    table["anon"] = "ok" if "anon" in ok else anon
    if "device" not in ok:
        table["device"] = device
    table.update(special)
    return table


PUBLIC = rule(set(PERSONAS))
ANY_PERSON = rule(PEOPLE)                       # each sees only their own, by construction
OWN_CITIZEN = rule({"citizen"})                 # Lan's own person/records: others 404
VENUE_OWNER = rule({"owner"})                   # managing Minh's café (admins included)
VENUE_SCANNER = rule({"owner", "staff", "device"})
TRACER = rule({"health", "admin"}, denied=403)  # role-gated lists and creations
CASE = rule({"health", "admin"})                # Nam's case: not even its existence leaks
OFFICERS = rule(AUTHORITIES | {"admin"}, denied=403)

EXPECTED: dict[str, dict[str, object]] = {
    # accounts
    "POST /auth/otp": PUBLIC,
    "POST /auth/token": PUBLIC,
    "POST /auth/logout": ANY_PERSON,
    "GET /me": ANY_PERSON,
    # people
    "GET /people": ANY_PERSON,
    "POST /people": ANY_PERSON,
    "GET /people/search": rule({"health", "admin"}, denied="empty"),
    "GET /people/{person_id}": OWN_CITIZEN,
    "PATCH /people/{person_id}": OWN_CITIZEN,
    "GET /people/{person_id}/qr": OWN_CITIZEN,
    "GET /people/{person_id}/qr.png": OWN_CITIZEN,
    "GET /people/{person_id}/card.pdf": OWN_CITIZEN,
    "GET /people/{person_id}/cards": OWN_CITIZEN,
    "POST /people/{person_id}/cards/{serial}/revoke": OWN_CITIZEN,
    "GET /qr/revocations": rule(ALL),
    "GET /consent": ANY_PERSON,
    "POST /consent": ANY_PERSON,
    "GET /me/export": ANY_PERSON,
    "GET /me/export.pdf": ANY_PERSON,
    # declarations and alerts
    "POST /people/{person_id}/declarations": OWN_CITIZEN,
    "GET /people/{person_id}/declarations": OWN_CITIZEN,
    "POST /people/{person_id}/declarations/renew": OWN_CITIZEN,
    "GET /alerts": rule({"health", "admin"}, denied="empty"),
    "POST /alerts/{alert_id}/actions": rule({"health", "admin"}),
    # venues
    "GET /venue-types": PUBLIC,
    "POST /venues": ANY_PERSON,
    "GET /venues": ANY_PERSON,
    "GET /venues/staffed": ANY_PERSON,
    "GET /device": rule({"device"}, denied=401),
    "GET /venues/directory": OFFICERS,
    "GET /venues/directory/export": OFFICERS,
    "GET /venues/posters.pdf": rule({"owner", "other_owner"}),  # 404 without any venue
    "GET /venues/{id}": rule({"owner", "device"}),
    "PATCH /venues/{id}": VENUE_OWNER,
    "POST /venues/{id}/rotate": VENUE_OWNER,
    "GET /venues/{id}/poster.pdf": VENUE_OWNER,
    "GET /venues/{id}/poster.png": VENUE_OWNER,
    "GET /venues/{id}/staff": VENUE_OWNER,
    "POST /venues/{id}/staff": VENUE_OWNER,
    "DELETE /venues/{id}/staff/{phone}": VENUE_OWNER,
    "GET /venues/{id}/devices": VENUE_OWNER,
    "POST /venues/{id}/devices": VENUE_OWNER,
    "DELETE /venues/{id}/devices/{device_id}": VENUE_OWNER,
    # an officer of the venue's area grants special status; others never learn it exists
    "POST /venues/{id}/special": rule({"officer", "health", "admin"}),
    "DELETE /venues/{id}/special": rule({"officer", "health", "admin"}),
    # scans
    "POST /venues/{venue_id}/scans": VENUE_SCANNER,
    "POST /venues/{venue_id}/scans/batch": VENUE_SCANNER,
    "POST /venues/{venue_id}/scans/decode-photo": VENUE_SCANNER,
    # staff sign a phone in as the kiosk; a reader cannot make more devices
    "POST /venues/{venue_id}/kiosk": rule({"owner", "staff"}),
    "GET /venues/{venue_id}/live": VENUE_SCANNER,
    "POST /checkins": OWN_CITIZEN,  # checking in Lan's person: only her account may
    "GET /me/checkins": ANY_PERSON,
    "GET /venues/{venue_id}/visits": VENUE_OWNER,
    # reports
    "GET /stats": rule(AUTHORITIES | {"admin"}, denied=403, officer_out=404),
    # Inspectors and admins: others find nothing to inspect and may record nothing.
    "GET /inspections/venues": rule({"admin"}, denied="empty"),
    "GET /inspections/people": rule({"admin"}, denied="empty"),
    "POST /inspections": rule({"admin"}),
    # tracing
    "POST /cases": TRACER,
    "GET /case-requests": TRACER,
    "POST /case-requests/{request_id}/approve": TRACER,
    "POST /case-requests/{request_id}/refuse": TRACER,
    "GET /cases": TRACER,
    "GET /cases/{case_id}": CASE,
    "PATCH /cases/{case_id}": CASE,
    "POST /cases/{case_id}/close": CASE,
    "GET /cases/{case_id}/exposures": CASE,
    "POST /cases/{case_id}/f2": CASE,
    "GET /cases/{case_id}/zones": CASE,
    "GET /cases/{case_id}/map.svg": CASE,
    "POST /cases/{case_id}/exports": CASE,
    "GET /cases/{case_id}/notice-batches": CASE,
    "POST /cases/{case_id}/notice-batches": CASE,
    # approving needs a second health officer: the creator gets 403, which this world shows
    "POST /notice-batches/{batch_id}/approve": rule({"admin"}, health=403),
    "POST /notice-batches/{batch_id}/send": CASE,
    "GET /tracing/settings": TRACER,
    "POST /tracing/pauses": TRACER,
    "POST /tracing/pauses/{pause_id}/resume": TRACER,
    "GET /me/notices": ANY_PERSON,
    "POST /me/notices/{notice_id}/read": OWN_CITIZEN,
    "GET /health": PUBLIC,
    "GET /ready": PUBLIC,
    # privacy
    "POST /me/delete": rule(PEOPLE, owner=409, other_owner=409),  # owners hand venues over
    "GET /me/delete": rule(set(), denied=404),  # nobody has a pending request here
    "POST /consent/withdraw": ANY_PERSON,
    "GET /flags": rule(AUTHORITIES | {"admin"}, denied=403),
    "GET /audit": rule({"admin"}, denied=403),  # and auditors (tests/privacy/test_audit.py)
    # long tasks: the officer's import, seen by the admin who oversees the officer's work
    # (a queued task has no file yet: 409); only the officer cancels it
    "GET /tasks/{task_id}": rule({"officer", "admin"}),
    "GET /tasks/{task_id}/result": rule({"officer", "admin"}),
    "POST /tasks/{task_id}/cancel": rule({"officer"}, admin=403),
    # imports: officers and admins (the rows outside the officer's area are refused by row)
    "POST /imports/{kind}": rule({"officer", "officer_out", "admin"}, denied=403),
    # zones: officers and health officers of the area draw and lift them
    "GET /zones": rule(AUTHORITIES | {"admin"}, denied="empty"),
    "POST /zones": rule({"officer", "health", "admin"}),
    "POST /zones/{zone_id}/lift": rule({"officer", "health", "admin"}),
}


def _bodies(ids: dict) -> dict[str, object]:
    now = timezone.now().isoformat()
    no = {k: False for k in ("visited_places", "fever", "cough", "shortness_of_breath",
                             "pneumonia", "sore_throat", "fatigue", "contact_case",
                             "contact_from_outbreak", "contact_symptomatic")}
    return {
        "POST /auth/otp": {"phone": "0912000555"},
        "POST /auth/token": {"phone": "0912000555", "code": "123456"},
        "POST /people": {"full_name": "Bé Na"},
        "PATCH /people/{person_id}": {"full_name": "Trần Thị Lan"},
        "POST /people/{person_id}/cards/{serial}/revoke": {"reason": "lost"},
        "POST /consent": {"version": "2021-10"},
        "POST /people/{person_id}/declarations": no,
        "POST /alerts/{alert_id}/actions": {"status": "called", "note": "đã gọi"},
        "POST /venues": {"name": "Nhà sách", "venue_type": "restaurant", "area_code": "25996",
                         "street": "5 Đồng Khởi"},
        "PATCH /venues/{id}": {"name": "Quán cà phê Hòa Bình"},
        "POST /venues/{id}/staff": {"phone": "0912000044"},
        "POST /venues/{id}/devices": {"name": "Cổng sau"},
        "POST /venues/{id}/special": {"reason": "Bệnh viện dã chiến"},
        "POST /venues/{venue_id}/scans": {"code": "not a code", "direction": "in"},
        "POST /venues/{venue_id}/scans/batch": {"scans": []},
        "POST /checkins": {"venue_code": ids["venue_code"], "person_ids": [ids["person"]],
                           "direction": "in"},
        "POST /cases": {"person": {"phone": "0912000011"}, "confirmed_at": now},
        "PATCH /cases/{case_id}": {"margin_minutes": 60},
        "POST /cases/{case_id}/f2": {"person_ids": [ids["child"]]},
        "POST /cases/{case_id}/notice-batches": {"person_ids": [ids["child"]], "send": False},
        "POST /cases/{case_id}/exports": {"format": "xlsx"},
        "POST /tracing/pauses": {"area_code": "26368", "reason": "Kiểm tra lại"},
        "POST /zones": {"kind": "green", "area_code": "25996",
                        "starts_on": timezone.localdate().isoformat(),
                        "ends_on": timezone.localdate().isoformat()},
        "POST /inspections": {"venue_code": ids["venue_code"], "inspected_at": now,
                              "result": "compliant"},
    }


def _queries(ids: dict) -> dict[str, dict]:
    return {"GET /people/search": {"phone": "0912000001"}, "GET /stats": {"area": "731"},
            "GET /inspections/venues": {"q": ids["venue_code"]}}


def _params(ids: dict) -> dict[str, object]:
    return {"person_id": ids["person"], "serial": ids["serial"], "alert_id": ids["alert"],
            "id": ids["venue"], "venue_id": ids["venue"], "phone": ids["staff_phone"],
            "device_id": ids["device"], "case_id": ids["case"], "batch_id": ids["batch"],
            "notice_id": ids["notice"], "pause_id": ids["pause"], "request_id": ids["request"],
            "task_id": ids["task"], "zone_id": ids["zone"], "kind": "population"}


MISSING_ID = 987_654


def call(client, op: str, ids: dict, *, missing: bool = False):
    method, template = op.split(" ", 1)
    params = _params(ids)
    if missing:  # every numeric object id replaced by one that does not exist
        params = {k: (MISSING_ID if isinstance(v, int) else v) for k, v in params.items()}
    path = PREFIX + re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), template)
    body = _bodies(ids).get(op)
    if op.endswith("/decode-photo"):
        photo = SimpleUploadedFile("qr.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
        return Client.post(client, path, {"photo": photo}, **client._auth({}))
    if op == "POST /imports/{kind}":
        rows = SimpleUploadedFile("ds.csv", b"area_code,population\n25993,100\n",
                                  content_type="text/csv")
        return Client.post(client, path, {"file": rows}, **client._auth({}))
    if op.endswith("/live"):
        return async_to_sync(_asgi_get)(client, path)  # the feed answers only under ASGI
    if method == "GET":
        return client.get(path, _queries(ids).get(op))
    if method == "DELETE":
        return client.delete(path)
    return getattr(client, method.lower())(path, body if body is not None else {})


async def _asgi_get(client, path: str):
    meta = {**client.defaults, **client._auth({})}
    headers = {"Authorization": meta["HTTP_AUTHORIZATION"]} if meta else {}
    return await AsyncClient().get(path, headers=headers)


def outcome_matches(expected: object, status: int, body: bytes) -> bool:
    if expected == "ok":
        return status not in (401, 403, 404) and status < 500
    if expected == "no":
        return status in (403, 404)
    if expected == "empty":
        return status == 200 and json.loads(body) == []
    return status == expected


@pytest.fixture
def world(areas):
    return build(areas)


def _run(client, op, ids, missing=False):
    """One call in a savepoint that is rolled back, so no persona changes another's world."""
    cache.clear()
    with transaction.atomic():
        response = call(client, op, ids, missing=missing)
        status = response.status_code
        body = b"" if response.streaming else response.content
        if response.streaming:
            # Closing fires request_finished; keep the test's database connection open, as
            # the test client does when a stream ends normally.
            request_finished.disconnect(close_old_connections)
            try:
                response.close()
            finally:
                request_finished.connect(close_old_connections)
        transaction.set_rollback(True)
    return status, body


def test_every_operation_is_in_the_table():
    assert sorted(set(OPERATIONS) - set(EXPECTED)) == [], "operations without an entry"
    assert sorted(set(EXPECTED) - set(OPERATIONS)) == [], "entries for no operation"


@pytest.mark.parametrize("op", OPERATIONS)
def test_access(op, world):
    if op not in EXPECTED:
        pytest.fail(f"{op} has no entry in the access table")
    wrong = []
    observed = {}
    for persona in PERSONAS:
        status, body = _run(world.clients[persona], op, world.ids)
        observed[persona] = status
        expected = EXPECTED[op][persona]
        if not outcome_matches(expected, status, body):
            wrong.append(f"{persona}: expected {expected}, got {status} {body[:200]!r}")
        elif status == 404 and "{" in op:
            # Enumeration: someone else's id answers exactly like an id that does not exist.
            missing_status, missing_body = _run(world.clients[persona], op, world.ids,
                                                missing=True)
            if (missing_status, _error_code(missing_body)) != (404, _error_code(body)):
                wrong.append(f"{persona}: 404 {body[:120]!r} differs from a missing id's "
                             f"{missing_status} {missing_body[:120]!r}")
    if os.environ.get("MATRIX_PRINT"):
        print(f"\nMATRIX {op}: {json.dumps(observed)}")
    assert not wrong, f"{op}:\n" + "\n".join(wrong)


def _error_code(body: bytes) -> str:
    try:
        return json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", "replace")[:200]
