"""The scan ingest: every scan stored (refused ones too, with their reason), idempotent by the
client's nonce, visits derived, the live feed told after the commit.

Steady state of an accepted scan (venue cached, person known): three statements — the person
with today's declaration status and their last scan and visit at the venue (one query, all
subqueries), the insert of the scan, and one write to the visits. Statistics are not touched
here: the reports app rolls them up from the scans table on a schedule.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, partial
from typing import TYPE_CHECKING, Any

import zxingcpp
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from kiemdich.accounts.models import User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.areas.services import top_area_code
from kiemdich.core import metrics
from kiemdich.core.clock import day_bounds, local_day
from kiemdich.core.db import execute, prepared_cursor
from kiemdich.core.errors import Busy, DomainError, Invalid, NotFound, TooLarge
from kiemdich.core.masking import person_shape, shape_for_venue
from kiemdich.core.protect import encrypt_id, id_digest, id_digests
from kiemdich.core.pubsub import publish, venue_channel
from kiemdich.people.codes import KIND_CARD, CodeRevoked, CodeUnreadable
from kiemdich.people.identity import validate_id_number
from kiemdich.people.models import Person
from kiemdich.people.services import subject_public_id
from kiemdich.scans import statements
from kiemdich.scans.access import Scanner
from kiemdich.scans.formats import NationalIdentity, PlatformCode, parse_scanned
from kiemdich.scans.models import Method, Scan, ScanNonce, Visit
from kiemdich.scans.signals import checked_in
from kiemdich.scans.statements import FRESH, PersonState
from kiemdich.scans.visits import (
    Action,
    ScanPoint,
    closes_at,
    fold,
    new_visit,
    step,
)
from kiemdich.venues.models import Device, Venue
from kiemdich.venues.services import venue_by_code

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_BATCH = 500
MAX_NAME_CHARS = 120
# How the visit changed when a late scan re-derived its day.
REDERIVED = "rederived"


@dataclass(frozen=True)
class ScanInput:
    """One scan as a reader or the kiosk sends it: a code, or a phone / ID number typed."""

    direction: str
    code: str | None = None
    phone: str | None = None
    id_number: str | None = None
    full_name: str | None = None
    scanned_at: datetime | None = None
    nonce: str | None = None

    def digest(self) -> str:
        """What makes two uploads with one nonce the same scan."""
        scanned = self.scanned_at.astimezone(UTC).isoformat() \
            if self.scanned_at else None
        body = {"direction": self.direction, "code": self.code, "phone": self.phone,
                "id_number": self.id_number, "full_name": self.full_name, "at": scanned}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _refusal(code: str, message: StrOrPromise) -> dict[str, Any]:
    return DomainError(message, code=code).as_dict()


# Reading the person -----------------------------------------------------------------------

Sighted = tuple[Person, PersonState]


def _first(people: QuerySet[Person], venue_id: int, day: date) -> Sighted | None:
    # People with an account first: a scanned card of someone who also has the app is them.
    found = statements.with_state_orm(
        people.order_by(F("account_id").desc(nulls_last=True), "pk")[:1], venue_id, day)
    return found[0] if found else None


def _by_id_number(number: str, also: str | None, venue_id: int, day: date,
                  defaults: dict[str, Any]) -> Sighted:
    digests = id_digests(number) + (id_digests(also) if also else [])
    found = _first(Person.objects.filter(id_number_digest__in=digests), venue_id, day)
    if found is None:
        found = Person.objects.create(id_number_cipher=encrypt_id(number),
                                      id_number_digest=id_digest(number), **defaults), FRESH
    return found


def _identify(item: ScanInput, venue: Venue, day: date, at: datetime) -> tuple[Sighted, str]:
    """The person a scan names, with their state; the format read. Raises DomainError."""
    if item.code is not None:
        parsed = parse_scanned(item.code, now=at)
        if isinstance(parsed, PlatformCode):
            return _platform_person(parsed, venue, day)
        return _national_person(parsed, venue, day), parsed.source
    if item.phone is not None:
        phone = normalize_phone(item.phone)
        found = _first(Person.objects.filter(phone=phone), venue.pk, day)
        if found is None:
            found = Person.objects.create(source=Person.Source.MANUAL, phone=phone,
                                          full_name=item.full_name or ""), FRESH
        return found, "manual_phone"
    kind, number = validate_id_number(item.id_number)
    return _by_id_number(number, None, venue.pk, day, {
        "source": Person.Source.MANUAL, "id_kind": kind, "full_name": item.full_name or ""}), \
        "manual_id"


def _platform_person(parsed: PlatformCode, venue: Venue, day: date) -> tuple[Sighted, str]:
    claims = parsed.claims
    subject = subject_public_id(claims)
    if connection.vendor == "postgresql":
        found = statements.state_by_public_id(venue.pk, day, subject, claims.serial)
    else:
        people = statements.with_state_orm(Person.objects.filter(public_id=subject)[:1],
                                           venue.pk, day, serial=claims.serial)
        found = people[0] if people else None
    if found is None:
        raise Invalid(code="person_unknown")
    if claims.kind == KIND_CARD and not found[1].card_valid:
        error = CodeRevoked()
        error.person = found[0]
        raise error
    return found, f"kd_{claims.kind}"


def _national_person(identity: NationalIdentity, venue: Venue, day: date) -> Sighted:
    """Find-or-create by the ID number's digest, so tracing finds people without the app."""
    return _by_id_number(identity.id_number, identity.old_id_number, venue.pk, day, {
        "source": Person.Source.SCANNED, "id_kind": identity.id_kind,
        "full_name": identity.full_name[:MAX_NAME_CHARS], "birth_date": identity.birth_date,
        "gender": identity.gender or "", "phone": identity.phone or "",
    })


# Ingest -----------------------------------------------------------------------------------

def _check_time(scanned_at: datetime, received_at: datetime) -> None:
    skew = timedelta(seconds=settings.SCAN_CLOCK_SKEW_SECONDS)
    oldest = received_at - timedelta(hours=settings.SCAN_MAX_AGE_HOURS)
    if scanned_at > received_at + skew or scanned_at < oldest:
        raise Invalid(_("Thời điểm quét không hợp lệ: ở tương lai hoặc quá cũ "
                        "(tối đa %(hours)s giờ).") % {"hours": settings.SCAN_MAX_AGE_HOURS},
                      code="scan_time_invalid", field="scanned_at")


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


def ingest(venue: Venue, scanner: Scanner, item: ScanInput,
           now: datetime | None = None) -> Outcome:
    """Store one scan and answer it; a repeated nonce answers the first answer again."""
    received_at = now or timezone.now()
    digest = item.digest()
    try:
        return _ingest(venue, scanner, item, digest, received_at)
    except IntegrityError:
        if not item.nonce:
            raise
    outcome = _replay(venue, scanner, item.nonce, digest)
    if outcome is not None:
        return outcome
    # The first scan is gone (purged or erased with its person): its nonce is free again,
    # as it was when the nonce lived on the scan row itself.
    ScanNonce.objects.filter(venue_id=venue.pk, nonce=item.nonce).delete()
    return _ingest(venue, scanner, item, digest, received_at)


def _replay(venue: Venue, scanner: Scanner, nonce: str, digest: str) -> Outcome | None:
    """The first answer to a nonce, or None when its scan no longer exists."""
    stored = ScanNonce.objects.filter(venue_id=venue.pk, nonce=nonce) \
        .values_list("scan_id", "scanned_at").first()
    if stored is None:  # the conflicting row is not ours to explain
        raise IntegrityError("scan nonce conflict without a stored nonce")
    # The scan's time names its partition: the lookup reads one day, not all of them.
    first = Scan.objects.filter(venue_id=venue.pk, pk=stored[0], scanned_at=stored[1]).first()
    if first is None:
        return None
    if first.body_digest != digest:
        return Outcome(409, _refusal("nonce_conflict", _(
            "Mã nonce này đã được dùng cho một lượt quét khác.")))
    if first.accepted:
        person = (Person.objects.filter(pk=first.person_id).first()
                  if first.person_id is not None else None) or Person()
        shape = shape_for_venue(person, venue, scanner.actor)
        # A scan stored before `declaration` was answered says it again from its two flags.
        flags = declaration_of(None if not first.response.get("declared_today")
                               else first.response.get("has_symptoms", False))
        return Outcome(200, {**flags, **first.response, "person": shape, "scan_id": first.pk})
    return Outcome(422, first.response)


def _method(item: ScanInput, scanner: Scanner) -> str:
    if item.code is None:
        return Method.MANUAL
    # A kiosk is a staff member's phone signed in for the shift: a staff scan.
    return Method.DEVICE if scanner.device is not None and \
        scanner.device.kind == Device.Kind.READER else Method.STAFF


def _ingest(venue: Venue, scanner: Scanner, item: ScanInput, digest: str,
            received_at: datetime) -> Outcome:
    scanned_at = _aware(item.scanned_at) or received_at
    scan = Scan(venue_id=venue.pk, direction=item.direction, method=_method(item, scanner),
                scanned_at=scanned_at, received_at=received_at, nonce=item.nonce,
                body_digest=digest, device=scanner.device, actor=scanner.user)
    try:
        _check_time(scanned_at, received_at)
        parsed = parse_scanned(item.code, now=scanned_at) if item.code is not None else None
    except DomainError as refusal:
        with transaction.atomic():
            return _refused(venue, scan, refusal)
    if isinstance(parsed, PlatformCode) and connection.vendor == "postgresql" \
            and not venue.is_special:
        # One statement, its own transaction (a savepoint inside a caller's). A special
        # venue's full view is audited in the scan's transaction: the general path.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            outcome = _accept_in_one(venue, scanner, parsed, scan)
        if outcome is not None:
            return outcome
    with transaction.atomic():
        return _ingest_general(venue, scanner, item, scan, parsed)


def _accept_in_one(venue: Venue, scanner: Scanner, parsed: PlatformCode,
                   scan: Scan) -> Outcome | None:
    """The common case in one round trip (statements.accept_in_one); None when it wrote
    nothing: the general path then decides (an unknown person, a revoked card, a late scan,
    an outdated code)."""
    claims = parsed.claims
    try:
        subject = subject_public_id(claims)
    except DomainError:
        return None
    at = scan.scanned_at
    code_format = f"kd_{claims.kind}"
    done = statements.accept_in_one(
        venue_id=venue.pk, day=local_day(at), public_id=subject, serial=claims.serial,
        card=claims.kind == KIND_CARD, at=at, received_at=scan.received_at,
        direction=scan.direction, method=scan.method, code_format=code_format,
        nonce=scan.nonce, body_digest=scan.body_digest, device_id=scan.device_id,
        actor_id=scan.actor_id,
        repeat_window=timedelta(seconds=settings.SCAN_REPEAT_WINDOW_SECONDS),
        closes_at=closes_at(at, venue.default_stay_minutes))
    if done.scan_id is None or done.person is None or done.state is None:
        return None
    scan.pk, scan.person, scan.code_format = done.scan_id, done.person, code_format
    scan._state.adding = False
    scan.response = _answer(scan, done.state, done.action)
    shape = shape_for_venue(done.person, venue, scanner.actor)
    _announce(venue, scan, shape, done.action)
    _count(scan, venue)
    return Outcome(201, {**scan.response, "person": shape, "scan_id": scan.pk})


def _answer(scan: Scan, state: PersonState, visit: str) -> dict[str, Any]:
    # The stored answer leaves the person out (a replay shapes them again): the scans table
    # keeps no names or phones that an erasure of the person would have to find.
    return {"result": "ok", **declaration_of(state.sick), "direction": scan.direction,
            "scanned_at": scan.scanned_at.isoformat(), "code_format": scan.code_format,
            "visit": visit}


def _refused(venue: Venue, scan: Scan, refusal: DomainError) -> Outcome:
    scan.accepted = False
    scan.reason = refusal.code
    scan.person = getattr(refusal, "person", None)
    scan.response = refusal.as_dict()
    _store(scan)
    _count(scan, venue)
    return Outcome(refusal.status, scan.response)


def _ingest_general(venue: Venue, scanner: Scanner, item: ScanInput, scan: Scan,
                    parsed: PlatformCode | NationalIdentity | None) -> Outcome:
    """Every case, on every database: the ORM reads (the state as SQL for a platform code on
    PostgreSQL), `visits.step` in Python, the writes in the caller's transaction."""
    day = local_day(scan.scanned_at)
    try:
        if isinstance(parsed, PlatformCode):
            (person, state), scan.code_format = _platform_person(parsed, venue, day)
        elif parsed is not None:
            (person, state), scan.code_format = _national_person(parsed, venue, day), \
                parsed.source
        else:
            (person, state), scan.code_format = _identify(item, venue, day, scan.scanned_at)
    except DomainError as refusal:
        return _refused(venue, scan, refusal)
    shape = shape_for_venue(person, venue, scanner.actor)
    scan.person = person
    action = _plan_visit(state, scan)
    visit = action.value if action is not None else REDERIVED
    scan.response = _answer(scan, state, visit)
    _store(scan)
    _apply_visit(venue, person, state, scan, action)
    _announce(venue, scan, shape, visit)
    _count(scan, venue)
    return Outcome(201, {**scan.response, "person": shape, "scan_id": scan.pk})


def _store(scan: Scan) -> None:
    """Insert the scan and, when it has one, its nonce — one statement on PostgreSQL (a CTE),
    so the idempotency costs no round trip. A repeated nonce raises IntegrityError."""
    if connection.vendor != "postgresql":
        scan.save()
        if scan.nonce:
            ScanNonce.objects.create(venue_id=scan.venue_id, nonce=scan.nonce,
                                     scan_id=scan.pk, scanned_at=scan.scanned_at)
        return
    with prepared_cursor() as cursor:
        execute(cursor, statements.scan_insert_sql(bool(scan.nonce)),
                statements.db_values(scan, statements.SCAN_FIELDS))
        scan.pk = cursor.fetchone()[0]
    scan._state.adding = False


def _plan_visit(state: PersonState, scan: Scan) -> Action | None:
    """What the scan does to the visits; None when it is late and its day is re-derived."""
    if state.last_at is not None and scan.scanned_at < state.last_at:
        return None
    previous = ScanPoint(state.last_at, state.last_direction or "", "") \
        if state.last_at is not None else None
    return step(previous, state.visit_open,
                ScanPoint(scan.scanned_at, scan.direction, scan.method))


def _apply_visit(venue: Venue, person: Person, state: PersonState, scan: Scan,
                 action: Action | None) -> None:
    """One write in order; a late scan (stored already) re-derives its day (see visits.py)."""
    if action is None:
        rederive_day(venue, person.pk, local_day(scan.scanned_at))
    elif action is Action.CLOSE:
        # The venue and day name the visit's partition (and shard): one index probe.
        closed = Visit(pk=state.visit_id, venue_id=venue.pk, left_at=scan.scanned_at,
                       closes_at=scan.scanned_at, exit_method=scan.method)
        statements.write(statements.visit_close_sql(local_day(scan.scanned_at)),
                         statements.db_values(closed, statements.VISIT_CLOSE_FIELDS))
    elif action is not Action.REPEAT:
        point = ScanPoint(scan.scanned_at, scan.direction, scan.method)
        draft = new_visit(action, point, venue.default_stay_minutes)
        # vars(), not asdict(): the draft holds only plain values, and asdict's deep copy cost
        # more than the insert's parameters.
        visit = Visit(venue_id=venue.pk, person_id=person.pk, **vars(draft))
        statements.write(statements.visit_insert_sql(),
                         statements.db_values(visit, statements.VISIT_FIELDS))


def rederive_day(venue: Venue, person_id: int, day: date) -> None:
    """Rebuild one person's visits at a venue for a day from the accepted scans."""
    start, end = day_bounds(day)
    points = [ScanPoint(*row) for row in
              Scan.objects.filter(venue_id=venue.pk, person_id=person_id, accepted=True,
                                  scanned_at__gte=start, scanned_at__lt=end)
              .order_by("scanned_at", "id").values_list("scanned_at", "direction", "method")]
    Visit.objects.filter(venue_id=venue.pk, person_id=person_id, day=day).delete()
    Visit.objects.bulk_create([Visit(venue_id=venue.pk, person_id=person_id, **vars(draft))
                               for draft in fold(points, venue.default_stay_minutes)])


# The exit method of a visit nobody closed, closed by the platform once its day is over.
AUTO_EXIT = "auto"


def check_out_left_open(today: date | None = None) -> int:
    """Close the visits of finished days that nobody closed: they end when they counted as
    over (`closes_at`: entry + the venue's default stay, or midnight), marked AUTO_EXIT. Only
    days before today, within the late-scan window (a late scan re-derives its day and may
    open a visit again: the next run closes it). Today's are left alone, since an exit later
    today still closes them (visits.py). Idempotent; returns the visits closed."""
    today = today or local_day(timezone.now())
    since = today - timedelta(days=math.ceil(settings.SCAN_MAX_AGE_HOURS / 24) + 1)
    return Visit.objects.filter(day__gte=since, day__lt=today, entered_at__isnull=False,
                                left_at__isnull=True).update(left_at=F("closes_at"),
                                                             exit_method=AUTO_EXIT)


def _announce(venue: Venue, scan: Scan, shape: dict[str, Any], visit: str) -> None:
    """Tell the venue's live page, once the scan is committed."""
    event = {"scan_id": scan.pk, "direction": scan.direction, "at": scan.scanned_at,
             "person": shape, "visit": visit, "method": scan.method,
             "visitor": visitor_token(venue.pk, local_day(scan.scanned_at), scan.person_id),
             "declared_today": scan.response.get("declared_today", False),
             "has_symptoms": scan.response.get("has_symptoms", False),
             "declaration": scan.response.get("declaration", NOT_DECLARED)}
    transaction.on_commit(partial(publish, venue_channel(venue.pk), event))


def _count(scan: Scan, venue: Venue) -> None:
    """The scan in the metrics, once it is committed (a rolled-back scan did not happen)."""
    counter = metrics.SCANS.labels("accepted" if scan.accepted else "refused",
                                   scan.reason or "", scan.method)
    transaction.on_commit(counter.inc)
    if scan.accepted:
        province = metrics.SCANS_BY_PROVINCE.labels(top_area_code(venue.area_id))
        transaction.on_commit(province.inc)


def ingest_batch(venue: Venue, scanner: Scanner, items: list[ScanInput],
                 now: datetime | None = None) -> list[dict[str, Any]]:
    """An offline queue: each item on its own, in the order sent; one result per item."""
    if len(items) > MAX_BATCH:
        raise Invalid(code="batch_too_large", field="scans", params={"n": MAX_BATCH})
    received_at = now or timezone.now()
    results = []
    for index, item in enumerate(items):
        outcome = ingest(venue, scanner, item, now=received_at)
        results.append({"index": index, "nonce": item.nonce, "status": outcome.status,
                        "body": outcome.body})
    return results


# Self check-in from the poster ----------------------------------------------------------

def self_checkin(user: User, venue_code: str, person_ids: list[int], direction: str,
                 location: tuple[float, float] | None = None) -> dict[str, Any]:
    """The visitor scanned the poster for themselves and their family, in or out."""
    venue = venue_by_code(venue_code)
    wanted = set(person_ids)
    if not wanted:
        raise Invalid(code="person_required", field="person_ids")
    now = timezone.now()
    day = local_day(now)
    done = None
    if connection.vendor == "postgresql" and not venue.is_special:
        # One statement, its own transaction (a savepoint inside a caller's). A special
        # venue's full view is audited in the scans' transaction: the general path.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            done = _checkin_in_one(user, venue, sorted(wanted), direction, now)
            if done is not None:
                _checked_in(user, venue, direction, len(done), location)
    if done is None:
        with transaction.atomic():
            done = _checkin_general(user, venue, wanted, direction, now)
            _checked_in(user, venue, direction, len(done), location)
    return {"venue": {"id": venue.pk, "name": venue.name}, "direction": direction, "at": now,
            "colour": colour_of_day(day), "scans": done}


POSTER = "poster"  # the code format of a visitor's check-in at the poster


def _self_scan(user: User, venue: Venue, person: Person, direction: str,
               now: datetime) -> Scan:
    return Scan(venue_id=venue.pk, person=person, direction=direction, method=Method.SELF,
                code_format=POSTER, scanned_at=now, received_at=now, actor=user,
                response={"result": "ok"})


def _checkin_in_one(user: User, venue: Venue, people: list[int], direction: str,
                    now: datetime) -> list[dict[str, Any]] | None:
    """The check-in in one round trip (statements.checkin_in_one); None when it wrote
    nothing for a late scan: the general path then re-derives the day."""
    rows = statements.checkin_in_one(
        venue_id=venue.pk, day=local_day(now), account=user.pk, people=people, at=now,
        direction=direction, method=Method.SELF, code_format=POSTER,
        repeat_window=timedelta(seconds=settings.SCAN_REPEAT_WINDOW_SECONDS),
        closes_at=closes_at(now, venue.default_stay_minutes))
    if len(rows) != len(people):
        raise NotFound(code="person_not_found")
    if any(row.scan_id is None for row in rows):
        return None
    done = []
    for row in rows:
        scan = _self_scan(user, venue, row.person, direction, now)
        scan.pk = row.scan_id
        scan._state.adding = False
        done.append(_told(venue, row.person, row.state, scan, row.action))
    return done


def _checkin_general(user: User, venue: Venue, wanted: set[int], direction: str,
                     now: datetime) -> list[dict[str, Any]]:
    """Every case, on every database: the ORM (the state as SQL on PostgreSQL), the
    visits' rule in Python, in the caller's transaction."""
    day = local_day(now)
    if connection.vendor == "postgresql":
        people = statements.state_for_account(venue.pk, day, user.pk, sorted(wanted))
    else:
        people = statements.with_state_orm(
            Person.objects.filter(account=user, pk__in=wanted).order_by("-is_self", "pk"),
            venue.pk, day)
    if len(people) != len(wanted):
        raise NotFound(code="person_not_found")
    scans = Scan.objects.bulk_create([_self_scan(user, venue, person, direction, now)
                                      for person, _state in people])
    done = []
    for (person, state), scan in zip(people, scans, strict=True):
        action = _plan_visit(state, scan)
        _apply_visit(venue, person, state, scan, action)
        done.append(_told(venue, person, state, scan,
                          action.value if action is not None else REDERIVED))
    return done


def _told(venue: Venue, person: Person, state: PersonState, scan: Scan,
          visit: str) -> dict[str, Any]:
    """One person's check-in announced to the venue's live page, and its part of the answer."""
    # The venue's staff see who came in as any scan shows it to them.
    shape = shape_for_venue(person, venue, f"venue:{venue.pk}", purpose="self_checkin")
    scan.response = declaration_of(state.sick)
    _announce(venue, scan, shape, visit)
    return {"scan_id": scan.pk, "person_id": person.pk, "display_name": person.full_name,
            "visit": visit, "declaration": scan.response["declaration"]}


def _checked_in(user: User, venue: Venue, direction: str, count: int,
                location: tuple[float, float] | None) -> None:
    transaction.on_commit(partial(metrics.CHECKINS.labels(direction).inc, count))
    if direction == "in":
        # for the mass and remote check-in flags (privacy listens), checked after the commit
        checked_in.send(sender=Scan, venue=venue, account_id=user.pk, location=location)


DECLARED, NOT_DECLARED, SYMPTOMS = "declared", "not_declared", "symptoms"


def declaration_of(sick_today: bool | None) -> dict[str, Any]:
    """Today's declaration of a person as a scan answers it: None when there is none, else
    whether it has symptoms. `declaration` is the one field a screen colours by."""
    state = NOT_DECLARED if sick_today is None else SYMPTOMS if sick_today else DECLARED
    return {"declared_today": sick_today is not None, "has_symptoms": bool(sick_today),
            "declaration": state}


def colour_of_day(day: date) -> int:
    """One of 12 hues, changing daily and unpredictable without the server's key, so a
    screenshot from another day shows the wrong colour at the door."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"colour:{day.isoformat()}".encode(),
                   hashlib.sha256).digest()
    return mac[0] % 12


# Live page, history ----------------------------------------------------------------------

def visitor_token(venue_id: int, day: date, person_id: int | None) -> str:
    """What the live page matches an exit to its entry by: the same for one person at one venue
    on one day, unrelated anywhere else, so it links nothing the venue does not already see."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"visitor:{venue_id}:{day}:{person_id}".encode(),
                   hashlib.sha256).hexdigest()
    return mac[:16]


def live_snapshot(venue: Venue, viewer: User | str,
                  now: datetime | None = None) -> dict[str, Any]:
    """Who is inside now, today's entries and exits, and the latest accepted scans."""
    now = now or timezone.now()
    day = local_day(now)
    visits = Visit.objects.filter(venue_id=venue.pk, day=day)
    counts = visits.aggregate(entries=Count("id", filter=Q(entered_at__isnull=False)),
                              exits=Count("id", filter=Q(left_at__isnull=False)))
    inside = list(visits.filter(entered_at__isnull=False, left_at__isnull=True,
                                closes_at__gt=now).order_by("-entered_at")[:200])
    start, end = day_bounds(day)
    recent = list(Scan.objects.filter(venue_id=venue.pk, accepted=True, scanned_at__gte=start,
                                      scanned_at__lt=end, person__isnull=False)
                  .order_by("-scanned_at", "-id")[:30])
    people = Person.objects.in_bulk({v.person_id for v in inside} | {s.person_id for s in recent})
    shapes = {pk: shape_for_venue(p, venue, viewer, purpose="venue_live")
              for pk, p in people.items()}
    return {
        "entries": counts["entries"], "exits": counts["exits"],
        "inside": [{"person": shapes[v.person_id], "entered_at": v.entered_at,
                    "visitor": visitor_token(venue.pk, day, v.person_id)}
                   for v in inside if v.person_id in shapes],
        "recent": [{"scan_id": s.pk, "direction": s.direction, "at": s.scanned_at,
                    "person": shapes[s.person_id], "method": s.method}
                   for s in recent if s.person_id in shapes],
        "colour": colour_of_day(day),
    }


def counted_today(venue_ids: list[int]) -> dict[int, dict[str, int]]:
    """Accepted scans in and out today (local time) of each venue that had any, in one query:
    the figures of the venue pages (given to venues at start-up,
    `venues.services.count_figures_with`)."""
    start, end = day_bounds(local_day())
    counted = (Scan.objects.filter(venue_id__in=venue_ids, accepted=True, scanned_at__gte=start,
                                   scanned_at__lt=end)
               .values("venue_id", "direction").annotate(n=Count("id")).order_by())
    figures: dict[int, dict[str, int]] = {}
    for row in counted:
        figures.setdefault(row["venue_id"], {})[row["direction"]] = row["n"]
    return figures


def checkins_of(user: User, limit: int = 200) -> list[dict[str, Any]]:
    """A citizen's own check-ins (all the people the account manages), newest first."""
    people: dict[int | None, Person] = {p.pk: p for p in Person.objects.filter(account=user)}
    scans = (Scan.objects.filter(person_id__in=list(people), accepted=True)
             .select_related("venue").order_by("-scanned_at", "-id")[:limit])
    return [{"scan_id": s.pk, "venue_id": s.venue_id, "venue_name": s.venue.name,
             "person_id": s.person_id, "person_name": people[s.person_id].full_name,
             "direction": s.direction, "method": s.method, "at": s.scanned_at}
            for s in scans]


def venue_visits(venue: Venue, viewer: User, day: date) -> list[dict[str, Any]]:
    """A venue's visits on a day, people shaped as the venue may see them."""
    visits = list(Visit.objects.filter(venue_id=venue.pk, day=day)
                  .order_by(Coalesce("entered_at", "left_at"), "id"))
    people = Person.objects.in_bulk({v.person_id for v in visits})
    shapes = {pk: shape_for_venue(p, venue, viewer, purpose="venue_visits")
              for pk, p in people.items()}
    empty = person_shape(Person(), full=False)
    return [{"visit_id": v.pk, "person": shapes.get(v.person_id, empty),
             "entered_at": v.entered_at, "left_at": v.left_at, "closes_at": v.closes_at,
             "entry_method": v.entry_method, "exit_method": v.exit_method} for v in visits]


VISIT_EXPORT_HEADERS = [_("Họ tên"), _("Điện thoại"), _("Số giấy tờ"), _("Năm sinh"),
                        _("Giờ vào"), _("Giờ ra"), _("Kết thúc (ước tính)")]


def visit_rows(visits: list[dict[str, Any]]) -> list[list[Any]]:
    return [[v["person"]["display_name"], v["person"]["phone"], v["person"]["id_number"],
             v["person"]["birth_text"], v["entered_at"], v["left_at"], v["closes_at"]]
            for v in visits]


# Photos from cameras without BarcodeDetector ---------------------------------------------
#
# A photo is decoded in bounded memory and time. Its header is read first, and a picture of
# more than PHOTO_MAX_PIXELS is refused before any pixel is decoded: a PNG of 130 KB can
# announce 40 million pixels. A JPEG is decoded straight at the coarsest scale its DCT allows
# (1/2, 1/4, 1/8) that keeps PHOTO_SIDE pixels, in grayscale; other formats at full size.
# Every picture is shrunk to PHOTO_SIDE pixels on its longer side before the QR reader sees
# it, and one process decodes only PHOTO_DECODERS photos at a time: the others wait a moment
# for a turn, then are told to try again.

PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
# A QR code across a fifth of the photo's width keeps about 8 pixels a module at this size.
PHOTO_SIDE = 2000
PHOTO_TURN_WAIT_SECONDS = 3.0


@cache
def _decoder_turns(count: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(count)


def decode_photo(data: bytes) -> str:
    """The text of the first QR code in a photo (zxing-cpp). CodeUnreadable when there is
    none; TooLarge (413) for a picture over PHOTO_MAX_PIXELS, refused from its header; Busy
    (503) when this process is already decoding PHOTO_DECODERS photos."""
    try:
        with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as image:
            if image.width * image.height > settings.PHOTO_MAX_PIXELS:
                raise _photo_too_large()
            turns = _decoder_turns(settings.PHOTO_DECODERS)
            if not turns.acquire(timeout=PHOTO_TURN_WAIT_SECONDS):
                raise Busy(code="photo_decoder_busy", retry_after=2)
            try:
                found = zxingcpp.read_barcodes(_shrunk_grayscale(image),
                                               formats=zxingcpp.BarcodeFormats(
                                                   zxingcpp.BarcodeFormat.QRCode))
            finally:
                turns.release()
    except Image.DecompressionBombError:
        raise _photo_too_large() from None
    # Pillow's decoders report a damaged file as SyntaxError (a PNG chunk cut short) or
    # EOFError (a truncated stream) while reading pixels, past the header check of open().
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise CodeUnreadable(_("Không đọc được ảnh.")) from None
    texts = [result.text for result in found if result.valid and result.text]
    if not texts:
        raise CodeUnreadable(_("Không tìm thấy mã QR trong ảnh."))
    return texts[0]


def _photo_too_large() -> TooLarge:
    limit = settings.PHOTO_MAX_PIXELS
    return TooLarge(code="photo_too_large", extra={"max_pixels": limit},
                    params={"limit": number_format(limit, force_grouping=True)})


def _shrunk_grayscale(image: Image.Image) -> Image.Image:
    """The picture in grayscale, at most PHOTO_SIDE pixels on its longer side; a JPEG is
    decoded at the reduced scale directly, so its full-size pixels never exist in memory."""
    factor = max(image.size) / PHOTO_SIDE
    if factor > 1:
        image.draft("L", (max(1, int(image.width / factor)), max(1, int(image.height / factor))))
    gray = image.convert("L")
    gray.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    return gray
