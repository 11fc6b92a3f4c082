"""The hot path's SQL against its ORM twin, on the same rows (PostgreSQL, where both exist).

The state of a person (today's declaration, last scan and latest visit at the venue, the
card's validity) read as SQL and through the ORM; and a whole scan taken in one statement
(`statements.accept_in_one`, the visit rule in SQL) and through the general path (ORM reads,
`visits.step` in Python, a transaction) from the same rows: the answers, the stored scan and
its nonce, and the visits must be the same — on an ordinary day, across midnight, and on a
day without its own partition (its rows in DEFAULT), before and after that partition is made.
The statements are prepared from their first run here (generic plans, as in production after
a few runs), and a scan locks only its own day's partitions.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiemdich.core import clock
from kiemdich.core.errors import DomainError
from kiemdich.declarations.models import Declaration
from kiemdich.people.codes import issue_app_code
from kiemdich.people.models import Person
from kiemdich.scans import partitions, services, statements
from kiemdich.scans.access import Scanner
from kiemdich.scans.models import Scan, ScanNonce, Visit
from kiemdich.scans.services import ScanInput
from kiemdich.venues.devices import device_for_token
from kiemdich.venues.services import venue_by_code

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="the SQL twin is PostgreSQL's; SQLite runs the ORM path only"),
]


@pytest.fixture(autouse=True)
def _at_local_noon():
    with time_machine.travel(clock.at(clock.today(), time(12)), tick=False):
        yield


@pytest.fixture(autouse=True)
def _prepared_at_once(db):
    """Every server-bound statement prepared at its first run (psycopg), so these tests run
    the generic plans production runs after DB_PREPARE_THRESHOLD runs."""
    connection.ensure_connection()
    raw = connection.connection
    threshold, raw.prepare_threshold = raw.prepare_threshold, 0
    yield
    raw.prepare_threshold = threshold


@pytest.fixture
def gate(venue, reader) -> Scanner:
    return Scanner(None, device_for_token(reader))


def _declare(person: Person, sick: bool) -> None:
    Declaration.objects.create(person=person, created_at=timezone.now(),
                               local_date=clock.today(), fever=sick, has_symptoms=sick)


def _scan(venue, gate, person, direction: str, minutes_ago: float, nonce: str | None = None,
          code: str | None = None):
    now = timezone.now()
    code = code or issue_app_code(person.public_id, now)[0]
    item = ScanInput(direction=direction, code=code, nonce=nonce,
                     scanned_at=now - timedelta(minutes=minutes_ago))
    return services.ingest(venue, gate, item, now=now)


def _general_only(monkeypatch) -> None:
    monkeypatch.setattr(services, "_accept_in_one", lambda *args: None)


# Histories before the scan compared: (direction, minutes ago) of earlier scans that day, and
# today's declaration (None: none).
HISTORIES = [
    ([], None),
    ([], False),
    ([], True),
    ([("in", 30)], None),  # an open visit
    ([("in", 2)], False),  # ... entered a moment ago: a repeat of "in"
    ([("in", 30), ("out", 20)], None),  # closed
    ([("in", 30), ("out", 2)], True),  # ... left a moment ago: a repeat of "out"
    ([("out", 40)], None),  # an exit only
    ([("in", 50), ("out", 40), ("in", 30)], False),  # entered again
]
SCANS = [("in", 0), ("out", 0), ("in", 10), ("out", 1)]  # the last ones may be late


def _history(venue, gate, person, scans, declared) -> None:
    if declared is not None:
        _declare(person, declared)
    for direction, minutes_ago in scans:
        assert _scan(venue, gate, person, direction, minutes_ago).status == 201


def _result(outcome, person, venue) -> dict:
    scan = Scan.objects.filter(venue_id=venue.pk).order_by("-id").first()
    nonce = ScanNonce.objects.filter(venue_id=venue.pk, scan_id=scan.pk).values_list(
        "nonce", "scanned_at").first()
    visits = list(Visit.objects.filter(venue_id=venue.pk, person=person)
                  .order_by("day", "entered_at", "left_at")
                  .values_list("entered_at", "left_at", "closes_at", "entry_method",
                               "exit_method", "day"))
    stored = {f.attname: getattr(scan, f.attname) for f in statements.SCAN_FIELDS}
    body = {k: v for k, v in outcome.body.items() if k != "scan_id"}
    return {"status": outcome.status, "body": body, "scan": stored, "nonce": nonce,
            "visits": visits, "answered_id": outcome.body.get("scan_id") == scan.pk}


def _both_ways(venue, gate, person, monkeypatch, direction, minutes_ago) -> dict:
    """The same scan through the one statement and through the general path, each from the
    same rows (a savepoint rolled back between them): what they leave must be the same."""
    results = []
    for general in (False, True):
        point = transaction.savepoint()
        with monkeypatch.context() as patch:
            if general:
                _general_only(patch)
            outcome = _scan(venue, gate, person, direction, minutes_ago, nonce="cmp-1")
            results.append(_result(outcome, person, venue))
        transaction.savepoint_rollback(point)
    fast, general = results
    assert fast == general
    assert fast["status"] == 201 and fast["answered_id"]
    return fast


@pytest.mark.parametrize(("history", "declared"), HISTORIES)
@pytest.mark.parametrize(("direction", "minutes_ago"), SCANS)
def test_one_statement_and_the_general_path_leave_the_same_rows(
        venue, gate, lan_person, monkeypatch, history, declared, direction, minutes_ago):
    _history(venue, gate, lan_person, history, declared)
    _both_ways(venue, gate, lan_person, monkeypatch, direction, minutes_ago)


# Around midnight (now: 00:00:30 local): earlier scans (direction, seconds ago), the scan
# compared (direction, seconds ago: 30 is midnight itself, the new day's first instant) and
# what it does to the visits.
MIDNIGHT = [
    ([("in", 90)], "out", 10, "exit_only"),  # entered yesterday: today's exit is alone
    ([("in", 90)], "in", 30, "opened"),  # at midnight: a visit of the new day, no repeat
    ([("in", 20)], "out", 10, "closed"),  # entered today: closed
    ([("in", 40)], "in", 30.000001, "repeat"),  # yesterday's last microsecond: yesterday's
]


@pytest.mark.parametrize(("history", "direction", "seconds_ago", "visit"), MIDNIGHT)
def test_at_midnight_both_paths_cut_the_day_alike(venue, gate, lan_person, monkeypatch,
                                                  history, direction, seconds_ago, visit):
    midnight = clock.at(clock.today() + timedelta(days=1))
    with time_machine.travel(midnight + timedelta(seconds=30), tick=False):
        _history(venue, gate, lan_person, [(d, ago / 60) for d, ago in history], None)
        fast = _both_ways(venue, gate, lan_person, monkeypatch, direction, seconds_ago / 60)
    assert fast["body"]["visit"] == visit


def _partitions_locked() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = "
                       "l.relation WHERE l.pid = pg_backend_pid() AND c.relkind = 'r' AND "
                       "c.relname ~ '^scans_(scan|visit)_(p|default)'")
        return {row[0] for row in cursor.fetchall()}


def test_a_scan_locks_only_its_days_partitions(venue, gate, lan_person):
    day = clock.today()
    assert _scan(venue, gate, lan_person, "in", 30).status == 201  # prepared, then run
    assert _scan(venue, gate, lan_person, "out", 0).body["visit"] == "closed"
    assert _partitions_locked() == {f"scans_scan_p{day:%Y%m%d}", f"scans_visit_p{day:%Y%m%d}"}


def test_a_day_without_its_partition_and_after_it_is_made(venue, gate, lan_person,
                                                          monkeypatch):
    day = clock.today() + timedelta(days=partitions.AHEAD_DAYS + 30)
    assert day not in partitions.existing("scans_scan")
    with time_machine.travel(clock.at(day, time(12)), tick=False):
        _history(venue, gate, lan_person, [("in", 30)], False)
        assert _partitions_locked() == {"scans_scan_default", "scans_visit_default"}
        _both_ways(venue, gate, lan_person, monkeypatch, "in", 0)
        # The day's partitions made while the statements are prepared: the rows move out of
        # DEFAULT and the statements, planned again, read them there.
        assert partitions.ensure(day, day) == 2
        closed = _both_ways(venue, gate, lan_person, monkeypatch, "out", 0)
    assert closed["body"]["visit"] == "closed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tableoid::regclass::text FROM scans_visit "
                       "WHERE venue_id = %s", [venue.pk])
        assert [row[0] for row in cursor.fetchall()] == [f"scans_visit_p{day:%Y%m%d}"]


def test_an_in_order_scan_is_one_statement(venue, gate, lan_person):
    _history(venue, gate, lan_person, [("in", 30)], False)
    with CaptureQueriesContext(connection) as queries:
        outcome = _scan(venue, gate, lan_person, "out", 0, nonce="one-1")
    assert outcome.status == 201 and outcome.body["visit"] == "closed"
    work = [q["sql"] for q in queries if not q["sql"].upper().startswith(
        ("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(work) == 1, work


@pytest.mark.parametrize("case", ["unknown person", "revoked card", "late", "special venue"])
def test_what_one_statement_does_not_write_the_general_path_answers_alike(
        case, venue, hospital, gate, lan_person, card_of, monkeypatch):
    target, code, minutes_ago = venue, None, 0
    if case == "unknown person":
        ghost = Person.objects.create(full_name="Người đã xoá")
        code = issue_app_code(ghost.public_id, timezone.now())[0]
        ghost.delete()
    elif case == "revoked card":
        code = card_of(lan_person, revoked=True)
    elif case == "late":
        _history(venue, gate, lan_person, [("in", 5)], None)
        minutes_ago = 20
    else:
        target = hospital
        gate = Scanner(lan_person.account, None)
    results = []
    for general in (False, True):
        point = transaction.savepoint()
        with monkeypatch.context() as patch:
            if general:
                _general_only(patch)
            outcome = _scan(target, gate, lan_person, "in", minutes_ago, nonce="cmp-2",
                            code=code)
            scan = Scan.objects.order_by("-id").first()
            results.append((outcome.status,
                            {k: v for k, v in outcome.body.items() if k != "scan_id"},
                            scan.accepted, scan.reason, scan.response, scan.person_id))
        transaction.savepoint_rollback(point)
    assert results[0] == results[1]


def _states(venue, people, serial=None):
    day = clock.today()
    sql = [statements.state_by_public_id(venue.pk, day, p.public_id, serial) for p in people]
    orm = [statements.with_state_orm(Person.objects.filter(pk=p.pk), venue.pk, day,
                                     serial=serial)[0] for p in people]
    return [(p.pk, s) for p, s in sql], [(p.pk, s) for p, s in orm]


def test_the_state_read_as_sql_and_through_the_orm_agree(venue, gate, lan_person, lan,
                                                         card_of):
    from kiemdich.people.services import add_dependant

    others = [add_dependant(lan.user, {"full_name": f"Con {n}",
                                       "birth_date": date(2015, 1, n + 1)}) for n in range(3)]
    _history(venue, gate, others[0], [("in", 30)], True)
    _history(venue, gate, others[1], [("in", 30), ("out", 10)], False)
    _history(venue, gate, others[2], [("out", 10)], None)
    people = [lan_person, *others]
    sql, orm = _states(venue, people)
    assert sql == orm
    assert [state.visit_open for _pk, state in sql] == [False, True, False, False]
    assert [state.sick for _pk, state in sql] == [None, True, False, None]
    card = card_of(others[0])
    serial = services.parse_scanned(card, now=timezone.now()).claims.serial
    sql, orm = _states(venue, people, serial)
    assert sql == orm
    assert [state.card_valid for _pk, state in sql] == [False, True, False, False]
    account_sql = statements.state_for_account(venue.pk, clock.today(), lan.user.pk,
                                               sorted(p.pk for p in people))
    account_orm = statements.with_state_orm(
        Person.objects.filter(account=lan.user).order_by("-is_self", "pk"), venue.pk,
        clock.today())
    assert [(p.pk, s) for p, s in account_sql] == [(p.pk, s) for p, s in account_orm]
    assert account_sql[0][0].pk == lan_person.pk


# The visitor's check-in at the poster: one statement (`statements.checkin_in_one`) and the
# general path from the same rows, for the account's person and a dependant together.

@pytest.fixture
def family(lan, lan_person) -> list[Person]:
    from kiemdich.people.services import add_dependant

    child = add_dependant(lan.user, {"full_name": "Con Lan", "birth_date": date(2015, 1, 2)})
    return [lan_person, child]


def _checkin_result(answer, venue, people) -> dict:
    scans = list(Scan.objects.filter(venue_id=venue.pk, method="self").order_by("id"))
    visits = list(Visit.objects.filter(venue_id=venue.pk, person__in=people)
                  .order_by("person_id", "day", "entered_at", "left_at")
                  .values_list("person_id", "entered_at", "left_at", "closes_at",
                               "entry_method", "exit_method", "day"))
    answered = [{k: v for k, v in row.items() if k != "scan_id"} for row in answer["scans"]]
    return {"answer": {**answer, "scans": answered}, "visits": visits,
            "scans": [{f.attname: getattr(s, f.attname) for f in statements.SCAN_FIELDS}
                      for s in scans],
            "answered_ids": [row["scan_id"] for row in answer["scans"]] == [s.pk for s in scans]}


def _checkin_both_ways(venue, lan, people, monkeypatch, direction) -> dict:
    results = []
    for general in (False, True):
        point = transaction.savepoint()
        with monkeypatch.context() as patch:
            if general:
                patch.setattr(services, "_checkin_in_one", lambda *args: None)
            try:
                answer = services.self_checkin(lan.user, venue.code, [p.pk for p in people],
                                               direction)
                results.append(_checkin_result(answer, venue, people))
            except DomainError as refusal:
                results.append({"refused": refusal.as_dict(),
                                "written": Scan.objects.filter(method="self").exists()})
        transaction.savepoint_rollback(point)
    fast, general = results
    assert fast == general
    return fast


@pytest.mark.parametrize(("history", "declared"), HISTORIES)
@pytest.mark.parametrize("direction", ["in", "out"])
def test_a_check_in_in_one_statement_and_the_general_path_leave_the_same_rows(
        venue, gate, lan, family, monkeypatch, history, declared, direction):
    _history(venue, gate, family[0], history, declared)  # the child has no history
    fast = _checkin_both_ways(venue, lan, family, monkeypatch, direction)
    assert fast["answered_ids"] and len(fast["scans"]) == 2


def test_a_check_in_is_one_statement(venue, gate, lan, family):
    _history(venue, gate, family[0], [("in", 30)], False)
    venue_by_code(venue.code)  # cached, as on a server after the poster's first check-in
    with CaptureQueriesContext(connection) as queries:
        answer = services.self_checkin(lan.user, venue.code, [p.pk for p in family], "out")
    assert [row["visit"] for row in answer["scans"]] == ["closed", "exit_only"]
    work = [q["sql"] for q in queries if not q["sql"].upper().startswith(
        ("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(work) == 1, work


@pytest.mark.parametrize("case", ["late", "someone else's person", "special venue"])
def test_what_the_check_in_statement_does_not_write_the_general_path_answers_alike(
        case, venue, hospital, gate, lan, family, binh, monkeypatch):
    target, people = venue, family
    if case == "late":  # a reader's scan a little ahead of the server's clock
        _scan(venue, gate, family[1], "in", -0.5)
    elif case == "someone else's person":
        people = [family[0], Person.objects.get(account=binh.user, is_self=True)]
    else:
        target = hospital
    fast = _checkin_both_ways(target, lan, people, monkeypatch, "in")
    if case == "late":
        assert [row["visit"] for row in fast["answer"]["scans"]] == ["opened", "rederived"]
    elif case == "someone else's person":
        assert fast == {"refused": fast["refused"], "written": False}
        assert fast["refused"]["error"]["code"] == "person_not_found"
