"""A bounded property-based run of the whole API against its own OpenAPI document
(schemathesis): generated requests, valid and invalid, as an admin with a populated world.
No answer may be a server error, and every documented answer must match its schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kiemdich.wsgi import application
from tests.security.world import build

# The live feed never ends: its stream is tested in test_injection and by the scans suite.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).exclude(
    path_regex=r"/live$")

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["admin", "owner"])
def token(request, areas):
    """An admin reaches every role-gated operation; the venue owner reaches venue 1's."""
    return build(areas).clients[request.param].token


@schema.parametrize()
@settings(max_examples=50, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request(case, token):
    cache.clear()  # rate limits would otherwise answer most of the examples
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error, response_schema_conformance])


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
