"""Inspection visits: recorded by inspectors in their area (and sector) — at a registered
venue, at an establishment of the registry that never registered one, or of a person obliged
to declare who did not (the plan's main violations) — and printed as a record (biên bản)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import Role, User
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.services import resolve_area
from kiemdich.core import audit, clock
from kiemdich.core.errors import DomainError, Invalid, NotFound
from kiemdich.core.masking import mask_name, mask_phone
from kiemdich.core.protect import id_digests
from kiemdich.people.identity import validate_id_number
from kiemdich.reports.coverage import declared_on
from kiemdich.reports.models import Establishment, Inspection, RosterMember, ViolationCategory
from kiemdich.venues import access as venue_access
from kiemdich.venues.models import Venue
from kiemdich.venues.services import search_supervised, typed_code


@dataclass
class InspectionInput:
    venue_code: str
    inspected_at: datetime
    poster_displayed: bool
    scanning_enforced: bool
    staff_declared: bool
    result: str
    violation_code: str
    fine: int | None
    notes: str
    subject: str = Inspection.Subject.VENUE
    establishment_reg_no: str = ""
    roster_member_id: int | None = None


def _venue(scope: Scope, code: str) -> Venue:
    text = (code or "").strip()
    if "/v/" in text:  # the poster's check-in URL, as a scanner reads it
        text = text.rsplit("/v/", 1)[1].strip("/")
    # The poster's "Mã nhập tay" as the inspector types it: dashes, spaces, any case.
    venue = Venue.objects.select_related("area").filter(code=typed_code(text)).first()
    if venue is None or not venue_access.may_supervise_venue(scope, venue,
                                                             *policy.INSPECTION_RECORD):
        raise NotFound(_("Không có địa điểm mã này trong phạm vi của bạn."),
                       code="venue_unknown", field="venue_code")
    return venue


def search_venues(scope: Scope, q: str) -> list:
    """Venues the inspector may inspect that `q` names (name, address, code, poster URL)."""
    if not scope.has(*policy.INSPECTION_RECORD):
        return []
    return search_supervised(scope, q, *policy.INSPECTION_RECORD)


def unregistered_in_scope(scope: Scope) -> QuerySet[Establishment]:
    """Registry establishments without a venue, within the inspector's area and sector."""
    return (Establishment.objects.filter(scope.area_filter("area", *policy.INSPECTION_RECORD,
                                                           sector_field="sector"))
            .exclude(Exists(_venue_of_establishment()))
            .select_related("area").order_by("area__path", "name"))


def _venue_of_establishment() -> QuerySet[Venue]:
    return Venue.objects.filter(business_reg_no=OuterRef("reg_no"), status=Venue.Status.ACTIVE)


def undeclared_in_scope(scope: Scope, day: date) -> QuerySet[RosterMember]:
    """Roster members who have not declared on `day`, within the inspector's reach."""
    return (RosterMember.objects.filter(scope.area_filter(
        "organisation__area", *policy.INSPECTION_RECORD, sector_field="organisation__sector"))
            .exclude(declared_on(day)).select_related("organisation", "organisation__area")
            .order_by("organisation__name", "full_name"))


MAX_PEOPLE_FOUND = 20


def search_undeclared(scope: Scope, q: str, day: date,
                      limit: int = MAX_PEOPLE_FOUND) -> list[RosterMember]:
    """People obliged to declare who did not on `day`, within the inspector's reach, that
    `q` names: part of the name, part of the phone number (as written, with its leading 0),
    or the whole ID number (rosters keep only its digest, so a part cannot be matched).
    Nothing for fewer than two characters."""
    q = str(q or "").strip()[:100]
    if len(q) < 2 or not scope.has(*policy.INSPECTION_RECORD):
        return []
    # Each casing of what was typed: SQLite folds the case of ASCII letters only ("LÊ" is
    # not "Lê" there); PostgreSQL folds them all.
    match = Q(pk__in=[])
    for variant in {q, q.lower(), q.upper(), q.title()}:
        match |= Q(full_name__icontains=variant)
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 3 and not re.sub(r"[\d\s.+-]", "", q):
        match |= Q(phone__contains=digits[1:] if digits.startswith("0") else digits)
    with contextlib.suppress(DomainError):  # unless q is not an ID number
        match |= Q(id_number_digest__in=id_digests(validate_id_number(q)[1]))
    return list(undeclared_in_scope(scope, day).filter(match)[:limit])


def sees_people_in_full(scope: Scope) -> bool:
    """Health officers and admins see a person's name and phone; others (an inspector) see
    them masked, as everywhere (core.masking)."""
    return scope.has(Role.HEALTH_OFFICER, Role.ADMIN)


def person_label(member: RosterMember, *, full: bool) -> dict:
    national = "0" + member.phone[3:] if member.phone.startswith("+84") else member.phone
    return {"id": member.pk,
            "name": member.full_name if full else mask_name(member.full_name),
            "phone": national if full else mask_phone(member.phone),
            "organisation": member.organisation.name,
            "area_name": member.organisation.area.name, "masked": not full}


def chosen_person(scope: Scope, member_id: int | None, day: date) -> dict | None:
    """The person a link put on the form, if still undeclared and in reach."""
    if not member_id:
        return None
    member = undeclared_in_scope(scope, day).filter(pk=member_id).first()
    return person_label(member, full=sees_people_in_full(scope)) if member else None


def _subject(scope: Scope, data: InspectionInput) -> dict:
    """The subject's fields of the record: which one, its area and sector (for the lists)."""
    if data.subject == Inspection.Subject.ESTABLISHMENT:
        establishment = Establishment.objects.select_related("area").filter(
            reg_no=(data.establishment_reg_no or "").strip()).first()
        if establishment is None or not scope.covers(establishment.area, *policy.INSPECTION_RECORD,
                                                     sector=establishment.sector):
            raise NotFound(code="establishment_unknown", field="establishment")
        return {"establishment": establishment, "area": establishment.area,
                "sector": establishment.sector, "subject_name": establishment.name}
    if data.subject == Inspection.Subject.PERSON:
        member = RosterMember.objects.select_related("organisation__area").filter(
            pk=data.roster_member_id).first() if data.roster_member_id else None
        if member is None or not scope.covers(member.organisation.area, *policy.INSPECTION_RECORD,
                                              sector=member.organisation.sector):
            raise NotFound(_("Không có người này trong danh sách phải khai báo thuộc phạm vi "
                             "của bạn."), code="person_unknown", field="roster_member")
        return {"roster_member": member, "area": member.organisation.area,
                "sector": member.organisation.sector, "subject_name": member.full_name}
    if data.subject != Inspection.Subject.VENUE:
        raise Invalid(code="subject_invalid", field="subject")
    venue = _venue(scope, data.venue_code)
    return {"venue": venue, "area": venue.area, "sector": venue.sector,
            "subject_name": venue.name}


def fine_bracket(violation: ViolationCategory, subject: str) -> tuple[int, int]:
    """The fines allowed for the subject: Decree 117/2020 states the individual's bracket
    and sets twice it for organisations (a venue or an establishment)."""
    if subject == Inspection.Subject.PERSON:
        return violation.fine_min, violation.fine_max
    return violation.fine_min, 2 * violation.fine_max


def record(scope: Scope, user: User, data: InspectionInput) -> Inspection:
    if not scope.has(*policy.INSPECTION_RECORD):
        raise NotFound(code="not_found")
    subject = _subject(scope, data)
    if data.result not in Inspection.Result.values:
        raise Invalid(code="result_invalid", field="result")
    if data.inspected_at > timezone.now() + timedelta(minutes=5):
        raise Invalid(code="inspected_at_future", field="inspected_at")
    violation = None
    if data.result == Inspection.Result.VIOLATION:
        if not data.violation_code:
            raise Invalid(code="violation_required", field="violation")
        violation = ViolationCategory.objects.filter(code=data.violation_code,
                                                     active=True).first()
        if violation is None:
            raise Invalid(code="violation_unknown", field="violation")
        low, high = fine_bracket(violation, data.subject)
        if data.fine is not None and not low <= data.fine <= high:
            raise Invalid(code="fine_out_of_range", field="fine")
    elif data.fine:
        raise Invalid(code="fine_without_violation", field="fine")
    inspection = Inspection.objects.create(
        subject=data.subject, **subject, inspector=user,
        inspected_at=data.inspected_at, poster_displayed=data.poster_displayed,
        scanning_enforced=data.scanning_enforced, staff_declared=data.staff_declared,
        result=data.result, violation=violation,
        fine=data.fine if violation else None, notes=data.notes[:2000])
    audit.record(user, "inspection.record", target=inspection)
    return inspection


@dataclass(frozen=True)
class InspectionFilter:
    date_from: date | None = None
    date_to: date | None = None
    result: str = ""
    violation: str = ""
    area_code: str = ""


def visible(scope: Scope, filters: InspectionFilter) -> QuerySet[Inspection]:
    qs = Inspection.objects.filter(scope.area_filter("area", *policy.INSPECTION_READ,
                                                     sector_field="sector"))
    if filters.area_code:
        qs = qs.filter(area__path__startswith=_area_path(filters.area_code))
    if filters.date_from:
        qs = qs.filter(inspected_at__gte=clock.at(filters.date_from))
    if filters.date_to:
        qs = qs.filter(inspected_at__lt=clock.at(filters.date_to + timedelta(days=1)))
    if filters.result:
        qs = qs.filter(result=filters.result)
    if filters.violation:
        qs = qs.filter(violation__code=filters.violation)
    return qs.select_related("venue", "establishment", "area", "violation") \
        .order_by("-inspected_at")


def for_printing(scope: Scope, user: User, pk: int) -> Inspection:
    """One inspection within the viewer's reach, for its printed record (which names the
    inspected person or place: the printing is audited); else not found."""
    inspection = visible(scope, InspectionFilter()).filter(pk=pk).first()
    if inspection is None:
        raise NotFound(code="inspection_unknown")
    audit.record(user, "inspection.print", target=inspection)
    return inspection


def _area_path(code: str) -> str:
    return resolve_area(code).path
