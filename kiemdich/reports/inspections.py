"""Inspection visits: recorded by inspectors for venues in their area (and sector)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts.models import Role, User
from kiemdich.accounts.scopes import Scope
from kiemdich.core import clock
from kiemdich.errors import Invalid, NotFound
from kiemdich.privacy import audit
from kiemdich.reports.models import Inspection, ViolationCategory

RECORD_ROLES = (Role.INSPECTOR, Role.ADMIN)
READ_ROLES = (Role.INSPECTOR, Role.OFFICER, Role.ADMIN)


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


def _venue(scope: Scope, code: str):
    from kiemdich.venues.models import Venue
    from kiemdich.venues.services import typed_code

    # The poster's "Mã nhập tay" as the inspector types it: dashes, spaces, any case.
    venue = Venue.objects.select_related("area").filter(code=typed_code(code or "")).first()
    if venue is None or not scope.may_supervise_venue(venue, *RECORD_ROLES):
        raise NotFound(_("Không có địa điểm mã này trong phạm vi của bạn."),
                       code="venue_unknown", field="venue_code")
    return venue


def record(scope: Scope, user: User, data: InspectionInput) -> Inspection:
    venue = _venue(scope, data.venue_code)
    if data.result not in Inspection.Result.values:
        raise Invalid(_("Kết quả không hợp lệ."), code="result_invalid", field="result")
    if data.inspected_at > timezone.now() + timedelta(minutes=5):
        raise Invalid(_("Thời điểm kiểm tra ở tương lai."), code="inspected_at_future",
                      field="inspected_at")
    violation = None
    if data.result == Inspection.Result.VIOLATION:
        violation = ViolationCategory.objects.filter(code=data.violation_code,
                                                     active=True).first()
        if violation is None:
            raise Invalid(_("Cần chọn hành vi vi phạm."), code="violation_required",
                          field="violation")
        # Decree 117/2020 doubles individuals' brackets for organisations.
        if data.fine is not None and not violation.fine_min <= data.fine <= 2 * violation.fine_max:
            raise Invalid(_("Số tiền phạt ngoài khung của hành vi vi phạm."),
                          code="fine_out_of_range", field="fine")
    elif data.fine:
        raise Invalid(_("Chỉ phạt tiền khi có vi phạm."), code="fine_without_violation",
                      field="fine")
    inspection = Inspection.objects.create(
        venue=venue, area=venue.area, sector=venue.sector, inspector=user,
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
    qs = Inspection.objects.filter(scope.area_filter("area", *READ_ROLES, sector_field="sector"))
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
    return qs.select_related("venue", "area", "violation").order_by("-inspected_at")


def _area_path(code: str) -> str:
    from kiemdich.areas.services import resolve_area

    return resolve_area(code).path
