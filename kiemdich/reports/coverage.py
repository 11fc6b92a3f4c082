"""Coverage against the plan's targets, and the CSV imports it is measured against:
population per commune, the registry of establishments, rosters of people who must declare.

Imports check every row and report bad ones by line number and reason (never echoing the
row: it may hold personal data). Good rows are saved unless the user chose all-or-nothing,
in which case one bad row rejects the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import Role, Sector, User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.csvrows import read_rows
from kiemdich.errors import DomainError, Invalid, NotFound
from kiemdich.reports.models import (
    CitizenRegistration,
    Establishment,
    ImportJob,
    Organisation,
    Population,
    RosterMember,
)
from kiemdich.zones.services import residents_declared

IMPORT_ROLES = (Role.OFFICER, Role.ADMIN)
COLUMNS = {
    ImportJob.Kind.POPULATION: ("area_code", "population"),
    ImportJob.Kind.ESTABLISHMENTS: ("reg_no", "name", "area_code", "sector"),
    ImportJob.Kind.ROSTER: ("full_name", "phone", "id_number"),
}
_REG_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]{0,31}")


def max_rows() -> int:
    return int(getattr(settings, "REPORT_IMPORT_MAX_ROWS", 20000))


class RowError(Exception):
    """One bad row; the message says why."""


# Targets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    low: int  # % that meets the target
    high: int  # % the plan aims for at best (equal to low for "everyone")


RESIDENTS_TARGET = Target(50, 80)
VENUES_TARGET = Target(100, 100)
ROSTER_TARGET = Target(100, 100)


@dataclass(frozen=True)
class Coverage:
    label: str
    done: int
    total: int
    target: Target

    @property
    def percent(self) -> float | None:
        return round(100 * self.done / self.total, 1) if self.total else None

    @property
    def level(self) -> str:
        """ok when the target is met, warn from 70 % of it, bad below (or no data)."""
        if self.percent is None:
            return "none"
        if self.percent >= self.target.low:
            return "ok"
        return "warn" if self.percent >= 0.7 * self.target.low else "bad"


def population_of(area: Area) -> int:
    return Population.objects.filter(area__path__startswith=area.path).aggregate(
        n=Sum("residents"))["n"] or 0


def registered_venue_exists(area: Area) -> Exists:
    """A venue with the establishment's registration number in the area being viewed."""
    from kiemdich.venues.models import Venue

    return Exists(Venue.objects.filter(business_reg_no=OuterRef("reg_no"),
                                       area__path__startswith=area.path,
                                       status=Venue.Status.ACTIVE))


def declared_on(day: date) -> Q:
    """A Q on RosterMember: someone matching the member by phone or ID digest declared."""
    from kiemdich.declarations.models import Declaration

    on_day = Declaration.objects.filter(local_date=day)
    by_phone = on_day.filter(Q(person__phone=OuterRef("phone"))
                             | Q(person__is_self=True, person__account__phone=OuterRef("phone")))
    by_id = on_day.filter(person__id_number_digest=OuterRef("id_number_digest"))
    return (Q(Exists(by_phone)) & ~Q(phone="")) | (Q(Exists(by_id)) & ~Q(id_number_digest=""))


def establishments(area: Area, sectors: frozenset[str] | None) -> QuerySet[Establishment]:
    qs = Establishment.objects.filter(area__path__startswith=area.path)
    return qs.filter(sector__in=sectors) if sectors else qs


def roster_members(area: Area, sectors: frozenset[str] | None) -> QuerySet[RosterMember]:
    qs = RosterMember.objects.filter(organisation__area__path__startswith=area.path)
    return qs.filter(organisation__sector__in=sectors) if sectors else qs


def coverage(area: Area, sectors: frozenset[str] | None, today: date) -> list[Coverage]:
    citizens = CitizenRegistration.objects.filter(
        area__path__startswith=area.path, day__lte=today).aggregate(n=Sum("citizens"))["n"] or 0
    registry = establishments(area, sectors)
    roster = roster_members(area, sectors)
    must, declared = roster.count(), roster.filter(declared_on(today)).count()
    if not sectors:
        # People living in a quarantine or lockdown zone must declare too (plan II.2); they
        # belong to no sector.
        residents, declared_residents = residents_declared(area, today)
        must, declared = must + residents.count(), declared + declared_residents.count()
    return [
        Coverage(gettext("Người dân dùng ứng dụng"), citizens, population_of(area),
                 RESIDENTS_TARGET),
        Coverage(gettext("Cơ sở đã đăng ký địa điểm"),
                 registry.filter(registered_venue_exists(area)).count(), registry.count(),
                 VENUES_TARGET),
        Coverage(gettext("Người phải khai báo đã khai báo hôm nay"), declared, must,
                 ROSTER_TARGET),
    ]


# Imports ------------------------------------------------------------------------------


def _leaf(code: str, scope: Scope, sector: str = "") -> Area:
    area = Area.objects.filter(code=(code or "").strip(), is_leaf=True).first()
    if area is None:
        raise RowError(gettext("mã xã/phường không tồn tại"))
    if not scope.covers(area, *IMPORT_ROLES, sector=sector):
        raise RowError(gettext("địa bàn ngoài phạm vi của bạn"))
    return area


def _population(row: dict, scope: Scope) -> Callable[[], None]:
    area = _leaf(row["area_code"], scope)
    text = (row["population"] or "").strip().replace(".", "").replace(" ", "")
    if not text.isascii() or not text.isdigit() or int(text) > 50_000_000:
        raise RowError(gettext("dân số phải là số nguyên không âm"))
    residents = int(text)
    return lambda: Population.objects.update_or_create(area=area,
                                                       defaults={"residents": residents})


def _establishment(row: dict, scope: Scope) -> Callable[[], None]:
    reg_no = (row["reg_no"] or "").strip()
    name = (row["name"] or "").strip()
    sector = (row["sector"] or "").strip()
    if not _REG_NO.fullmatch(reg_no):
        raise RowError(gettext("số đăng ký trống hoặc có ký tự không hợp lệ"))
    if not name or len(name) > 200:
        raise RowError(gettext("tên cơ sở trống hoặc quá dài"))
    if sector not in Sector.values:
        raise RowError(gettext("lĩnh vực không hợp lệ"))
    area = _leaf(row["area_code"], scope, sector)
    return lambda: Establishment.objects.update_or_create(
        reg_no=reg_no, defaults={"name": name, "area": area, "sector": sector})


def _roster_row(organisation: Organisation) -> Callable[[dict, Scope], Callable[[], None]]:
    from kiemdich.people.identity import validate_id_number
    from kiemdich.people.protect import id_digest

    def parse(row: dict, scope: Scope) -> Callable[[], None]:
        name = (row["full_name"] or "").strip()
        if not name or len(name) > 120:
            raise RowError(gettext("họ tên trống hoặc quá dài"))
        phone_text, id_text = (row["phone"] or "").strip(), (row["id_number"] or "").strip()
        if not phone_text and not id_text:
            raise RowError(gettext("cần số điện thoại hoặc số giấy tờ"))
        try:
            phone = normalize_phone(phone_text) if phone_text else ""
            digest = id_digest(validate_id_number(id_text)[1]) if id_text else ""
        except DomainError as exc:
            raise RowError(str(exc.message)) from None
        return lambda: RosterMember.objects.update_or_create(
            organisation=organisation, phone=phone, id_number_digest=digest,
            defaults={"full_name": name})

    return parse


def _rows(data: bytes, kind: str) -> list[tuple[int, dict]]:
    return read_rows(data, COLUMNS[kind], max_rows())


def organisation_for(scope: Scope, user: User, name: str, area_code: str,
                     sector: str) -> Organisation:
    """The organisation a roster belongs to, made on first import (by name within a commune)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid(_("Cần tên cơ quan, đơn vị."), code="organisation_name", field="name")
    if sector not in Sector.values:
        raise Invalid(_("Lĩnh vực không hợp lệ."), code="sector_invalid", field="sector")
    area = Area.objects.filter(code=(area_code or "").strip(), is_leaf=True).first()
    if area is None or not scope.covers(area, *IMPORT_ROLES, sector=sector):
        raise NotFound(_("Không có địa bàn này trong phạm vi của bạn."), code="area_unknown",
                       field="area_code")
    organisation, _created = Organisation.objects.get_or_create(
        name=name, area=area, defaults={"sector": sector, "created_by": user})
    return organisation


def run_import(scope: Scope, user: User, kind: str, data: bytes, filename: str = "",
               all_or_nothing: bool = False,
               organisation: Organisation | None = None) -> ImportJob:
    """Check every row, then save the good ones (or none) and record the outcome."""
    if not scope.has(*IMPORT_ROLES):
        raise NotFound(_("Không tìm thấy."), code="not_found")
    if kind not in COLUMNS:
        raise Invalid(_("Loại dữ liệu không hợp lệ."), code="import_kind", field="kind")
    if kind == ImportJob.Kind.ROSTER and organisation is None:
        raise Invalid(_("Cần chọn cơ quan, đơn vị."), code="organisation_required",
                      field="organisation")
    rows = _rows(data, kind)
    parse = {ImportJob.Kind.POPULATION: _population,
             ImportJob.Kind.ESTABLISHMENTS: _establishment}.get(kind) or _roster_row(organisation)
    job = ImportJob.objects.create(kind=kind, created_by=user, organisation=organisation,
                                   filename=filename[:200], all_or_nothing=all_or_nothing,
                                   total_rows=len(rows))
    saves: list[Callable[[], None]] = []
    errors: list[dict] = []
    seen: set[str] = set()
    key_column = {ImportJob.Kind.POPULATION: "area_code",
                  ImportJob.Kind.ESTABLISHMENTS: "reg_no"}.get(kind)
    for line, row in rows:
        try:
            if any(v is None for v in row.values()) or None in row:
                raise RowError(gettext("số cột không đúng"))
            key = (row[key_column] or "").strip() if key_column else None
            if key and key in seen:
                raise RowError(gettext("trùng với một dòng ở trên"))
            saves.append(parse(row, scope))
            if key:
                seen.add(key)
        except RowError as exc:
            errors.append({"line": line, "reason": str(exc)})
    if all_or_nothing and errors:
        job.status = ImportJob.Status.REJECTED
    else:
        with transaction.atomic():
            for save in saves:
                save()
        job.imported_rows = len(saves)
        job.status = ImportJob.Status.DONE
    job.processed_rows = len(rows)
    job.errors = errors
    job.finished_at = timezone.now()
    job.save()
    return job
