"""Cases: register an F0, find their places and contacts, expand to F2, close.

Every query on a case and every view of one is written to the audit trail here, so no page
or endpoint can forget it. Who sees which case is decided by `visible_cases`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, overload

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.core.audit import record
from kiemdich.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from kiemdich.core.masking import shape_for_officer
from kiemdich.core.protect import id_digests
from kiemdich.people.identity import validate_id_number
from kiemdich.people.models import Person
from kiemdich.people.services import subject_public_id
from kiemdich.scans.formats import NationalIdentity, PlatformCode, parse_scanned
from kiemdich.tracing import engine
from kiemdich.tracing.models import Case, CaseRequest
from kiemdich.venues.models import Venue

ONSET_LOOK_BACK = timedelta(days=2)
TEST_LOOK_BACK = timedelta(days=14)
MAX_MARGIN_MINUTES = 12 * 60
# Devices and officers' clocks drift; a positive test "a minute from now" is not an error.
CLOCK_SKEW = timedelta(minutes=5)


class PersonUnknown(NotFound):
    code = "person_unknown"


def require_tracer(scope: Scope) -> None:
    if not scope.has(*policy.TRACING):
        raise Forbidden(_("Chỉ cán bộ y tế mới được truy vết."), code="forbidden")


# Finding the F0 -------------------------------------------------------------------------

def find_person(*, phone: str | None = None, id_number: str | None = None,
                qr: str | None = None) -> Person:
    """The person a health officer means: by phone, ID number, or a scanned QR's text."""
    if sum(bool(v) for v in (phone, id_number, qr)) != 1:
        raise Invalid(code="person_lookup_invalid", field="person")
    if phone:
        return _by_phone(normalize_phone(phone))
    if id_number:
        return _by_id_number(validate_id_number(id_number)[1])
    return _by_qr(qr or "")


def _unknown() -> PersonUnknown:
    return PersonUnknown(_("Không tìm thấy người này trong hệ thống (chưa có tài khoản, chưa "
                           "khai báo hay được quét giấy tờ)."), field="person")


def _by_phone(phone: str) -> Person:
    # The account holder first; then anyone registered with that phone (a dependant, a
    # person entered by hand at a venue).
    person = (Person.objects.filter(Q(account__phone=phone, is_self=True) | Q(phone=phone))
              .order_by("-is_self", "pk").first())
    if person is None:
        raise _unknown()
    return person


def _by_id_number(*numbers: str) -> Person:
    digests = [digest for n in numbers if n for digest in id_digests(n)]
    person = (Person.objects.filter(id_number_digest__in=digests)
              .order_by("-is_self", "source", "pk").first())
    if person is None:
        raise _unknown()
    return person


def _by_qr(text: str) -> Person:
    parsed = parse_scanned(text)  # refusals are 422 with the code's own error code
    if isinstance(parsed, PlatformCode):
        person = Person.objects.filter(public_id=subject_public_id(parsed.claims)).first()
        if person is None:
            raise _unknown()
        return person
    assert isinstance(parsed, NationalIdentity)
    try:
        return _by_id_number(parsed.id_number, parsed.old_id_number or "")
    except PersonUnknown:
        if parsed.phone:
            return _by_phone(parsed.phone)
        raise


def identities(person: Person) -> list[int]:
    """The person ids that are this human: the row itself and every row with the same ID
    number (their ID card scanned at a venue makes a separate `scanned` person)."""
    ids = {person.pk}
    if person.id_number_digest:
        ids.update(Person.objects.filter(id_number_digest=person.id_number_digest)
                   .values_list("pk", flat=True))
    return sorted(ids)


# The window -----------------------------------------------------------------------------

@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


def default_window(confirmed_at: datetime, onset_at: datetime | None) -> tuple[datetime,
                                                                                 datetime]:
    """From 2 days before symptom onset, or 14 days before the positive test; up to the test.

    An onset after the test (symptoms came later) cannot start an earlier window, so the
    14 days apply then."""
    if onset_at is not None and onset_at <= confirmed_at:
        return onset_at - ONSET_LOOK_BACK, confirmed_at
    return confirmed_at - TEST_LOOK_BACK, confirmed_at


def check_window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise Invalid(code="window_invalid", field="window_end")
    limit = settings.TRACING_MAX_WINDOW_DAYS
    if end - start > timedelta(days=limit):
        raise Invalid(code="window_too_long", field="window_start", params={"n": limit})


def check_margin(margin: int) -> None:
    if not 0 <= margin <= MAX_MARGIN_MINUTES:
        raise Invalid(code="margin_invalid", field="margin_minutes",
                      params={"n": MAX_MARGIN_MINUTES})


# Cases ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseTerms:
    """What the health officer decided about a case, checked: nothing here depends on who the
    person is, so a refusal reads the same whether or not the platform knows them."""

    confirmed_at: datetime
    onset_at: datetime | None
    window_start: datetime
    window_end: datetime
    margin_minutes: int


def case_terms(*, confirmed_at: datetime, onset_at: datetime | None = None,
               window_start: datetime | None = None, window_end: datetime | None = None,
               margin_minutes: int | None = None) -> CaseTerms:
    confirmed_at, onset_at = aware(confirmed_at), aware(onset_at)
    if confirmed_at > timezone.now() + CLOCK_SKEW:
        raise Invalid(code="confirmed_in_future", field="confirmed_at")
    start, end = default_window(confirmed_at, onset_at)
    start, end = aware(window_start) or start, aware(window_end) or end
    check_window(start, end)
    margin = settings.TRACING_MARGIN_MINUTES if margin_minutes is None else margin_minutes
    check_margin(margin)
    return CaseTerms(confirmed_at, onset_at, start, end, margin)


@transaction.atomic
def register_case(actor: User, scope: Scope, *, person: Person, confirmed_at: datetime,
                  onset_at: datetime | None = None, window_start: datetime | None = None,
                  window_end: datetime | None = None,
                  margin_minutes: int | None = None) -> Case:
    """Open a case for a person found by `find_person`, with no area check: for callers that
    decided already (`register_or_request` is the health officers' way in)."""
    require_tracer(scope)
    terms = case_terms(confirmed_at=confirmed_at, onset_at=onset_at, window_start=window_start,
                       window_end=window_end, margin_minutes=margin_minutes)
    return _open_case(actor, actor, person, terms, home_area(person, terms))


def home_area(person: Person, terms: CaseTerms) -> Area | None:
    """Where the F0 lives or, unknown, where they were last seen in the window."""
    return person.area or _last_seen_area(person, terms.window_start, terms.window_end)


def _open_case(actor: User, created_by: User | None, person: Person, terms: CaseTerms,
               area: Area | None) -> Case:
    case = Case.objects.create(
        person=person, area=area, confirmed_at=terms.confirmed_at, onset_at=terms.onset_at,
        window_start=terms.window_start, window_end=terms.window_end,
        margin_minutes=terms.margin_minutes, created_by=created_by,
    )
    reason = "" if created_by == actor else f"requested_by={getattr(created_by, 'pk', '')}"
    record(actor, "case_registered", target=case, reason=reason)
    return case


# Out of the officer's area ----------------------------------------------------------------
#
# An F0 is often tested far from home, but opening a case shows every visit and contact of
# that person in full. So a health officer opens one at once only for a person of their own
# area (a province-level grant covers the province); for anyone else the case waits for a
# health officer of the person's area. The answer is the same request, status and shape
# whether the phone, ID number or code belongs to someone the platform knows or to nobody:
# registering is not a way to learn who uses the platform.

@transaction.atomic
def register_or_request(actor: User, scope: Scope, lookup: dict,
                        **terms: Any) -> Case | CaseRequest:
    """A case (the person is in the officer's area) or a pending request (anyone else, or
    no one)."""
    require_tracer(scope)
    checked = case_terms(**terms)
    try:
        person: Person | None = find_person(**lookup)
    except PersonUnknown:
        person = None
    area = home_area(person, checked) if person is not None else None
    if person is not None and scope.covers(area, *policy.TRACING):
        return _open_case(actor, actor, person, checked, area)
    request = CaseRequest.objects.create(
        requested_by=actor, person=person, area=area, confirmed_at=checked.confirmed_at,
        onset_at=checked.onset_at, window_start=checked.window_start,
        window_end=checked.window_end, margin_minutes=checked.margin_minutes)
    record(actor, "case_requested", target=request)
    return request


def my_requests(actor: User) -> QuerySet[CaseRequest]:
    return CaseRequest.objects.filter(requested_by=actor)


def person_to_decide(request: CaseRequest) -> Person:
    """Who a request to decide is about: `requests_to_decide` keeps only requests about
    someone (the column allows nobody, for the requests nobody can decide)."""
    assert request.person is not None
    return request.person


def requests_to_decide(scope: Scope) -> QuerySet[CaseRequest]:
    """Pending requests about a person of this officer's area (requests about nobody are
    never shown: there is nothing to decide)."""
    require_tracer(scope)
    return (CaseRequest.objects.filter(status=CaseRequest.Status.PENDING, person__isnull=False)
            .filter(scope.area_filter("area", *policy.TRACING))
            .select_related("person", "area", "requested_by"))


@transaction.atomic
def decide_request(actor: User, scope: Scope, request_id: int, *, approve: bool) -> CaseRequest:
    """A health officer of the person's area approves (the case opens, its requester sees it)
    or refuses."""
    request = (requests_to_decide(scope).select_for_update(of=("self",))
               .filter(pk=request_id).first())
    if request is None:
        raise NotFound(code="case_request_not_found")
    if request.requested_by_id == actor.pk:
        raise Forbidden(code="self_approval")
    request.decided_by, request.decided_at = actor, timezone.now()
    if approve:
        # Made with checked terms and, to be decided, a known person (requests_to_decide):
        # the columns allow empty values that such a request never has.
        assert request.person is not None and request.margin_minutes is not None
        assert request.window_start is not None and request.window_end is not None
        terms = CaseTerms(request.confirmed_at, request.onset_at, request.window_start,
                          request.window_end, request.margin_minutes)
        request.case = _open_case(actor, request.requested_by, request.person, terms,
                                  request.area)
        request.status = CaseRequest.Status.APPROVED
    else:
        request.status = CaseRequest.Status.REFUSED
    request.save(update_fields=["decided_by", "decided_at", "case", "status"])
    record(actor, f"case_request_{request.status}", target=request,
           reason=f"case={request.case_id or ''}")
    return request


def _last_seen_area(person: Person, start: datetime, end: datetime) -> Area | None:
    visits = engine.visits_of(identities(person), start, end)
    if not visits:
        return None
    return Venue.objects.select_related("area").get(pk=visits[-1].venue_id).area


def visible_cases(scope: Scope) -> QuerySet[Case]:
    """Admins see every case; a health officer the ones they registered and those of F0s
    living (or last seen) in their area; nobody else any."""
    if scope.is_admin:
        return Case.objects.all()
    if not scope.has(*policy.TRACING):
        return Case.objects.none()
    return Case.objects.filter(Q(created_by=scope.user)
                               | scope.area_filter("area", *policy.TRACING))


def get_case(scope: Scope, case_id: int) -> Case:
    case = visible_cases(scope).select_related("person", "area").filter(pk=case_id).first()
    if case is None:
        raise NotFound(code="case_not_found")
    return case


def view_case(actor: User, scope: Scope, case_id: int) -> Case:
    case = get_case(scope, case_id)
    record(actor, "case_view", target=case)
    return case


def list_cases(actor: User, scope: Scope, status: str = "") -> QuerySet[Case]:
    require_tracer(scope)
    cases = visible_cases(scope).select_related("person", "area")
    if status:
        cases = cases.filter(status=status)
    record(actor, "case_list", reason=f"status={status or '*'}")
    return cases


@transaction.atomic
def update_case(actor: User, scope: Scope, case: Case, *, window_start: datetime | None,
                window_end: datetime | None, margin_minutes: int | None) -> Case:
    """Edit the look-back window or the margin; the next query uses them."""
    _require_open(case)
    start = aware(window_start) or case.window_start
    end = aware(window_end) or case.window_end
    check_window(start, end)
    margin = case.margin_minutes if margin_minutes is None else margin_minutes
    check_margin(margin)
    case.window_start, case.window_end, case.margin_minutes = start, end, margin
    case.save(update_fields=["window_start", "window_end", "margin_minutes"])
    record(actor, "case_updated", target=case,
           reason=f"window={start.isoformat()}..{end.isoformat()} margin={margin}")
    return case


@transaction.atomic
def close_case(actor: User, case: Case) -> Case:
    """Closing stops notices; from `closed_at` the case's data follows the retention rules."""
    _require_open(case)
    case.status, case.closed_at, case.closed_by = Case.Status.CLOSED, timezone.now(), actor
    case.save(update_fields=["status", "closed_at", "closed_by"])
    record(actor, "case_closed", target=case)
    return case


def _require_open(case: Case) -> None:
    if case.status != Case.Status.OPEN:
        raise Conflict(code="case_closed")


# Exposures ------------------------------------------------------------------------------

@dataclass
class Reach:
    """One case's people and their contacts, as tracing finds them. The one definition both
    the case's pages and retention use: what is shown is exactly what is kept."""

    f0_ids: list[int]  # every person row that is the F0 (`identities`)
    visits: list[engine.VisitRow]
    contacts: list[engine.Contact]
    visit_ids: set[int]  # every visit row the answer was made from (engine.contacts_of)

    @property
    def person_ids(self) -> set[int]:
        return {*self.f0_ids, *(c.person_id for c in self.contacts)}


def reach(case: Case) -> Reach:
    """The F0's visits in the window and everyone who overlapped them (one query each)."""
    f0 = identities(case.person)
    read: set[int] = set()
    visits = engine.visits_of(f0, case.window_start, case.window_end, read=read)
    contacts = engine.contacts_of(visits, timedelta(minutes=case.margin_minutes), f0,
                                  read=read)
    return Reach(f0, visits, contacts, read)


@dataclass
class Exposures:
    case: Case
    visits: list[engine.VisitRow]
    contacts: list[engine.Contact]
    venues: dict[int, Venue]

    @property
    def margin(self) -> timedelta:
        return timedelta(minutes=self.case.margin_minutes)

    @property
    def places(self) -> dict[int, engine.Place]:
        """The venues as `ExposurePage` names them."""
        return {pk: engine.Place(pk, venue.name, venue.area.code, venue.area.name)
                for pk, venue in self.venues.items()}


def exposures(actor: User, case: Case, *, audit: str = "tracing_query") -> Exposures:
    """The case's `reach` with its venues, audited as `audit` (none when empty)."""
    found = reach(case)
    venues = Venue.objects.select_related("area").in_bulk({v.venue_id for v in found.visits})
    if audit:
        record(actor, audit, target=case,
               reason=f"visits={len(found.visits)} contacts={len(found.contacts)}")
    return Exposures(case, found.visits, found.contacts, venues)


# Pages of contacts ------------------------------------------------------------------------
#
# The exposures endpoint pages the ranking with `limit` and `cursor`: a cursor names where the
# previous page ended (its last contact's rank key), so the next page is what is ranked after
# it — the same answer however often it is asked, and every contact exactly once when the
# pages are read to the end. Without either, the endpoint gives every contact, as the exports
# and the notices use them.

PAGE_LIMIT_DEFAULT = 100
PAGE_LIMIT_MAX = 500
_CURSOR_VERSION = "c1"
# A cursor's first overlap (microseconds since 1970) must be a time Python can hold.
_FIRST_US_RANGE = (-62_135_596_800_000_000, 253_402_300_799_999_999)


class PageInvalid(DomainError):
    status = 400


def page_limit(value: str | None, *, cursor_given: bool) -> int | None:
    """The page size asked for: None (every contact) when neither a limit nor a cursor is."""
    if value in (None, ""):
        return PAGE_LIMIT_DEFAULT if cursor_given else None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= PAGE_LIMIT_MAX:
        raise PageInvalid(code="limit_invalid", field="limit", params={"n": PAGE_LIMIT_MAX})
    return int(text)


def encode_cursor(key: engine.RankKey) -> str:
    text = f"{_CURSOR_VERSION}.{key.minutes}.{key.first_us}.{key.person_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> engine.RankKey | None:
    if value in (None, ""):
        return None
    invalid = PageInvalid(code="cursor_invalid", field="cursor")
    text = str(value)
    if len(text) > 96 or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise invalid
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    match = re.fullmatch(rf"{_CURSOR_VERSION}\.([1-9][0-9]{{0,8}})\.(-?[0-9]{{1,19}})"
                         r"\.([1-9][0-9]{0,18})", decoded)
    if match is None:
        raise invalid
    minutes, first_us, person_id = (int(group) for group in match.groups())
    if not _FIRST_US_RANGE[0] <= first_us <= _FIRST_US_RANGE[1] or person_id >= 2**63:
        raise invalid
    return engine.RankKey(minutes, first_us, person_id)


@dataclass
class ExposurePage:
    """One page of a case's ranked contacts, with the F0's visits (all of them)."""

    case: Case
    visits: list[engine.VisitRow]
    contacts: list[engine.Contact]
    places: dict[int, engine.Place]  # of the visits' venues
    total: int  # contacts of the whole ranking
    next_cursor: str | None  # None on the last page


def exposures_page(actor: User, case: Case, *, limit: int, cursor: str | None = None,
                   audit: str = "tracing_query") -> ExposurePage:
    """The case's contacts ranked after `cursor` (from the top without one), `limit` of them,
    ranked in the database on PostgreSQL; audited as `audit` like `exposures`."""
    after = decode_cursor(cursor)
    f0 = identities(case.person)
    visits, places = engine.placed_visits(f0, case.window_start, case.window_end)
    page = engine.contact_page(visits, timedelta(minutes=case.margin_minutes), f0,
                               limit=limit, after=after)
    if audit:
        record(actor, audit, target=case,
               reason=f"visits={len(visits)} contacts={page.total} page={len(page.contacts)}"
                      f"{' cursor' if after else ''}")
    return ExposurePage(case, visits, page.contacts, places, page.total,
                        encode_cursor(page.next_key) if page.next_key else None)


def contact_ids(exp: Exposures) -> set[int]:
    return {c.person_id for c in exp.contacts}


def choose_contacts(exp: Exposures, person_ids: list[int] | None) -> list[engine.Contact]:
    """The chosen contacts of a case (all when `person_ids` is None), in rank order."""
    if person_ids is None:
        return list(exp.contacts)
    unknown = set(person_ids) - contact_ids(exp)
    if unknown:
        raise Invalid(code="not_a_contact", field="person_ids",
                      extra={"person_ids": sorted(unknown)})
    chosen = set(person_ids)
    return [c for c in exp.contacts if c.person_id in chosen]


@dataclass
class SecondRing:
    via: engine.Contact
    contacts: list[engine.Contact]


def expand_f2(actor: User, case: Case, person_ids: list[int]) -> list[SecondRing]:
    """Contacts of chosen contacts (F2): the F1's visits from their first exposure on, up to
    now (they were not isolated), with the case's margin. The F0 is never their own F2."""
    if not person_ids:
        raise Invalid(code="person_ids_required", field="person_ids")
    exp = exposures(actor, case, audit="")
    chosen = choose_contacts(exp, person_ids)
    f0 = identities(case.person)
    margin = exp.margin
    rings = []
    for f1 in chosen:
        start = f1.first_start
        end = min(case.closed_at or timezone.now(),
                  start + timedelta(days=settings.TRACING_MAX_WINDOW_DAYS))
        people = identities(Person.objects.get(pk=f1.person_id))
        visits = engine.visits_of(people, start, end)
        rings.append(SecondRing(f1, engine.contacts_of(visits, margin, [*f0, *people])))
    record(actor, "tracing_query", target=case,
           reason=f"f2 via={len(chosen)} contacts={sum(len(r.contacts) for r in rings)}")
    return rings


def people_by_id(ids: Iterable[int]) -> dict[int, Person]:
    return Person.objects.select_related("account", "area").in_bulk(list(ids))


def shapes_for(actor: User, scope: Scope, case: Case, person_ids: Sequence[int]
               ) -> dict[int, dict]:
    """Full personal data of these people for a health officer (each view audited by the
    masking module)."""
    people = people_by_id(person_ids)
    return {pk: shape_for_officer(people[pk], actor, scope, reason=f"tracing case={case.pk}")
            for pk in person_ids if pk in people}
