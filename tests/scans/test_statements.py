"""The hot path's SQL against its ORM twin, on the same rows (PostgreSQL, where both exist).

The state of a person (today's declaration, last scan and latest visit at the venue, the
card's validity) read as SQL and through the ORM; and a whole scan taken in one statement
(`statements.accept_in_one`, the visit rule in SQL) and through the general path (ORM reads,
`visits.step` in Python, a transaction) from the same rows: the answers, the stored scan and
its nonce, and the visits must be the same.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiemdich.core import clock
from kiemdich.declarations.models import Declaration
from kiemdich.people.codes import issue_app_code
from kiemdich.people.models import Person
from kiemdich.scans import services, statements
from kiemdich.scans.access import Scanner
from kiemdich.scans.models import Scan, ScanNonce, Visit
from kiemdich.scans.services import ScanInput
from kiemdich.venues.devices import device_for_token

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="the SQL twin is PostgreSQL's; SQLite runs the ORM path only"),
]


@pytest.fixture(autouse=True)
def _at_local_noon():
    with time_machine.travel(clock.at(clock.today(), time(12)), tick=False):
        yield


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


@pytest.mark.parametrize(("history", "declared"), HISTORIES)
@pytest.mark.parametrize(("direction", "minutes_ago"), SCANS)
def test_one_statement_and_the_general_path_leave_the_same_rows(
        venue, gate, lan_person, monkeypatch, history, declared, direction, minutes_ago):
    _history(venue, gate, lan_person, history, declared)
    results = []
    for general in (False, True):
        point = transaction.savepoint()
        with monkeypatch.context() as patch:
            if general:
                _general_only(patch)
            outcome = _scan(venue, gate, lan_person, direction, minutes_ago, nonce="cmp-1")
            results.append(_result(outcome, lan_person, venue))
        transaction.savepoint_rollback(point)
    fast, general = results
    assert fast == general
    assert fast["status"] == 201 and fast["answered_id"]


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
