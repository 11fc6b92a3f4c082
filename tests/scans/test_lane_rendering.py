"""The lane's rendering of an answer (kiemdich.core.rendering) against django-ninja's round
trip through pydantic, for every response schema of the lane's two endpoints: whenever the
dump renders a body it renders what ninja would, and it renders every body that is made of
the very values the schema declares."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from ninja import Schema
from ninja.operation import ResponseObject
from ninja.responses import NinjaJSONEncoder

from kiemdich.core.rendering import Unprovable
from kiemdich.scans.lane import CHECKIN_PATH, _Route

ROUTES = [_Route("/api/v1/venues/1/scans"), _Route(CHECKIN_PATH)]
SCHEMAS = [(route, status) for route in ROUTES for status in route.dumps]
JUNK = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4),
                 st.just("2026-12-02T07:00:00+07:00"), st.floats(allow_nan=False))
TIMES = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                     timezones=st.just(UTC))


def _values(annotation: Any, junk: bool) -> st.SearchStrategy:
    """Values of the declared type (and, with `junk`, of any other at every level)."""
    origin = get_origin(annotation)
    if annotation is datetime:
        right = st.one_of(TIMES, TIMES.map(datetime.isoformat))
    elif annotation in (str, int, bool):
        right = {str: st.text(max_size=8), int: st.integers(), bool: st.booleans()}[annotation]
    elif origin is Literal:
        right = st.sampled_from(get_args(annotation))
    elif origin in (Union, UnionType):
        right = st.one_of(*(_values(arg, junk) for arg in get_args(annotation)))
    elif annotation is type(None):
        right = st.none()
    elif origin is list:
        right = st.lists(_values(get_args(annotation)[0], junk), max_size=3)
    else:
        right = _bodies(annotation, junk)
    return st.one_of(right, JUNK) if junk else right


def _bodies(schema: type[Schema], junk: bool) -> st.SearchStrategy:
    fields = {name: _values(field.annotation, junk)
              for name, field in schema.model_fields.items()}
    optional = {name: fields.pop(name) for name, field in list(schema.model_fields.items())
                if not field.is_required()}
    extra = {"not_in_the_schema": st.text(max_size=3)}
    return st.fixed_dictionaries(fields, optional={**optional, **extra})


def _ninja(route: _Route, status: int, body: Any) -> str:
    model = route.operation.response_models[status]
    dumped = model.model_validate(ResponseObject(body)).model_dump()["response"]
    return json.dumps(dumped, cls=NinjaJSONEncoder)


def _schema(route: _Route, status: int) -> type[Schema]:
    return route.operation.response_models[status].model_fields["response"].annotation


def test_every_answer_of_the_lane_is_rendered_by_the_dump():
    assert {(route.operation.view_func.__name__, status) for route, status in SCHEMAS} == {
        ("scan", 200), ("scan", 201), ("scan", 404), ("scan", 409), ("scan", 410),
        ("scan", 422), ("checkin", 201), ("checkin", 404), ("checkin", 409),
        ("checkin", 410), ("checkin", 422)}


@pytest.mark.parametrize(("route", "status"), SCHEMAS)
@hypothesis_settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_dump_renders_what_ninja_renders(route, status, data):
    body = data.draw(_bodies(_schema(route, status), junk=True))
    try:
        fast = json.dumps(route.dumps[status](body), cls=NinjaJSONEncoder)
    except Unprovable:
        return
    assert fast == _ninja(route, status, body)


@pytest.mark.parametrize(("route", "status"), SCHEMAS)
@hypothesis_settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_body_of_the_declared_values_is_rendered_by_the_dump(route, status, data):
    body = data.draw(_bodies(_schema(route, status), junk=False))
    assert json.dumps(route.dumps[status](body), cls=NinjaJSONEncoder) == \
        _ninja(route, status, body)
