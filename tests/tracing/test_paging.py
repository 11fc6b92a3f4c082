"""The exposures endpoint pages its ranking: `limit` and `cursor` (API-CONTRACT.md)."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from ninja.responses import NinjaJSONEncoder

from kiemdich.tracing.api import ExposuresOut, F2Out
from tests.tracing.test_contacts import register, scene  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

# The scene of test_contacts: nine contacts at the café and the bar, one at the market.
CONTACTS = 10


@pytest.fixture
def case_id(mai, scene):  # noqa: F811
    response = register(mai)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _get(client, case_id, **params):
    return client.get(f"/api/v1/cases/{case_id}/exposures", params)


def _every_page(client, case_id, limit):
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = _get(client, case_id, **params)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9, 10, 11, 500])
def test_every_page_read_in_turn_is_the_whole_ranking(mai, case_id, limit):
    whole = _get(mai, case_id).json()
    assert whole["next_cursor"] is None
    assert whole["contact_count"] == len(whole["contacts"]) == CONTACTS
    pages = _every_page(mai, case_id, limit)
    assert [c for page in pages for c in page["contacts"]] == whole["contacts"]
    assert [len(page["contacts"]) for page in pages] == \
        [min(limit, CONTACTS - i) for i in range(0, CONTACTS, limit)]
    for page in pages:
        assert page["contact_count"] == CONTACTS
        assert page["visits"] == whole["visits"]


def _ranking_statements() -> list[tuple[int, int]]:
    """(generic runs, custom runs) of each prepared copy of the ranking on this connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                       "WHERE statement LIKE %s", ["%WITH zone AS MATERIALIZED%"])
        return cursor.fetchall()


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="prepared statements are PostgreSQL's")
def test_the_ranking_is_one_statement_prepared_at_its_first_run(mai, case_id):
    # The first page's key is a huge number and the cursors' small ones, which psycopg
    # would send as different integer types (another statement, planned anew five times).
    before = sum(generic for generic, _custom in _ranking_statements())
    pages = _every_page(mai, case_id, 1)
    statements = _ranking_statements()
    assert len(statements) == 1
    assert statements[0][0] - before == len(pages) == CONTACTS
    assert statements[0][1] == 0


def test_ties_are_broken_by_first_overlap_then_person(mai, case_id):
    contacts = _get(mai, case_id).json()["contacts"]
    keys = [(-c["overlap_minutes"], min(e["overlap_start"] for e in c["exposures"]),
             c["person_id"]) for c in contacts]
    assert keys == sorted(keys)
    assert len({c["overlap_minutes"] for c in contacts}) < len(contacts)  # there are ties


def test_a_cursor_gives_the_same_page_each_time(mai, case_id):
    first = _get(mai, case_id, limit=3).json()
    again = _get(mai, case_id, limit=3).json()
    assert first == again
    second = _get(mai, case_id, limit=3, cursor=first["next_cursor"]).json()
    assert _get(mai, case_id, limit=3, cursor=first["next_cursor"]).json() == second
    assert {c["person_id"] for c in second["contacts"]}.isdisjoint(
        c["person_id"] for c in first["contacts"])


def test_a_cursor_alone_pages_by_the_default_size(mai, case_id):
    first = _get(mai, case_id, limit=2).json()
    rest = _get(mai, case_id, cursor=first["next_cursor"]).json()
    whole = _get(mai, case_id).json()["contacts"]
    assert rest["contacts"] == whole[2:]
    assert rest["next_cursor"] is None


def test_a_new_contact_ranked_before_the_cursor_does_not_move_the_next_page(
        mai, case_id, world, scene):  # noqa: F811
    first = _get(mai, case_id, limit=4).json()
    second = _get(mai, case_id, limit=4, cursor=first["next_cursor"]).json()
    # Someone at the café the whole widened morning: ranked first, before the cursor.
    from tests.tracing.conftest import at

    world.visit(world.person("Người đến sau"), scene["venues"]["cafe"], at(10, 9), at(10, 12))
    again = _get(mai, case_id, limit=4, cursor=first["next_cursor"]).json()
    assert again["contacts"] == second["contacts"]
    assert again["contact_count"] == CONTACTS + 1


def test_include_people_shapes_only_the_page(mai, case_id):
    body = _get(mai, case_id, limit=2, include_people="true").json()
    assert [c["person"] is not None for c in body["contacts"]] == [True, True]
    assert body["contacts"][0]["person"]["id"] == body["contacts"][0]["person_id"]


@pytest.mark.parametrize("limit", ["0", "-1", "501", "abc", "1.5", "1e2", " ", "٣", "10x"])
def test_a_bad_limit_is_400_limit_invalid(mai, case_id, limit):
    response = _get(mai, case_id, limit=limit)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "limit_invalid" and error["field"] == "limit"
    # The catalogue's message, a template filled with the limit, in the asker's language.
    assert error["message"] == "Số người mỗi trang (limit) phải là số nguyên từ 1 đến 500."
    english = mai.get(f"/api/v1/cases/{case_id}/exposures", {"limit": limit},
                      HTTP_ACCEPT_LANGUAGE="en").json()["error"]
    assert english == {**error, "message": "The page size (limit) must be a whole number from 1 "
                                           "to 500."}


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage!", "abc", _b64("c1.30.1628564400000000"), _b64("c2.30.1628564400000000.5"),
    _b64("c1.0.1628564400000000.5"), _b64("c1.30.x.5"), _b64("c1.30.1.-5"),
    _b64("c1.30.1.99999999999999999999"), _b64("c1.30.4000000000000000000.5"),
    _b64("c1.30.-4000000000000000000.5"), "x" * 200, _b64("c1.30.1.5") + "=",
    "Ỹ" * 5])
def test_a_bad_cursor_is_400_cursor_invalid(mai, case_id, cursor):
    response = _get(mai, case_id, limit=3, cursor=cursor)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "cursor_invalid" and error["field"] == "cursor"


def test_a_cursor_past_the_last_contact_is_an_empty_last_page(mai, case_id):
    pages = _every_page(mai, case_id, CONTACTS)
    assert len(pages) == 1
    # The last contact's own key: nothing is ranked after it.
    whole = _get(mai, case_id).json()["contacts"]
    last = whole[-1]
    from datetime import datetime

    first_us = int(datetime.fromisoformat(min(e["overlap_start"] for e in last["exposures"]))
                   .timestamp() * 1_000_000)
    cursor = _b64(f"c1.{last['overlap_minutes']}.{first_us}.{last['person_id']}")
    body = _get(mai, case_id, limit=5, cursor=cursor).json()
    assert body["contacts"] == [] and body["next_cursor"] is None
    assert body["contact_count"] == CONTACTS


def test_paging_is_audited_and_answers_404_for_an_unknown_case(mai, case_id):
    from kiemdich.privacy.models import AuditEntry

    before = AuditEntry.objects.filter(action="tracing_query").count()
    _get(mai, case_id, limit=3)
    entry = AuditEntry.objects.filter(action="tracing_query").order_by("-pk").first()
    assert AuditEntry.objects.filter(action="tracing_query").count() == before + 1
    assert f"contacts={CONTACTS} page=3" in entry.reason
    assert _get(mai, 999999, limit=3).status_code == 404


def test_the_openapi_document_describes_the_paging(anon):
    spec = anon.get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/cases/{case_id}/exposures"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"limit", "cursor", "include_people"} <= names
    assert "400" in operation["responses"]


@pytest.mark.parametrize("params", [{}, {"limit": 3}, {"limit": 2, "include_people": "true"}])
def test_the_body_is_what_its_schema_renders(mai, case_id, params):
    """The exposures are rendered without django-ninja's validation: the bytes are those the
    declared schema gives for the same answer (every field, in its order, its moments)."""
    response = _get(mai, case_id, **params)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    through_schema = ExposuresOut.model_validate(response.json()).model_dump()
    assert response.content.decode() == json.dumps(through_schema, cls=NinjaJSONEncoder)


def test_f2_is_what_its_schema_renders(mai, case_id):
    contacts = _get(mai, case_id, limit=2).json()["contacts"]
    response = mai.post(f"/api/v1/cases/{case_id}/f2",
                        {"person_ids": [c["person_id"] for c in contacts]})
    assert response.status_code == 200, response.content
    assert response.json()["rings"][0]["contacts"]
    through_schema = F2Out.model_validate(response.json()).model_dump()
    assert response.content.decode() == json.dumps(through_schema, cls=NinjaJSONEncoder)
