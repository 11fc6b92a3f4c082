"""A bounded property-based run of the whole API against its own OpenAPI document
(schemathesis): generated requests, valid and invalid, as an admin with a populated world.
No answer may be a server error, every status must be one the document declares for the
operation, and every answer must match its declared schema and content type."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kiemdich.wsgi import application
from tests.security.world import build

# The live feed never ends: its stream is tested in test_injection and by the scans suite.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).exclude(
    path_regex=r"/live$")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, whose request signals close database
    connections that are inside a transaction — the test's own. Django's test client
    unhooks them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["admin", "owner"])
def token(request, areas):
    """An admin reaches every role-gated operation; the venue owner reaches venue 1's."""
    return build(areas).clients[request.param].token


# Once per `make test`, on PostgreSQL: the database that refuses what SQLite silently stores
# (NUL characters, out-of-range integers) is where generated input finds real faults.
@pytest.mark.postgres_only
@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request(case, token):
    cache.clear()  # rate limits would otherwise answer most of the examples
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])


def _schemas(cls) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_schemas(sub)]
    return found


def test_schema_names_are_unique():
    """The OpenAPI document names components by class name: two different schemas with one
    name silently replace each other and the document lies about one of the endpoints."""
    from ninja import Schema

    import kiemdich.api  # noqa: F401 - mounts every router, importing every schema

    by_name: dict[str, dict] = {}
    clashes = []
    for cls in _schemas(Schema):
        if not cls.__module__.startswith("kiemdich."):
            continue
        shape = cls.model_json_schema()
        shape.pop("description", None)
        if by_name.setdefault(cls.__name__, shape) != shape:
            clashes.append(f"{cls.__module__}.{cls.__name__}")
    assert not clashes, f"schema names used for different shapes: {clashes}"


@pytest.mark.parametrize("query", [{"area": "75\x00"}, {"area": "7" * 40}])
def test_values_the_database_cannot_hold_are_bad_input(admin_client, areas, query):
    response = admin_client.get("/api/v1/stats", query)
    # Not a code at all: unknown, without troubling the database (areas.services.resolve_area).
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "area_unknown"


def test_a_nul_character_in_a_body_is_refused_alike_on_every_database(lan):
    # PostgreSQL cannot store it and no keyboard sends it: refused before any database sees it.
    people = lan.get("/api/v1/people").json()
    for body in ({"full_name": "Bé\u0000Na"}, {"full_name": "Bé Na", "street": "1\u0007 Lê Lợi"}):
        response = lan.post("/api/v1/people", body)
        assert response.status_code == 422, response.content
        assert response.json()["error"]["code"] == "invalid"
    assert lan.get("/api/v1/people").json() == people
    added = lan.post("/api/v1/people", {"full_name": "Bé Na"}).json()
    response = lan.patch(f"/api/v1/people/{added['id']}", {"full_name": "Bé\u0000Na"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid")
