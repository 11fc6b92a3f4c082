"""The lane (kiemdich.scans.lane: a reader's scans, a visitor's poster check-ins) against the
full stack, on the same rows: the same requests answered with the same status, body and
headers, and what the lane does not take handed to the full stack untouched."""

from __future__ import annotations

import json
from datetime import time

import pytest
import time_machine
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.test import RequestFactory
from django.test.client import ClientHandler
from django.utils import timezone

from kiemdich.accounts import ratelimit
from kiemdich.core import clock
from kiemdich.core.hooks import HookMiddleware
from kiemdich.scans.lane import CHECKIN_PATH, SKIPPED, ScanLane, lane_middleware
from kiemdich.scans.models import Scan, Visit
from tests.scans.conftest import scans_url

pytestmark = pytest.mark.django_db
# Differ by nature between two answers: the request's id.
VARYING = {"X-Request-ID"}


@pytest.fixture(autouse=True)
def _at_local_noon():
    with time_machine.travel(clock.at(clock.today(), time(12)), tick=False):
        yield


def _lane():
    """The lane in front of the full stack, with a record of what it took and of the answers
    it rendered itself (not through ninja's round trip), by status."""
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

    def spy(environ):
        result = take(environ)
        taken.append(result is not None)
        return result

    app._take = spy
    app.taken = taken
    app.dumped = []
    for route in (app.scan, app.checkin):
        for status, dump in route.dumps.items():
            def record(value, dump=dump, status=status):
                body = dump(value)
                app.dumped.append(status)
                return body

            route.dumps[status] = record
    return app


@pytest.fixture
def lane():
    return _lane()


def _call(app, path: str, body, auth: str | None, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    environ = RequestFactory().post(path, data=data, content_type="application/json",
                                    **headers, **extra).environ
    answer = {}
    # An id the caller offers is echoed: the same on both paths.
    varying = set() if "HTTP_X_REQUEST_ID" in extra else VARYING

    def start_response(status, headers, exc_info=None):
        answer["status"] = status
        answer["headers"] = sorted((k, v) for k, v in headers if k not in varying)

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
    # The answer's length is right on each path, but the two differ when a new row's id has
    # one digit more than the other's (the rows of one path are rolled back, not their ids).
    answer["headers"] = [(k, "(right)" if k == "Content-Length" and v == str(len(content))
                          else v) for k, v in answer["headers"]]
    answer["body"] = json.loads(content)
    # Ids differ by nature too: the second path's rows are new ones.
    answer["body"].pop("scan_id", None)
    for scan in answer["body"].get("scans", ()):
        scan.pop("scan_id")
    return answer


def _both(lane, settings, path, body, auth, **extra):
    """The same request through the lane and through the full stack, from the same rows."""
    answers = []
    for on in (True, False):
        settings.SCAN_LANE = on
        point = transaction.savepoint()
        answers.append(_call(lane, path, body, auth, **extra))
        answers[-1]["scans"] = list(Scan.objects.order_by("id").values_list(
            "person_id", "direction", "accepted", "reason", "response", "code_format",
            "method"))
        answers[-1]["visits"] = list(Visit.objects.order_by("id").values_list(
            "person_id", "entered_at", "left_at"))
        transaction.savepoint_rollback(point)
    return answers


def test_an_accepted_scan_is_answered_alike(lane, settings, venue, reader, lan_code):
    body = {"code": lan_code, "direction": "in", "nonce": "lane-1"}
    fast, full = _both(lane, settings, scans_url(venue), body, f"Device {reader}")
    assert fast["headers"] == full["headers"]
    assert fast == full
    assert fast["status"] == "201 Created"
    assert lane.taken == [True]
    assert lane.dumped == [201]


@pytest.mark.parametrize("case", ["replay", "refused code", "rate limited", "english",
                                  "language cookie", "request id", "https", "foreign host"])
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
    elif case == "english":
        extra["HTTP_ACCEPT_LANGUAGE"] = "en"
        body["code"] = "KD1.not-a-code"
    elif case == "language cookie":
        extra["HTTP_COOKIE"] = f"{settings.LANGUAGE_COOKIE_NAME}=en"
        body["code"] = "KD1.not-a-code"
    elif case == "request id":
        extra["HTTP_X_REQUEST_ID"] = "reader-7f3a9c01"
    elif case == "https":
        extra["secure"] = True
    else:
        extra["HTTP_HOST"] = "kiemdich.example.net"
    fast, full = _both(lane, settings, scans_url(venue), body, f"Device {reader}", **extra)
    assert fast == full
    assert fast["status"][:3] == {"replay": "200", "refused code": "422",
                                  "rate limited": "429", "english": "422",
                                  "language cookie": "422", "request id": "201",
                                  "https": "201", "foreign host": "400"}[case]
    assert lane.taken[-1] is True
    headers = dict(fast["headers"])
    assert headers["Content-Language"] == ("en" if case in ("english", "language cookie")
                                           else "vi")
    # A refused host is answered where the chain checks it: before the session is read and
    # the frame options set, as the full stack answers it.
    assert headers["Vary"] == ("Accept-Language" if case == "foreign host"
                               else "Accept-Language, Cookie")
    assert headers.get("X-Frame-Options") == (None if case == "foreign host" else "DENY")
    assert headers["Cache-Control"] == "private, no-store"
    assert "Content-Security-Policy" in headers
    assert ("Strict-Transport-Security" in headers) is (case == "https")
    if case == "request id":
        assert headers["X-Request-ID"] == "reader-7f3a9c01"
    if case in ("refused code", "request id", "https"):
        assert lane.dumped[-1] == int(fast["status"][:3])


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


def _checkin(venue, person, direction="in"):
    return {"venue_code": venue.code, "person_ids": [person.pk], "direction": direction}


@pytest.mark.parametrize("case", ["in", "out", "rate limited", "unknown poster",
                                  "someone else", "english"])
def test_the_lane_answers_a_poster_checkin_as_the_full_stack(case, lane, settings, venue, lan,
                                                             lan_person, hoa):
    body, extra = _checkin(venue, lan_person), {}
    if case == "out":
        body["direction"] = "out"
    elif case == "rate limited":
        assert ratelimit.take(f"self-checkin:user:{lan.user.pk}", 60, 60, 60).granted == 60
    elif case == "unknown poster":
        body["venue_code"] = "nope"
    elif case == "someone else":
        body["person_ids"] = [hoa.user.people.get(is_self=True).pk]
    elif case == "english":
        extra["HTTP_ACCEPT_LANGUAGE"] = "en"
        body["venue_code"] = "nope"
    fast, full = _both(lane, settings, CHECKIN_PATH, body, f"Bearer {lan.token}", **extra)
    assert fast["headers"] == full["headers"]
    assert fast == full
    assert fast["status"][:3] == {"in": "201", "out": "201", "rate limited": "429",
                                  "unknown poster": "404", "someone else": "404",
                                  "english": "404"}[case]
    assert lane.taken == [True]
    if case in ("in", "out"):
        assert lane.dumped == [201]
    if case == "in":
        assert [s[:2] for s in fast["scans"]] == [(lan_person.pk, "in")]
        assert fast["visits"] == [(lan_person.pk, timezone.now(), None)]


@pytest.mark.parametrize("case", ["wrong token", "bad body", "not json", "a device's token",
                                  "a session cookie"])
def test_what_the_lane_does_not_take_of_checkins_goes_to_the_full_stack(
        case, lane, settings, venue, lan, lan_person, reader):
    body, auth, extra = _checkin(venue, lan_person), f"Bearer {lan.token}", {}
    if case == "wrong token":
        auth = "Bearer kd_nobody"
    elif case == "bad body":
        body["direction"] = "sideways"
    elif case == "not json":
        body = "{not json"
    elif case == "a device's token":
        auth = f"Device {reader}"
    else:
        extra["HTTP_COOKIE"] = f"{settings.SESSION_COOKIE_NAME}=not-a-session"
    fast, full = _both(lane, settings, CHECKIN_PATH, body, auth, **extra)
    assert fast == full
    assert fast["status"][:3] == {"wrong token": "401", "bad body": "422", "not json": "400",
                                  "a device's token": "401", "a session cookie": "201"}[case]
    assert True not in lane.taken


def test_the_lane_sends_the_request_signals(lane, settings, venue, reader, lan_code):
    """The database connections' age and health are checked on them in production (the
    test, as Django's test client, takes close_old_connections off them)."""
    seen = []

    def started(sender, **kwargs):
        seen.append("started")

    def finished(sender, **kwargs):
        seen.append("finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        answer = _call(lane, scans_url(venue), {"code": lan_code, "direction": "in"},
                       f"Device {reader}")
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert answer["status"].startswith("201")
    assert lane.taken == [True]
    assert seen == ["started", "finished"]


def test_every_middleware_is_run_by_the_lane_or_accounted_for(settings):
    lane = ScanLane(lambda environ, start_response: [])
    assert lane.layers is not None
    assert len(lane.layers) == len(lane_middleware())
    assert set(settings.MIDDLEWARE) <= set(lane_middleware()) | set(SKIPPED)


class Stamp(HookMiddleware):
    """A new middleware whose work is all in its hooks."""

    def process_response(self, request, response):
        response["X-Stamp"] = "stamped"
        return response


class Wrapping:
    """A new middleware doing its work in __call__, which the lane cannot run."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Wrapped"] = "yes"
        return response


@pytest.mark.parametrize("added", ["Stamp", "Wrapping"])
def test_a_new_middleware_is_run_by_the_lane_or_turns_it_off(added, settings, venue, reader,
                                                              lan_code):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"tests.scans.test_lane.{added}"]
    lane = _lane()
    body = {"code": lan_code, "direction": "in", "nonce": "lane-3"}
    fast, full = _both(lane, settings, scans_url(venue), body, f"Device {reader}")
    assert fast == full
    assert fast["status"].startswith("201")
    if added == "Stamp":
        assert ("X-Stamp", "stamped") in fast["headers"]
        assert lane.taken == [True]
    else:
        assert ("X-Wrapped", "yes") in fast["headers"]
        assert lane.layers is None
        assert lane.taken == []


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_a_checkin_pins_its_account_to_the_leader_on_both_paths(lane, settings, venue, lan,
                                                                 lan_person):
    """With a replica (its settings only: nothing here reads from it), a check-in's account
    reads from the leader afterwards, whichever path answered it."""
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}
    pinned = []
    for on in (True, False):
        settings.SCAN_LANE = on
        cache.delete(f"leader-pin:{lan.user.pk}")
        point = transaction.savepoint()
        answer = _call(lane, CHECKIN_PATH, _checkin(venue, lan_person), f"Bearer {lan.token}")
        transaction.savepoint_rollback(point)
        pinned.append((answer["status"][:3], cache.get(f"leader-pin:{lan.user.pk}")))
    assert pinned == [("201", 1), ("201", 1)]
    assert lane.taken == [True]
