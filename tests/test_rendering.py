"""Bodies rendered without the schema's round trip (kiemdich.core.rendering.rendered) write
their moments as django-ninja's encoder does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from ninja.responses import NinjaJSONEncoder

from kiemdich.core.rendering import json_time

ZONES = st.sampled_from([UTC, ZoneInfo("Asia/Ho_Chi_Minh"), timezone(timedelta(hours=-3,
                                                                                minutes=-30)),
                         None])


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), ZONES)
def test_a_moment_is_written_as_the_encoder_writes_it(moment, zone):
    moment = moment.replace(tzinfo=zone)
    assert json_time(moment) == NinjaJSONEncoder().default(moment)


def test_no_moment_is_null():
    assert json_time(None) is None
