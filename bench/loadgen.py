"""A province's people, venues, scans, visits and declarations, generated for the benchmarks.

`generate(Plan(...))` writes rows shaped exactly as the live code writes them — scans as
`scans.services.ingest` (staff and reader scans, refused codes with their reason) and
`self_checkin` (poster) store them, visits as `scans.visits` derives them (open ones close at
entry + the venue's stay or midnight), declarations as `declarations.services.declare` with
their alerts — so the statistics, tracing and retention read them as they would read real
traffic. It is realistic where the benchmarks care:

- people live in households per commune of the province (communes of unequal size); the first
  member holds the account, the others are its dependants; a fifth of the people have no
  account and are only ever scanned by their ID card at the door;
- venue popularity follows a Zipf law (a few markets and hospitals take a large share), and
  most outings stay in the person's own district (Zipf again among its venues): contacts of a
  case then come from its neighbourhood and the province's few big venues, not from everyone;
- each person goes out a few times a day, one outing after the other; about 40 % of visits have
  no exit scan, a few are exits only; about 5 % of scans are repeats within the repeat window
  and about 1 % are refused codes;
- about a third of the people declare each day, 2 % of declarations with symptoms.

PostgreSQL gets the rows by COPY (psycopg 3) with explicit ids, the sequences moved past them
afterwards; SQLite (the test suite's tiny sizes) by bulk_create. Rows are made day by day in
memory-bounded chunks, so any size fits.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from kiemdich.core import clock
from kiemdich.core.db import column_of
from kiemdich.scans.services import declaration_of

if TYPE_CHECKING:
    from kiemdich.areas.models import Area

CHUNK = 50_000
DEFER_INDEXES_FROM = 2_000_000  # scans: above this, indexes are built once at the end
REPEAT_SHARE = 0.05
INVALID_SHARE = 0.01
EXIT_SHARE = 0.60
EXIT_ONLY_SHARE = 0.01
DECLARE_SHARE = 0.33
SYMPTOM_SHARE = 0.02
NO_ACCOUNT_SHARE = 0.20
DEVICE_VENUE_SHARE = 0.05
LOCAL_OUTING_SHARE = 0.80  # outings to a venue of the person's own district
# The refusals a door sees, by how often (scans.services / people.codes codes).
REFUSALS = [("code_expired", 40), ("code_unreadable", 30), ("code_forged", 15),
            ("person_unknown", 10), ("scan_time_invalid", 5)]
REFUSAL_MESSAGES = {
    "code_expired": "Mã QR đã hết hạn.", "code_unreadable": "Không đọc được mã QR.",
    "code_forged": "Mã QR không do hệ thống cấp hoặc đã bị sửa đổi.",
    "person_unknown": "Mã QR của một người không còn trong hệ thống.",
    "scan_time_invalid": "Thời điểm quét không hợp lệ."}
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Linh",
         "Long", "Mai", "Minh", "Nam", "Ngọc", "Phương", "Quân", "Thảo", "Trang", "Tuấn", "Yến"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
RELATIONS = ["Vợ", "Chồng", "Con", "Bố", "Mẹ", "Ông", "Bà"]


@dataclass(frozen=True)
class Plan:
    people: int
    venues: int
    days: int
    scans_per_person_day: float
    province: str = "75"
    seed: int = 1
    last_day: date | None = None  # default: today (local)
    zipf_s: float = 0.9


@dataclass
class Result:
    users: int = 0
    people: int = 0
    venues: int = 0
    devices: int = 0
    scans: int = 0
    visits: int = 0
    declarations: int = 0
    alerts: int = 0
    seconds: float = 0.0
    first_day: date | None = None
    last_day: date | None = None


Progress = Callable[[str, int, int], None]


# Writing rows ------------------------------------------------------------------------------

class Sink:
    """Rows of one model at a time, in chunks: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"
        self.touched: set[type[models.Model]] = set()
        if self.copy:
            # A bulk load need not wait for each chunk's WAL flush; the server's own sessions
            # keep synchronous_commit on.
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")

    def write(self, model: type[models.Model], columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        self.touched.add(model)
        if not self.copy:
            model._default_manager.bulk_create([model(**dict(zip(columns, row, strict=True)))
                                       for row in rows], batch_size=500)
            return
        fields = {f.attname: f for f in model._meta.concrete_fields}
        json_at = [i for i, name in enumerate(columns)
                   if isinstance(fields[name], models.JSONField)]
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(column_of(fields[name])) for name in columns)
        connection.ensure_connection()
        # Only quoted names from the model are interpolated; the rows go as data.
        with connection.connection.cursor() as cursor, cursor.copy(
                f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                if json_at:
                    cells = list(row)
                    for i in json_at:
                        cells[i] = json.dumps(cells[i], ensure_ascii=False)
                    row = tuple(cells)
                copy.write_row(row)

    def finish(self) -> None:
        """Move the id sequences past the explicit ids, and leave the tables as autovacuum
        would (PostgreSQL): planner statistics, and visibility maps that let the indexes
        answer the tracing queries without visiting the table."""
        if not self.copy or not self.touched:
            return
        # VACUUM cannot run in a transaction (a test's, say); ANALYZE can.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(self.touched)):
                cursor.execute(statement)
            for model in self.touched:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
            cursor.execute("RESET synchronous_commit")


@contextmanager
def deferred_indexes(model_list: list[type[models.Model]]) -> Iterator[None]:
    """Drop the secondary indexes and unique constraints of big tables while they are filled
    and build them once at the end (PostgreSQL): many times faster than keeping them current
    row by row."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.schema_editor() as editor:
        for model in model_list:
            for index in model._meta.indexes:
                editor.remove_index(model, index)
            for constraint in model._meta.constraints:
                editor.remove_constraint(model, constraint)
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            for model in model_list:
                for index in model._meta.indexes:
                    editor.add_index(model, index)
                for constraint in model._meta.constraints:
                    editor.add_constraint(model, constraint)


def venue_code(venue_id: int) -> str:
    """A poster code of the real format for a generated venue: "G" and the id in base 32."""
    from kiemdich.venues.codes import ALPHABET, CODE_LENGTH

    digits = []
    for _ in range(CODE_LENGTH - 1):
        venue_id, digit = divmod(venue_id, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "G" + "".join(reversed(digits))


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1


def _chunks(rows: Iterable[tuple], size: int = CHUNK) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# The province --------------------------------------------------------------------------------

@dataclass
class VenueInfo:
    id: int
    owner_id: int
    stay: int  # minutes
    device_id: int | None
    district_id: int = 0


@dataclass
class PersonInfo:
    id: int
    account_id: int | None  # the household's account (None: known only from an ID card)
    area_id: int


class Population:
    """What generating the scans needs to know about the people and venues made."""

    def __init__(self) -> None:
        self.venues: list[VenueInfo] = []
        self.cumulative: list[float] = []  # Zipf weights, cumulative, over self.venues
        # Per district: its venues and their own Zipf weights, cumulative.
        self.local: dict[int, tuple[list[VenueInfo], list[float]]] = {}
        self.district_of: dict[int, int] = {}  # commune id -> district id
        self.people: list[PersonInfo] = []
        self.households: list[list[int]] = []  # indexes into self.people
        self.household_of: list[int] = []

    def pick_venue(self, rng: random.Random, person: PersonInfo) -> VenueInfo:
        local = self.local.get(self.district_of.get(person.area_id, 0))
        venues, cumulative = local if local and rng.random() < LOCAL_OUTING_SHARE \
            else (self.venues, self.cumulative)
        return venues[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _communes(province_code: str) -> tuple[Area, list[Area]]:
    from kiemdich.areas.models import Area

    province = (Area.objects.filter(depth=0, code=province_code).first()
                or Area.objects.filter(depth=0).order_by("code").first())
    if province is None:
        raise ValueError("no areas loaded: run load_areas first")
    communes = list(Area.objects.subtree(province).leaves().order_by("pk"))
    return province, communes


def _make_population(plan: Plan, rng: random.Random, sink: Sink, result: Result,
                     progress: Progress) -> Population:
    from kiemdich.accounts.models import User
    from kiemdich.core.protect import encrypt_id, id_digest
    from kiemdich.people.models import Person, random_public_id
    from kiemdich.venues.models import Device, Venue
    from kiemdich.venues.types import VENUE_TYPES

    _province, communes = _communes(plan.province)
    # Communes differ in size: a log-normal spread of residents.
    commune_weights = list(itertools.accumulate(rng.lognormvariate(0, 0.8) for _ in communes))

    def commune() -> int:
        return communes[bisect.bisect(commune_weights, rng.random() * commune_weights[-1])].pk

    now = timezone.now()
    pop = Population()
    pop.district_of = {c.pk: c.parent_id or c.pk for c in communes}
    user_id = _next_id(User)
    person_id = _next_id(Person)
    users: list[tuple] = []
    people: list[tuple] = []
    user_columns = ["id", "password", "last_login", "is_superuser", "phone", "display_name",
                    "preferred_language", "is_active", "is_staff", "date_joined"]
    person_columns = ["id", "account_id", "is_self", "relationship", "source", "full_name",
                      "birth_date", "gender", "id_number_cipher", "id_number_digest", "id_kind",
                      "phone", "area_id", "street", "nationality", "created_at", "public_id"]

    def new_user(joined: datetime) -> int:
        nonlocal user_id
        uid, user_id = user_id, user_id + 1
        users.append((uid, "!generated", None, False, f"+8486{uid:07d}", "", "", True, False,
                      joined))
        return uid

    def name() -> str:
        return f"{rng.choice(FAMILY)} Văn {rng.choice(GIVEN)}"

    made = 0
    while made < plan.people:
        area_id = commune()
        joined = now - timedelta(days=rng.randrange(30, 400), seconds=rng.randrange(86400))
        if rng.random() < NO_ACCOUNT_SHARE:
            # Scanned at a door by their ID card: found again by the number's digest.
            number = f"0{rng.randrange(10**10, 10**11)}"
            pid, person_id = person_id, person_id + 1
            people.append((pid, None, False, "", Person.Source.SCANNED, name(),
                           date(rng.randrange(1940, 2010), rng.randrange(1, 13),
                                rng.randrange(1, 29)), rng.choice(("male", "female")),
                           encrypt_id(number), id_digest(number), "cccd", "", area_id, "",
                           "VN", joined, random_public_id()))
            pop.people.append(PersonInfo(pid, None, area_id))
            pop.households.append([len(pop.people) - 1])
            pop.household_of.append(len(pop.households) - 1)
            made += 1
            continue
        size = min(plan.people - made, rng.choice((1, 1, 2, 2, 3, 3, 4, 4, 5)))
        account = new_user(joined)
        members = []
        for n in range(size):
            pid, person_id = person_id, person_id + 1
            people.append((pid, account, n == 0, "" if n == 0 else rng.choice(RELATIONS),
                           Person.Source.ACCOUNT, name(),
                           date(rng.randrange(1940, 2020), rng.randrange(1, 13),
                                rng.randrange(1, 29)), rng.choice(("male", "female")), "", "",
                           "", f"+8486{account:07d}" if n == 0 else "", area_id,
                           f"{rng.randrange(1, 500)} Đường {rng.choice(GIVEN)}", "VN", joined,
                           random_public_id()))
            pop.people.append(PersonInfo(pid, account, area_id))
            members.append(len(pop.people) - 1)
            pop.household_of.append(len(pop.households))
        pop.households.append(members)
        made += size

    types = list(VENUE_TYPES.values())
    venue_columns = ["id", "code", "name", "venue_type", "sector", "area_id", "street",
                     "address_key", "place_key", "business_reg_no", "latitude", "longitude",
                     "contact_phone", "default_stay_minutes", "opening_hours", "vehicle_plate",
                     "vehicle_route", "owner_id", "status", "is_special", "special_reason",
                     "special_granted_by_id", "created_at"]
    venue_id = _next_id(Venue)
    device_id = _next_id(Device)
    venues: list[tuple] = []
    devices: list[tuple] = []
    owner = 0  # the first venue (n == 0) makes the first owner
    for n in range(plan.venues):
        if n % 5 == 0:  # an owner registers about five places
            owner = new_user(now - timedelta(days=rng.randrange(30, 400)))
        kind = rng.choice(types)
        vid, venue_id = venue_id, venue_id + 1
        street = f"{rng.randrange(1, 900)} Đường {rng.choice(GIVEN)}"
        area_id = commune()
        venues.append((vid, venue_code(vid), f"{kind.label} {rng.choice(GIVEN)} {vid}", kind.key,
                       kind.sector, area_id, street, f"{area_id}|{street.lower()}",
                       f"generated-{vid}", "", 10.9 + rng.random() / 5, 106.8 + rng.random() / 5,
                       "", kind.default_stay_minutes, "", "", "", owner, Venue.Status.ACTIVE,
                       False, "", None, now - timedelta(days=rng.randrange(plan.days, 400))))
        pop.venues.append(VenueInfo(vid, owner, kind.default_stay_minutes, None,
                                    pop.district_of[area_id]))
    # Popularity: Zipf over a random ranking of the venues, province-wide and, in the same
    # order, among the venues of each district.
    ranking = list(range(len(pop.venues)))
    rng.shuffle(ranking)
    weights = [0.0] * len(ranking)
    by_district: dict[int, list[VenueInfo]] = {}
    for rank, index in enumerate(ranking):
        weights[index] = 1 / (rank + 1) ** plan.zipf_s
        venue = pop.venues[index]
        by_district.setdefault(venue.district_id, []).append(venue)
    pop.cumulative = list(itertools.accumulate(weights))
    pop.local = {district: (ranked, list(itertools.accumulate(
        1 / (rank + 1) ** plan.zipf_s for rank in range(len(ranked)))))
        for district, ranked in by_district.items()}
    # The busiest venues have dedicated readers.
    for index in ranking[:max(1, int(len(ranking) * DEVICE_VENUE_SHARE))]:
        did, device_id = device_id, device_id + 1
        pop.venues[index].device_id = did
        devices.append((did, pop.venues[index].id, "Máy quét cửa chính", Device.Kind.READER,
                        hashlib.sha256(f"generated-device-{did}".encode()).hexdigest(),
                        now - timedelta(days=plan.days), None, None))

    total = len(users) + len(people) + len(venues) + len(devices)
    done = 0
    for model, columns, rows in [
            (User, user_columns, users), (Person, person_columns, people),
            (Venue, venue_columns, venues),
            (Device, ["id", "venue_id", "name", "kind", "token_hash", "created_at",
                      "last_used_at", "revoked_at"], devices)]:
        for chunk in _chunks(rows):
            sink.write(model, columns, chunk)
            done += len(chunk)
            progress("people and venues", done, total)
    result.users, result.people = len(users), len(people)
    result.venues, result.devices = len(venues), len(devices)
    return pop


# One day of traffic -----------------------------------------------------------------------

SCAN_COLUMNS = ["id", "venue_id", "person_id", "direction", "method", "code_format", "accepted",
                "reason", "scanned_at", "received_at", "nonce", "body_digest", "device_id",
                "actor_id", "response"]
VISIT_COLUMNS = ["id", "venue_id", "person_id", "entered_at", "left_at", "closes_at",
                 "entry_method", "exit_method", "day"]
DECLARATION_COLUMNS = ["id", "person_id", "submitted_by_id", "created_at", "local_date",
                       "area_id", "language", "visited_places", "visited_places_text", "fever",
                       "cough", "shortness_of_breath", "pneumonia", "sore_throat", "fatigue",
                       "other_symptoms", "contact_case", "contact_from_outbreak",
                       "contact_symptomatic", "has_symptoms", "has_exposure"]
ALERT_COLUMNS = ["id", "declaration_id", "person_id", "area_id", "status", "created_at",
                 "updated_at"]


class Ids:
    def __init__(self) -> None:
        from kiemdich.declarations.models import Declaration, SymptomAlert
        from kiemdich.scans.models import Scan, Visit

        self.scan = itertools.count(_next_id(Scan))
        self.visit = itertools.count(_next_id(Visit))
        self.declaration = itertools.count(_next_id(Declaration))
        self.alert = itertools.count(_next_id(SymptomAlert))
        self.nonce = itertools.count(1)


@dataclass
class DayRows:
    scans: list[tuple]
    visits: list[tuple]
    declarations: list[tuple]
    alerts: list[tuple]
    nonces: list[tuple]


def _declarations(pop: Population, day: date, rng: random.Random, ids: Ids, out: DayRows,
                  horizon: datetime) -> dict[int, bool]:
    """A third of the people declare in the morning (those whose time has come by
    `horizon`); returns person id → has symptoms."""
    declared: dict[int, bool] = {}
    morning = datetime(day.year, day.month, day.day, 6, tzinfo=clock.zone())
    for index in rng.sample(range(len(pop.people)), int(len(pop.people) * DECLARE_SHARE)):
        person = pop.people[index]
        sick = rng.random() < SYMPTOM_SHARE
        at = morning + timedelta(seconds=rng.randrange(4 * 3600))
        if at >= horizon:
            continue
        symptoms = [sick and rng.random() < 0.7, sick and rng.random() < 0.5, False, False,
                    sick and rng.random() < 0.3, sick and rng.random() < 0.3]
        if sick and not any(symptoms):
            symptoms[0] = True
        did = next(ids.declaration)
        out.declarations.append((did, person.id, person.account_id, at, day, person.area_id,
                                 "vi", False, "", *symptoms, "", False, False, False, sick,
                                 False))
        if sick:
            out.alerts.append((next(ids.alert), did, person.id, person.area_id, "open", at, at))
        declared[person.id] = sick
    return declared


def _day(pop: Population, day: date, plan: Plan, rng: random.Random, ids: Ids,
         sink: Sink, progress: Callable[[int], None],
         now: datetime) -> tuple[int, int, int, int]:
    from kiemdich.declarations.models import Declaration, SymptomAlert
    from kiemdich.scans.models import Scan, ScanNonce, Visit

    out = DayRows([], [], [], [], [])
    midnight = datetime(day.year, day.month, day.day, tzinfo=clock.zone()) + timedelta(days=1)
    # Today's traffic stops at the present: a scan from the future would make every real scan
    # of that person today a late one.
    horizon = min(midnight, now)
    declared = _declarations(pop, day, rng, ids, out, horizon)
    per_outing = (1 + EXIT_SHARE) * (1 + REPEAT_SHARE) + INVALID_SHARE
    outings = int(len(pop.people) * plan.scans_per_person_day / per_outing)
    # Outings per person, each after the previous one ends, so every person's scans at a
    # venue come in time order as the ingest sees them in steady state.
    chosen = sorted(rng.randrange(len(pop.people)) for _ in range(outings))
    counts = {"scans": 0, "visits": 0}

    def flush(final: bool = False) -> None:
        if final or len(out.scans) >= CHUNK:
            sink.write(Scan, SCAN_COLUMNS, out.scans)
            sink.write(Visit, VISIT_COLUMNS, out.visits)
            sink.write(ScanNonce, ["venue_id", "nonce", "scan_id", "scanned_at"], out.nonces)
            out.nonces.clear()
            counts["scans"] += len(out.scans)
            counts["visits"] += len(out.visits)
            progress(len(out.scans))
            out.scans.clear()
            out.visits.clear()

    for index, group in itertools.groupby(chosen):
        person = pop.people[index]
        at = datetime(day.year, day.month, day.day, 6, tzinfo=clock.zone()) \
            + timedelta(seconds=rng.randrange(6 * 3600))
        for _ in group:
            venue = pop.pick_venue(rng, person)
            at += timedelta(seconds=rng.randrange(60, 3 * 3600))
            if at >= horizon - timedelta(minutes=5):
                break
            _outing(person, venue, at, midnight, horizon, declared, rng, ids, out)
            at += timedelta(minutes=venue.stay)
        flush()
    flush(final=True)
    sink.write(Declaration, DECLARATION_COLUMNS, out.declarations)
    sink.write(SymptomAlert, ALERT_COLUMNS, out.alerts)
    return counts["scans"], counts["visits"], len(out.declarations), len(out.alerts)


def _digest(n: int) -> str:
    return hashlib.sha256(f"generated-scan-{n}".encode()).hexdigest()


def _outing(person: PersonInfo, venue: VenueInfo, at: datetime, midnight: datetime,
            horizon: datetime, declared: dict[int, bool], rng: random.Random, ids: Ids,
            out: DayRows) -> None:
    """One person's entry (and maybe exit) at a venue, as the scans and visits it leaves;
    nothing is scanned at or after `horizon` (midnight, or the present on the last day)."""
    # How: people with the app mostly scan the poster; ID-card holders are scanned at the door.
    if person.account_id is not None and rng.random() < 0.7:
        method, actor, device, code_format = "self", person.account_id, None, "poster"
    elif venue.device_id is not None and rng.random() < 0.8:
        method, actor, device = "device", None, venue.device_id
        code_format = "cccd" if person.account_id is None else "kd_app"
    elif person.account_id is None and rng.random() < 0.1:
        method, actor, device, code_format = "manual", venue.owner_id, None, "manual_id"
    else:
        method, actor, device = "staff", venue.owner_id, None
        code_format = "cccd" if person.account_id is None else rng.choice(
            ("kd_app", "kd_app", "kd_app", "kd_card"))
    sick = declared.get(person.id)
    stay = timedelta(minutes=venue.stay * rng.uniform(0.3, 1.3))
    leaves = at + stay
    # Before the horizon with room for a repeated exit scan.
    exits = rng.random() < EXIT_SHARE and leaves < horizon - timedelta(minutes=1)

    def scan(moment: datetime, direction: str, visit: str) -> None:
        sid = next(ids.scan)
        nonce = f"g{next(ids.nonce)}" if method == "device" else None
        received = moment + timedelta(milliseconds=rng.randrange(50, 3000))
        if method == "self":
            # self_checkin stores a bare answer; the live answer is built, not stored.
            out.scans.append((sid, venue.id, person.id, direction, method, code_format, True,
                              "", moment, moment, None, "", None, actor, {"result": "ok"}))
            return
        # As the live ingest stores it (kiemdich.scans.services.declaration_of).
        response = {"result": "ok", **declaration_of(sick), "direction": direction,
                    "scanned_at": moment.astimezone(UTC).isoformat(),
                    "code_format": code_format, "visit": visit}
        out.scans.append((sid, venue.id, person.id, direction, method, code_format, True, "",
                          moment, received, nonce, _digest(sid), device, actor, response))
        if nonce:
            out.nonces.append((venue.id, nonce, sid, moment))

    if method != "self" and rng.random() < INVALID_SHARE * 2:
        # A refused code at the door (a retry with a good code usually follows).
        code, _weight = rng.choices(REFUSALS, weights=[w for _, w in REFUSALS])[0]
        sid = next(ids.scan)
        moment = at - timedelta(seconds=rng.randrange(5, 60))
        nonce = f"g{next(ids.nonce)}" if method == "device" else None
        out.scans.append((sid, venue.id, None, "in", method, "", False, code, moment, moment,
                          nonce, _digest(sid), device, actor,
                          {"error": {"code": code, "message": REFUSAL_MESSAGES[code]}}))
        if nonce:
            out.nonces.append((venue.id, nonce, sid, moment))
    if rng.random() < EXIT_ONLY_SHARE:
        # Only seen leaving: an exit-only visit.
        moment = leaves if leaves < horizon else at
        scan(moment, "out", "exit_only")
        out.visits.append((next(ids.visit), venue.id, person.id, None, moment, moment, "",
                           method, day_of(moment)))
        return
    scan(at, "in", "opened")
    if rng.random() < REPEAT_SHARE:
        scan(at + timedelta(seconds=rng.randrange(2, 120)), "in", "repeat")
    if exits:
        scan(leaves, "out", "closed")
        if rng.random() < REPEAT_SHARE:
            scan(leaves + timedelta(seconds=rng.randrange(2, 60)), "out", "repeat")
        out.visits.append((next(ids.visit), venue.id, person.id, at, leaves, leaves, method,
                           method, day_of(at)))
    else:
        closes = min(at + timedelta(minutes=venue.stay), midnight)
        out.visits.append((next(ids.visit), venue.id, person.id, at, None, closes, method, "",
                           day_of(at)))


def day_of(moment: datetime) -> date:
    return clock.local_day(moment)


# The whole run --------------------------------------------------------------------------------

def expected_scans(plan: Plan) -> int:
    return int(plan.people * plan.days * plan.scans_per_person_day)


def generate(plan: Plan, progress: Progress | None = None) -> Result:
    """Make the population and `plan.days` days of traffic ending on `plan.last_day`; then
    refresh the statistics rollups of those days."""
    from kiemdich.reports import rollups

    progress = progress or (lambda stage, done, total: None)
    began = time.perf_counter()
    rng = random.Random(plan.seed)
    sink = Sink()
    result = Result()
    # COPY commits chunk by chunk; bulk_create (small sizes) in one transaction.
    with transaction.atomic() if not sink.copy else nullcontext():
        pop = _make_population(plan, rng, sink, result, progress)
        last = plan.last_day or clock.today()
        first = last - timedelta(days=plan.days - 1)
        ids = Ids()
        now = timezone.now()
        total = max(1, expected_scans(plan))
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            progress("scans", min(done, total), total)

        from kiemdich.scans import partitions
        from kiemdich.scans.models import Scan, Visit

        # Every generated day gets its partition (PostgreSQL), none lands in DEFAULT.
        partitions.ensure(first, last + timedelta(days=partitions.AHEAD_DAYS))
        big = sink.copy and total >= DEFER_INDEXES_FROM
        with deferred_indexes([Scan, Visit]) if big else nullcontext():
            for offset in range(plan.days):
                scans, visits, declarations, alerts = _day(
                    pop, first + timedelta(days=offset), plan, rng, ids, sink, advance, now)
                result.scans += scans
                result.visits += visits
                result.declarations += declarations
                result.alerts += alerts
            progress("scans", total, total)
            if big:
                progress("building indexes", 0, 1)
        sink.finish()
    rollups.refresh(since=first, until=last)
    result.first_day, result.last_day = first, last
    result.seconds = time.perf_counter() - began
    return result
