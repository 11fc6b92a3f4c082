"""The scan hot path's SQL, in one place, with typed results.

What the ingest needs to know of a person at a venue on a day is a `PersonState` (today's
declaration, their last accepted scan and latest visit there, whether the card shown is
valid), read with the person in one query. Two ways to read it:

- `with_state_orm`: the ORM query, on every database (SQLite, and on PostgreSQL the rarer
  lookups: by phone, by ID number);
- `state_by_public_id` / `state_for_account`: the same read as SQL written once, prepared
  (PostgreSQL): building and compiling the ORM query was most of a scan's CPU.

And on PostgreSQL an accepted scan of a platform code is one statement, one round trip, one
implicit transaction (`accept_in_one`): the state read, the visit rule, the scan with its
nonce and the visit write. It writes only the common case — a known person, a scan in time
order at an ordinary venue — and otherwise writes nothing and says why, and the caller takes
the general path (ORM reads, Python rules, a transaction). The visit rule in it is
`visits.step` written in SQL; tests/scans/test_statements.py runs both paths on the same
rows and compares the scans, visits and answers they leave. A visitor's check-in at the
poster is one statement the same way (`checkin_in_one`: the account's people, their scans
and visit writes), all or nothing: a person not the account's, or a late scan among them,
writes nothing.

The day is written into these statements as constants (`DayConstants`), not bound as a
parameter: scans and visits are partitioned by day (scans.partitions), and only constants
let PostgreSQL prune the other days' partitions when it plans. A generic plan given the day
as a parameter keeps every day partition in it, locks them all at each run and prunes only
when it executes. So each statement is one text per day (prepared per connection like any
other); a day without its own partition plans its DEFAULT partition instead, and a partition
made or dropped later makes PostgreSQL plan the statement again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    Field,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from kiemdich.core.clock import day_bounds
from kiemdich.core.db import execute, instance_from_row, model_field, prepared_cursor
from kiemdich.declarations.models import Declaration
from kiemdich.people.models import Credential, Person
from kiemdich.scans.models import Direction, Scan, ScanNonce, Visit
from kiemdich.scans.visits import Action

DECLARED, NOT_DECLARED, SYMPTOMS = "declared", "not_declared", "symptoms"


@dataclass(frozen=True, slots=True)
class PersonState:
    """A person at one venue on one local day, as the ingest sees them before a scan."""

    sick: bool | None = None  # today's latest declaration: None when there is none
    last_at: datetime | None = None  # their last accepted scan there that day
    last_direction: str | None = None
    visit_id: int | None = None  # their latest visit there that day
    visit_open: bool = False  # ... entered and not left
    card_valid: bool | None = None  # the card serial shown is theirs and not revoked


# A person just made: no declaration, scan or visit, nothing to ask the database.
FRESH = PersonState()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(field: Field) -> str:
    assert field.column is not None  # every concrete field has one
    return field.column


# The ORM read ---------------------------------------------------------------------------

def with_state_orm(people: QuerySet[Person], venue_id: int, day: date,
                   serial: int | None = None) -> list[tuple[Person, PersonState]]:
    """The people of a query (in its order) with their state, in one query."""
    start, end = day_bounds(day)
    declarations = Declaration.objects.filter(person_id=OuterRef("pk"), local_date=day) \
        .order_by("-id")
    last_scan = Scan.objects.filter(venue_id=venue_id, person_id=OuterRef("pk"), accepted=True,
                                    scanned_at__gte=start, scanned_at__lt=end) \
        .order_by("-scanned_at", "-id")
    latest_visit = Visit.objects.filter(venue_id=venue_id, person_id=OuterRef("pk"), day=day) \
        .order_by("-id")
    is_open = ExpressionWrapper(Q(entered_at__isnull=False, left_at__isnull=True),
                                output_field=BooleanField())
    annotated = people.annotate(
        kd_sick=Subquery(declarations.values("has_symptoms")[:1]),
        kd_last_at=Subquery(last_scan.values("scanned_at")[:1]),
        kd_last_direction=Subquery(last_scan.values("direction")[:1]),
        kd_visit_id=Subquery(latest_visit.values("id")[:1]),
        kd_visit_open=Subquery(latest_visit.annotate(open=is_open).values("open")[:1]))
    if serial is not None:
        # The revocation check of people.services.check_card_serial, folded into the query.
        annotated = annotated.annotate(kd_card_valid=Exists(Credential.objects.filter(
            serial=serial, person_id=OuterRef("pk"), revoked_at__isnull=True)))
    return [(person, PersonState(
        sick=person.kd_sick, last_at=person.kd_last_at, last_direction=person.kd_last_direction,
        visit_id=person.kd_visit_id, visit_open=bool(person.kd_visit_open),
        card_valid=getattr(person, "kd_card_valid", None))) for person in annotated]


# The same read as SQL (PostgreSQL) --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DayConstants:
    """A local day and its two midnights as SQL literals (see the module's doc); the day
    untyped, which PostgreSQL reads as the date column's type and SQLite as the text it
    stores (the close of a visit runs on both)."""

    day: str
    start: str
    stop: str


def day_constants(day: date) -> DayConstants:
    # Built from a date and the instants clock.day_bounds derives from it: never user text.
    start, stop = day_bounds(day)
    return DayConstants(f"'{day.isoformat()}'", f"TIMESTAMPTZ '{start.isoformat()}'",
                        f"TIMESTAMPTZ '{stop.isoformat()}'")


def _state_columns(day: DayConstants) -> str:
    """The person's columns and their state's, from `people_person p` (the FROM and joins of
    `_state_from`)."""
    columns = ", ".join(f"p.{_quote(_column(f))}" for f in Person._meta.concrete_fields)
    return (f"{columns}, "  # noqa: S608 (model names and day constants only)
            f"(SELECT d.has_symptoms FROM {_quote(Declaration._meta.db_table)} d "
            f"WHERE d.person_id = p.id AND d.local_date = {day.day} ORDER BY d.id DESC LIMIT 1) "
            "AS sick, ls.scanned_at AS last_at, ls.direction AS last_direction, "
            "lv.id AS visit_id, COALESCE(lv.entered_at IS NOT NULL AND lv.left_at IS NULL, "
            "false) AS visit_open, "
            f"EXISTS (SELECT 1 FROM {_quote(Credential._meta.db_table)} c "
            "WHERE c.serial = a.serial AND c.person_id = p.id AND c.revoked_at IS NULL) "
            "AS card_valid")


def _state_from(day: DayConstants) -> str:
    """`people_person p`, its last accepted scan at the venue that day (`ls`) and its latest
    visit there that day (`lv`), for the venue in `a`."""
    scans, visits = _quote(Scan._meta.db_table), _quote(Visit._meta.db_table)
    return (f"{_quote(Person._meta.db_table)} p "  # noqa: S608 (model names, day constants)
            f"LEFT JOIN LATERAL (SELECT s.scanned_at, s.direction FROM {scans} s "
            "WHERE s.venue_id = a.venue AND s.person_id = p.id AND s.accepted "
            f"AND s.scanned_at >= {day.start} AND s.scanned_at < {day.stop} "
            "ORDER BY s.scanned_at DESC, s.id DESC LIMIT 1) ls ON true "
            f"LEFT JOIN LATERAL (SELECT v.id, v.entered_at, v.left_at FROM {visits} v "
            f"WHERE v.venue_id = a.venue AND v.person_id = p.id AND v.day = {day.day} "
            "ORDER BY v.id DESC LIMIT 1) lv ON true")


# Every parameter once, typed: psycopg binds them on the server, where a parameter used in two
# places could be deduced two types.
_STATE_ARGS = "%(venue)s::bigint AS venue, %(serial)s::bigint AS serial"


@lru_cache(maxsize=16)  # a few days (late uploads) of both kinds
def _state_sql(by_account: bool, day: DayConstants) -> str:
    where = ("p.account_id = %(account)s AND p.id = ANY(%(people)s) "
             "ORDER BY p.is_self DESC, p.id") if by_account else "p.public_id = %(person)s"
    return (f"WITH a AS (SELECT {_STATE_ARGS}) "  # noqa: S608 (model names, day constants)
            f"SELECT {_state_columns(day)} FROM a, {_state_from(day)} WHERE {where}")


def state_sql(by_account: bool, day: date) -> str:
    return _state_sql(by_account, day_constants(day))


_STATE_FIELDS = len(PersonState.__slots__)


def _typed(rows: Sequence[Sequence[Any]], serial: int | None) -> list[tuple[Person, PersonState]]:
    people = []
    for row in rows:
        person, rest = instance_from_row(Person, row)
        assert isinstance(person, Person)
        sick, last_at, last_direction, visit_id, visit_open, card_valid = rest[:_STATE_FIELDS]
        people.append((person, PersonState(
            sick=sick, last_at=last_at, last_direction=last_direction, visit_id=visit_id,
            visit_open=visit_open, card_valid=card_valid if serial is not None else None)))
    return people


def state_by_public_id(venue_id: int, day: date, public_id: int,
                       serial: int | None) -> tuple[Person, PersonState] | None:
    with prepared_cursor() as cursor:
        execute(cursor, state_sql(False, day), {"venue": venue_id, "serial": serial,
                                                "person": public_id})
        found = _typed(cursor.fetchall(), serial)
    return found[0] if found else None


def state_for_account(venue_id: int, day: date, account: int,
                      people: list[int]) -> list[tuple[Person, PersonState]]:
    """An account's chosen people, itself first, with their state."""
    with prepared_cursor() as cursor:
        execute(cursor, state_sql(True, day), {"venue": venue_id, "serial": None,
                                               "account": account, "people": people})
        return _typed(cursor.fetchall(), None)


# Writes -----------------------------------------------------------------------------------

SCAN_FIELDS = [f for f in Scan._meta.concrete_fields if not f.primary_key]
VISIT_FIELDS = [f for f in Visit._meta.concrete_fields if not f.primary_key]
# SET left_at, closes_at, exit_method WHERE id, venue_id (the day is a constant)
VISIT_CLOSE_FIELDS = [model_field(Visit, name) for name in
                      ("left_at", "closes_at", "exit_method", "id", "venue")]


def db_values(obj: Any, fields: list[Field]) -> list[Any]:
    return [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]


@cache
def scan_insert_sql(with_nonce: bool) -> str:
    """The scan, and its nonce when it has one, in one statement (PostgreSQL: a CTE)."""
    columns = ", ".join(_quote(_column(f)) for f in SCAN_FIELDS)
    insert = (f"INSERT INTO {_quote(Scan._meta.db_table)} ({columns}) "  # noqa: S608
              f"VALUES ({', '.join(['%s'] * len(SCAN_FIELDS))})")
    if not with_nonce:
        return f"{insert} RETURNING id"
    return (f"WITH s AS ({insert} RETURNING id, venue_id, nonce, scanned_at), "  # noqa: S608
            f"n AS (INSERT INTO {_quote(ScanNonce._meta.db_table)} "
            "(venue_id, nonce, scan_id, scanned_at) SELECT venue_id, nonce, id, scanned_at "
            "FROM s) SELECT id FROM s")


@cache
def visit_insert_sql() -> str:
    return (f"INSERT INTO {_quote(Visit._meta.db_table)} "  # noqa: S608 (model names only)
            f"({', '.join(_quote(_column(f)) for f in VISIT_FIELDS)}) "
            f"VALUES ({', '.join(['%s'] * len(VISIT_FIELDS))})")


def visit_close_sql(day: date) -> str:
    return _visit_close_sql(day_constants(day))


@lru_cache(maxsize=8)
def _visit_close_sql(day: DayConstants) -> str:
    return (f"UPDATE {_quote(Visit._meta.db_table)} SET left_at = %s, "  # noqa: S608
            "closes_at = %s, exit_method = %s WHERE id = %s AND venue_id = %s "
            f"AND day = {day.day}")


def write(sql: str, params: list[Any]) -> None:
    with prepared_cursor() if connection.vendor == "postgresql" else connection.cursor() \
            as cursor:
        execute(cursor, sql, params)


# One accepted scan, one statement (PostgreSQL) -------------------------------------------

# Why `accept_in_one` wrote nothing (the caller then takes the general path).
UNKNOWN, CARD_REFUSED, LATE = "unknown", "card_refused", "late"
_WRITTEN = (Action.REPEAT.value, Action.OPEN.value, Action.CLOSE.value, Action.EXIT_ONLY.value)


@dataclass(frozen=True, slots=True)
class Accepted:
    """What `accept_in_one` did: `scan_id` is None when it wrote nothing (`action` says why,
    one of UNKNOWN, CARD_REFUSED, LATE); otherwise `action` is the visit's Action value."""

    action: str
    scan_id: int | None = None
    person: Person | None = None
    state: PersonState | None = None


def _scan_values(response: str) -> tuple[str, str]:
    """The inserted scan's columns as expressions over `a` (the parameters) and `plan`,
    `response` the stored answer's."""
    values = {"venue_id": "a.venue", "person_id": "plan.id", "direction": "a.direction",
              "method": "a.method", "code_format": "a.code_format", "accepted": "true",
              "reason": "''", "scanned_at": "a.at", "received_at": "a.received_at",
              "nonce": "a.nonce", "body_digest": "a.body_digest", "device_id": "a.device",
              "actor_id": "a.actor", "response": response}
    columns = [_column(f) for f in SCAN_FIELDS]
    # A new column of the scans table has to be given a value here.
    assert sorted(values) == sorted(columns), (sorted(values), sorted(columns))
    return ", ".join(_quote(c) for c in columns), ", ".join(values[c] for c in columns)


# A reader's scan stores its answer but the person (`services._answer`).
_SCAN_ANSWER = (
    "jsonb_build_object('result', 'ok', 'declared_today', plan.sick IS NOT NULL, "
    "'has_symptoms', COALESCE(plan.sick, false), 'declaration', CASE "
    f"WHEN plan.sick IS NULL THEN '{NOT_DECLARED}' WHEN plan.sick THEN '{SYMPTOMS}' "
    f"ELSE '{DECLARED}' END, 'direction', a.direction, 'scanned_at', a.at_text, "
    "'code_format', a.code_format, 'visit', plan.action)")


def _action(card_check: bool) -> str:
    """`visits.step` over `p` (the state) and `a` (the scan): the Action's value, or why the
    statement writes nothing (CARD_REFUSED, LATE)."""
    card = f"WHEN a.card AND NOT p.card_valid THEN '{CARD_REFUSED}' " if card_check else ""
    return (
        f"CASE {card}"
        f"WHEN p.last_at IS NOT NULL AND a.at < p.last_at THEN '{LATE}' "
        "WHEN p.last_at IS NOT NULL AND p.last_direction = a.direction "
        f"AND a.at - p.last_at <= a.repeat_window THEN '{Action.REPEAT.value}' "
        f"WHEN a.direction = '{Direction.IN.value}' THEN '{Action.OPEN.value}' "
        f"WHEN p.visit_open THEN '{Action.CLOSE.value}' "
        f"ELSE '{Action.EXIT_ONLY.value}' END")


def _visit_writes(day: DayConstants, go: str) -> str:
    """The CTEs `o` (a new visit) and `c` (the close of the open one) of each row of `plan`
    whose action asks for it, from `a` (the scan), where `go` holds."""
    visits = _quote(Visit._meta.db_table)
    visit_columns = ", ".join(_quote(_column(f)) for f in VISIT_FIELDS)
    visit_values = {
        "venue_id": "a.venue", "person_id": "plan.id",
        "entered_at": f"CASE WHEN plan.action = '{Action.OPEN.value}' THEN a.at END",
        "left_at": f"CASE WHEN plan.action = '{Action.EXIT_ONLY.value}' THEN a.at END",
        "closes_at": f"CASE WHEN plan.action = '{Action.OPEN.value}' THEN a.closes_at "
                     "ELSE a.at END",
        "entry_method": f"CASE WHEN plan.action = '{Action.OPEN.value}' THEN a.method "
                        "ELSE '' END",
        "exit_method": f"CASE WHEN plan.action = '{Action.EXIT_ONLY.value}' THEN a.method "
                       "ELSE '' END",
        "day": day.day}
    assert sorted(visit_values) == sorted(_column(f) for f in VISIT_FIELDS)
    return (
        f"o AS (INSERT INTO {visits} ({visit_columns}) "  # noqa: S608 (model names only)
        f"SELECT {', '.join(visit_values[_column(f)] for f in VISIT_FIELDS)} FROM plan, a "
        f"WHERE {go} AND plan.action IN ('{Action.OPEN.value}', '{Action.EXIT_ONLY.value}')), "
        f"c AS (UPDATE {visits} v SET left_at = a.at, closes_at = a.at, exit_method = a.method "
        f"FROM plan, a WHERE {go} AND plan.action = '{Action.CLOSE.value}' "
        f"AND v.id = plan.visit_id AND v.venue_id = a.venue AND v.day = {day.day})")


def accept_sql(day: date) -> str:
    """`visits.step` in SQL, between the state read and the writes; see the module's doc."""
    return _accept_sql(day_constants(day))


@lru_cache(maxsize=8)  # today and the days of late uploads
def _accept_sql(day: DayConstants) -> str:
    scan_columns, scan_values = _scan_values(_SCAN_ANSWER)
    written = ", ".join(f"'{value}'" for value in _WRITTEN)
    return (
        f"WITH a AS (SELECT {_STATE_ARGS}, "  # noqa: S608 (model names only)
        "%(person)s::bigint AS person, %(card)s::boolean AS card, %(at)s::timestamptz AS at, "
        "%(at_text)s::text AS at_text, %(received_at)s::timestamptz AS received_at, "
        "%(direction)s::text AS direction, %(method)s::text AS method, "
        "%(code_format)s::text AS code_format, %(nonce)s::text AS nonce, "
        "%(body_digest)s::text AS body_digest, %(device)s::bigint AS device, "
        "%(actor)s::bigint AS actor, %(window)s::interval AS repeat_window, "
        "%(closes_at)s::timestamptz AS closes_at), "
        f"p AS (SELECT {_state_columns(day)} FROM a, {_state_from(day)} "
        "WHERE p.public_id = a.person), "
        f"plan AS (SELECT p.*, {_action(True)} AS action FROM p, a), "
        f"s AS (INSERT INTO {_quote(Scan._meta.db_table)} ({scan_columns}) "
        f"SELECT {scan_values} FROM plan, a WHERE plan.action IN ({written}) "
        "RETURNING id, venue_id, nonce, scanned_at), "
        f"n AS (INSERT INTO {_quote(ScanNonce._meta.db_table)} "
        "(venue_id, nonce, scan_id, scanned_at) SELECT venue_id, nonce, id, scanned_at "
        "FROM s WHERE nonce IS NOT NULL), "
        f"{_visit_writes(day, f'plan.action IN ({written})')} "
        "SELECT plan.*, (SELECT id FROM s) FROM plan")


def accept_in_one(*, venue_id: int, day: date, public_id: int, serial: int, card: bool,
                  at: datetime, received_at: datetime, direction: str, method: str,
                  code_format: str, nonce: str | None, body_digest: str, device_id: int | None,
                  actor_id: int | None, repeat_window: timedelta,
                  closes_at: datetime) -> Accepted:
    """An accepted scan of a platform code, in one statement (PostgreSQL, autocommit or a
    savepoint); see the module's doc. A repeated nonce raises IntegrityError and writes
    nothing."""
    params = {"venue": venue_id, "serial": serial, "person": public_id, "card": card,
              "at": at, "at_text": at.isoformat(), "received_at": received_at,
              "direction": direction, "method": method, "code_format": code_format,
              "nonce": nonce, "body_digest": body_digest, "device": device_id,
              "actor": actor_id, "window": repeat_window, "closes_at": closes_at}
    with prepared_cursor() as cursor:
        execute(cursor, accept_sql(day), params)
        row = cursor.fetchone()
    if row is None:
        return Accepted(UNKNOWN)
    (person, state), = _typed([row[:-2]], serial if card else None)
    return Accepted(row[-2], row[-1], person, state)


# A visitor's check-in at the poster, one statement (PostgreSQL) ---------------------------

@dataclass(frozen=True, slots=True)
class CheckedIn:
    """What `checkin_in_one` did for one of the account's people (in the answer's order:
    the account's own person first): `scan_id` None when the statement wrote nothing."""

    person: Person
    state: PersonState
    action: str
    scan_id: int | None


def checkin_sql(day: date) -> str:
    return _checkin_sql(day_constants(day))


@lru_cache(maxsize=4)  # a check-in is always today's
def _checkin_sql(day: DayConstants) -> str:
    # The poster's check-in stores no answer but its result (services.self_checkin).
    scan_columns, scan_values = _scan_values("""'{"result": "ok"}'::jsonb""")
    # All of the people asked for, none late, or nothing is written.
    go = "(SELECT go FROM ok)"
    return (
        f"WITH a AS (SELECT {_STATE_ARGS}, "  # noqa: S608 (model names only)
        "%(account)s::bigint AS account, %(people)s::bigint[] AS people, "
        "%(at)s::timestamptz AS at, %(at)s::timestamptz AS received_at, "
        "%(direction)s::text AS direction, %(method)s::text AS method, "
        "%(code_format)s::text AS code_format, NULL::text AS nonce, ''::text AS body_digest, "
        "NULL::bigint AS device, %(account)s::bigint AS actor, "
        "%(window)s::interval AS repeat_window, %(closes_at)s::timestamptz AS closes_at), "
        f"p AS (SELECT {_state_columns(day)} FROM a, {_state_from(day)} "
        "WHERE p.account_id = a.account AND p.id = ANY(a.people)), "
        f"plan AS (SELECT p.*, {_action(False)} AS action FROM p, a), "
        "ok AS (SELECT count(*) = max(cardinality(a.people)) "
        f"AND bool_and(plan.action <> '{LATE}') AS go FROM plan, a), "
        f"s AS (INSERT INTO {_quote(Scan._meta.db_table)} ({scan_columns}) "
        f"SELECT {scan_values} FROM plan, a WHERE {go} ORDER BY plan.is_self DESC, plan.id "
        "RETURNING id, person_id), "
        f"{_visit_writes(day, go)} "
        "SELECT plan.*, s.id FROM plan LEFT JOIN s ON s.person_id = plan.id "
        "ORDER BY plan.is_self DESC, plan.id")


def checkin_in_one(*, venue_id: int, day: date, account: int, people: list[int],
                   at: datetime, direction: str, method: str, code_format: str,
                   repeat_window: timedelta, closes_at: datetime) -> list[CheckedIn]:
    """An account's check-in of its `people` (distinct ids) at a venue, in one statement
    (PostgreSQL, autocommit): their state read, `visits.step`, their scans and visit writes.
    It writes only when every person asked for is the account's and none of their scans
    is late (a late one re-derives the day: the general path); every row's `scan_id` is
    then set, otherwise none is."""
    params = {"venue": venue_id, "serial": None, "account": account, "people": people,
              "at": at, "direction": direction, "method": method, "code_format": code_format,
              "window": repeat_window, "closes_at": closes_at}
    with prepared_cursor() as cursor:
        execute(cursor, checkin_sql(day), params)
        rows = cursor.fetchall()
    typed = _typed([row[:-2] for row in rows], None)
    return [CheckedIn(person, state, row[-2], row[-1])
            for (person, state), row in zip(typed, rows, strict=True)]
