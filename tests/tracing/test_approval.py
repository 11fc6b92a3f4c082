"""The two-person rule counts notices over a rolling day, per case and per officer: no way of
splitting a send into batches gets more than the threshold out without a second officer."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from kiemdich.accounts.models import Role
from kiemdich.tracing.models import Notice, NoticeBatch
from tests.tracing.conftest import at

pytestmark = pytest.mark.django_db


def make_case(world, officer, tag: int, contacts: int) -> dict:
    """An F0 at a café and `contacts` people who sat there with them."""
    f0 = world.person(f"F0 {tag}", phone=f"+849128{tag:02d}000")
    cafe = world.venue(f"Quán {tag}")
    world.visit(f0, cafe, at(10, 10), at(10, 11))
    people = []
    for n in range(1, contacts + 1):
        person = world.person(f"Người {tag}-{n}", phone=f"+849128{tag:02d}{n:03d}")
        world.visit(person, cafe, at(10, 10, 30), at(10, 11, 30))
        people.append(person.pk)
    response = officer.post("/api/v1/cases", {"person": {"phone": f"09128{tag:02d}000"},
                                              "confirmed_at": at(15, 12).isoformat()})
    assert response.status_code == 201, response.content
    return {"id": response.json()["id"], "people": people}


def notify(officer, case: dict, people: list[int], send: bool = True):
    return officer.post(f"/api/v1/cases/{case['id']}/notice-batches",
                        {"person_ids": people, "send": send})


def test_ticking_in_two_batches_does_not_walk_around_the_approval(world, mai, thu, outbox,
                                                                  settings):
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 5
    case = make_case(world, mai, 1, 8)
    first = notify(mai, case, case["people"][:5])
    assert first.status_code == 201 and first.json()["status"] == "sent"
    second = notify(mai, case, case["people"][5:7])
    assert second.status_code == 201
    assert second.json()["status"] == "pending" and second.json()["needs_approval"] is True
    assert len(outbox.messages()) == 5 and Notice.objects.count() == 5

    own = mai.post(f"/api/v1/notice-batches/{second.json()['id']}/approve")
    assert own.status_code == 403 and own.json()["error"]["code"] == "self_approval"
    approved = thu.post(f"/api/v1/notice-batches/{second.json()['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "sent"
    assert Notice.objects.count() == 7
    # The approved notices count too: the case's day is past the threshold, whoever sends.
    assert notify(thu, case, case["people"][7:]).json()["status"] == "pending"


def test_an_officers_notices_count_across_cases(world, mai, thu, settings):
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 3
    one, two = make_case(world, mai, 3, 2), make_case(world, mai, 4, 2)
    assert notify(mai, one, one["people"]).json()["status"] == "sent"
    held = notify(mai, two, two["people"])
    assert held.json()["status"] == "pending"
    # Another officer, with a day of their own, may warn them (that is a second person).
    assert notify(thu, two, two["people"]).json()["status"] == "sent"


def test_the_day_rolls(world, mai, settings):
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 3
    case = make_case(world, mai, 5, 5)
    assert notify(mai, case, case["people"][:3]).json()["status"] == "sent"
    now = timezone.now()
    Notice.objects.update(sent_at=now - timedelta(hours=23, minutes=59))
    assert notify(mai, case, case["people"][3:4]).json()["status"] == "pending"
    Notice.objects.update(sent_at=now - timedelta(hours=24, minutes=1))
    assert notify(mai, case, case["people"][4:5]).json()["status"] == "sent"


def test_batches_made_ready_are_counted_when_sent(world, mai, thu, outbox, settings):
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 3
    case = make_case(world, mai, 6, 4)
    first = notify(mai, case, case["people"][:2], send=False).json()
    second = notify(mai, case, case["people"][2:], send=False).json()
    assert first["status"] == second["status"] == "ready"
    assert mai.post(f"/api/v1/notice-batches/{first['id']}/send").json()["status"] == "sent"
    held = mai.post(f"/api/v1/notice-batches/{second['id']}/send")
    assert held.status_code == 200
    assert held.json()["status"] == "pending" and held.json()["needs_approval"] is True
    assert len(outbox.messages()) == 2
    again = thu.post(f"/api/v1/notice-batches/{second['id']}/send")
    assert again.status_code == 409 and again.json()["error"]["code"] == "approval_required"
    assert thu.post(f"/api/v1/notice-batches/{second['id']}/approve").json()["notices"] == 2


def test_the_page_says_the_batch_waits(world, mai, settings):
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 2
    case = make_case(world, mai, 7, 3)
    page = Client()
    page.force_login(mai.user)
    url = f"/tracing/{case['id']}/notices/"
    sent = page.post(url, {"person_ids": case["people"][:2]}, follow=True).content.decode()
    assert "Đã gửi thông báo." in sent
    held = page.post(url, {"person_ids": case["people"][2:]}, follow=True).content.decode()
    assert ("Đợt thông báo đang chờ một cán bộ y tế khác phê duyệt: nó vượt quá 2 thông báo "
            "trong 24 giờ của ca bệnh này hoặc của bạn.") in held
    assert NoticeBatch.objects.filter(status="pending").count() == 1


THRESHOLD = 4
CONTACTS = 8
# (which case, which officer, how many contacts, sent at once or made ready and sent later)
STEP = st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(1, THRESHOLD + 1),
                 st.booleans())


@pytest.fixture
def two_cases(world, mai):
    return [make_case(world, mai, 8, CONTACTS), make_case(world, mai, 9, CONTACTS)]


@hypothesis_settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=8))
def test_no_sequence_of_batches_gets_past_the_threshold_unapproved(two_cases, mai, thu,
                                                                    steps):
    officers = [mai, thu]
    with transaction.atomic():
        cache.clear()  # the per-officer rate limits are not what this checks
        with override_settings(TRACING_NOTICE_APPROVAL_THRESHOLD=THRESHOLD):
            case_day, officer_day = [0, 0], [0, 0]
            next_contact = [0, 0]
            for which, who, size, at_once in steps:
                case = two_cases[which]
                people = case["people"][next_contact[which]:next_contact[which] + size]
                if not people:
                    continue
                next_contact[which] += len(people)
                batch = notify(officers[who], case, people, send=at_once).json()
                if not at_once and batch["status"] == "ready":
                    batch = officers[who].post(
                        f"/api/v1/notice-batches/{batch['id']}/send").json()
                fits = (case_day[which] + len(people) <= THRESHOLD
                        and officer_day[who] + len(people) <= THRESHOLD)
                assert batch["status"] == ("sent" if fits else "pending"), (steps, batch)
                if fits:
                    case_day[which] += len(people)
                    officer_day[who] += len(people)
            for case in two_cases:
                assert Notice.objects.filter(case_id=case["id"]).count() <= THRESHOLD
            for officer in officers:
                assert Notice.objects.filter(batch__created_by=officer.user).count() \
                    <= THRESHOLD
        transaction.set_rollback(True)


class SlowGateway(BaseHTTPRequestHandler):
    """An SMS gateway that takes a fifth of a second per message, as busy ones do."""

    def do_POST(self) -> None:  # noqa: N802 - the handler's name is http.server's
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(0.2)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def slow_gateway(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}/"
    yield
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_sends_at_the_same_moment_share_one_allowance(world, make_officer, areas, settings,
                                                      slow_gateway):
    """Two sends at once — one officer on two cases, two officers on one case — would each
    read the count while the other is still texting its contacts, unless they are
    serialised: exactly one goes out. (The audit chain's lock, taken by the tracing query
    before the count, serialises them too; this holds whatever the audit does.) Each round
    has officers of its own, with a fresh day."""
    settings.TRACING_NOTICE_APPROVAL_THRESHOLD = 3

    def officer(n: int):
        return make_officer(f"09129{n:05d}", Role.HEALTH_OFFICER, areas["75"])

    rounds = []
    for n in range(4):
        first, second = officer(2 * n), officer(2 * n + 1)
        one, two = make_case(world, first, 10 + 2 * n, 2), make_case(world, first, 11 + 2 * n, 2)
        rounds.append([(first, one, one["people"]), (first, two, two["people"])])
        both = make_case(world, second, 30 + n, 4)
        rounds.append([(second, both, both["people"][:2]),
                       (officer(50 + n), both, both["people"][2:])])
    for calls in rounds:
        assert sorted(_at_once(calls)) == ["pending", "sent"]


def _at_once(calls) -> list[str]:
    """Make each (officer, case, people) batch from its own thread, all released together;
    the batches' statuses."""
    start = threading.Barrier(len(calls))
    statuses: list[str] = []

    def send(officer, case, people):
        try:
            start.wait()
            statuses.append(notify(officer, case, people).json()["status"])
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
