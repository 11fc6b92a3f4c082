"""Bodies rendered without the schema's round trip (kiemdich.core.rendering.rendered) write
their moments as django-ninja's encoder does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from kiemdich.api import api
from kiemdich.core.rendering import json_time, rendered, renders_like_ninja

ZONES = st.sampled_from([UTC, ZoneInfo("Asia/Ho_Chi_Minh"), timezone(timedelta(hours=-3,
                                                                                minutes=-30)),
                         None])


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), ZONES)
def test_a_moment_is_written_as_the_encoder_writes_it(moment, zone):
    moment = moment.replace(tzinfo=zone)
    assert json_time(moment) == NinjaJSONEncoder().default(moment)


def test_no_moment_is_null():
    assert json_time(None) is None


def test_a_body_is_written_as_the_apis_renderer_writes_it():
    body = {"name": "Nguyễn Thị Lan", "at": datetime(2021, 10, 15, 8, 30, 0, 123456, UTC),
            "count": 3, "none": None}
    response = rendered(body, 201)
    assert renders_like_ninja(api.renderer)
    assert response.status_code == 201
    assert response["Content-Type"] == api.get_content_type()
    assert response.content.decode() == api.renderer.render(None, body, response_status=201)


class _Indented(JSONRenderer):
    json_dumps_params = {"indent": 2}


def test_a_renderer_configured_otherwise_is_not_taken_for_ninjas():
    compact = JSONRenderer()
    assert renders_like_ninja(compact)
    assert not renders_like_ninja(_Indented())
    compact.json_dumps_params = {"ensure_ascii": False}
    assert not renders_like_ninja(compact)
