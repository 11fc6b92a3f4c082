"""The reader's lane (kiemdich.scans.lane) against the full stack, on the same rows: the same
requests answered with the same status, body and headers, and what the lane does not take
handed to the full stack untouched."""

from __future__ import annotations

import json
from datetime import time

import pytest
import time_machine
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import RequestFactory
from django.test.client import ClientHandler

from kiemdich.core import clock
from kiemdich.scans.lane import ScanLane
from kiemdich.scans.models import Scan
from tests.scans.conftest import scans_url

pytestmark = pytest.mark.django_db
# Differ by nature between two answers: the request's id.
VARYING = {"X-Request-ID"}


@pytest.fixture(autouse=True)
def _at_local_noon():
    with time_machine.travel(clock.at(clock.today(), time(12)), tick=False):
        yield


@pytest.fixture
def lane():
    handler = ClientHandler(enforce_csrf_checks=True)

    def full_stack(environ, start_response):
        response = handler(environ)
        start_response(f"{response.status_code} {response.reason_phrase}",
                       [*response.items(), *(("Set-Cookie", c.output(header=""))
                                             for c in response.cookies.values())])
        return [response.content]  # the client handler closed it already

    app = ScanLane(full_stack)
    taken = []
    take = app._take

    def spy(environ, venue_id):
        result = take(environ, venue_id)
        taken.append(result is not None)
        return result

    app._take = spy
    app.taken = taken
    return app


def _call(app, path: str, body, auth: str | None, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    environ = RequestFactory().post(path, data=data, content_type="application/json",
                                    **headers, **extra).environ
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status
        answer["headers"] = sorted((k, v) for k, v in headers if k not in VARYING)

    # As Django's test client does: the test's transaction keeps its connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = app(environ, start_response)
        content = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    answer["body"] = json.loads(content)
    answer["body"].pop("scan_id", None)
    return answer


def _both(lane, settings, path, body, auth, **extra):
    """The same request through the lane and through the full stack, from the same rows."""
    answers = []
    for on in (True, False):
        settings.SCAN_LANE = on
        point = transaction.savepoint()
        answers.append(_call(lane, path, body, auth, **extra))
        answers[-1]["scans"] = list(Scan.objects.order_by("id").values_list(
            "direction", "accepted", "reason", "response", "code_format", "method"))
        transaction.savepoint_rollback(point)
    return answers


def test_an_accepted_scan_is_answered_alike(lane, settings, venue, reader, lan_code):
    body = {"code": lan_code, "direction": "in", "nonce": "lane-1"}
    fast, full = _both(lane, settings, scans_url(venue), body, f"Device {reader}")
    assert fast["headers"] == full["headers"]
    assert fast == full
    assert fast["status"] == "201 Created"
    assert lane.taken == [True]


@pytest.mark.parametrize("case", ["replay", "refused code", "rate limited", "english"])
def test_the_lane_answers_what_it_takes_as_the_full_stack(case, lane, settings, venue, reader,
                                                           lan_code):
    body = {"code": lan_code, "direction": "out", "nonce": "lane-2"}
    extra = {}
    if case == "replay":
        settings.SCAN_LANE = False
        assert _call(lane, scans_url(venue), body, f"Device {reader}")["status"].startswith("201")
    elif case == "refused code":
        body["code"] = "KD1.not-a-code"
    elif case == "rate limited":
        settings.SCAN_RATE_PER_MINUTE = 0
    else:
        extra["HTTP_ACCEPT_LANGUAGE"] = "en"
        body["code"] = "KD1.not-a-code"
    fast, full = _both(lane, settings, scans_url(venue), body, f"Device {reader}", **extra)
    assert fast == full
    assert fast["status"][:3] == {"replay": "200", "refused code": "422",
                                  "rate limited": "429", "english": "422"}[case]
    assert lane.taken[-1] is True


@pytest.mark.parametrize("case", ["wrong token", "other venue", "bad body", "not json",
                                  "a person's token"])
def test_what_the_lane_does_not_take_goes_to_the_full_stack(case, lane, settings, venue,
                                                            other_venue, reader, lan_code,
                                                            hoa):
    path, body, auth = scans_url(venue), {"code": lan_code, "direction": "in"}, \
        f"Device {reader}"
    if case == "wrong token":
        auth = "Device kdd_nobody"
    elif case == "other venue":
        path = scans_url(other_venue)
    elif case == "bad body":
        body = {"code": lan_code, "direction": "sideways"}
    elif case == "not json":
        body = "{not json"
    else:
        auth = f"Bearer {hoa.token}"
    fast, full = _both(lane, settings, path, body, auth)
    assert fast == full
    assert fast["status"][:3] == {"wrong token": "401", "other venue": "404",
                                  "bad body": "422", "not json": "400",
                                  "a person's token": "201"}[case]
    assert True not in lane.taken
