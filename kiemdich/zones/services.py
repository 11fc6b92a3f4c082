"""Drawing and lifting zones, the zones in force in an area, and the people living in an
outbreak zone, who must declare every day (plan II.2, IV.8)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiemdich.accounts import policy
from kiemdich.accounts.scopes import Scope
from kiemdich.areas.models import Area
from kiemdich.areas.services import resolve_area
from kiemdich.core.audit import record
from kiemdich.core.errors import Conflict, Invalid, NotFound
from kiemdich.declarations.models import Declaration
from kiemdich.people.models import Person
from kiemdich.venues.codes import normalize_code
from kiemdich.venues.models import Venue
from kiemdich.zones.models import OUTBREAK_KINDS, Zone

if TYPE_CHECKING:
    from kiemdich.venues.models import Venue

# Officers of the area and health officers draw zones; admins everywhere (Scope.reaches).
MAX_DAYS = 366
REASON_MAX = 300


def today() -> date:
    return timezone.localdate()


def in_force(day: date | None = None) -> Q:
    """A Q on Zone: in force on `day` (today by default) — started, not past its last day,
    not lifted."""
    day = day or today()
    return Q(starts_on__lte=day, ends_on__gte=day, ended_at__isnull=True)


def zones_for(scope: Scope) -> QuerySet[Zone]:
    """The zones an officer sees: on communes and venues within their reach."""
    if not scope.has(*policy.ZONES):
        return Zone.objects.none()
    return (Zone.objects.filter(scope.area_filter("area", *policy.ZONES)
                                | scope.area_filter("venue__area", *policy.ZONES))
            .select_related("area", "venue", "venue__area")
            .order_by("-starts_on", "-pk"))


def zones_in(area: Area, day: date | None = None) -> QuerySet[Zone]:
    """Zones in force on `day` in `area`'s subtree (the area pages)."""
    return (Zone.objects.filter(in_force(day))
            .filter(Q(area__path__startswith=area.path)
                    | Q(venue__area__path__startswith=area.path))
            .select_related("area", "venue", "venue__area").order_by("kind", "pk"))


def visible_zone(scope: Scope, zone_id: int) -> Zone:
    zone = zones_for(scope).filter(pk=zone_id).first()
    if zone is None:
        raise NotFound(code="zone_not_found")
    return zone


def _dates(starts_on: date | None, ends_on: date | None) -> tuple[date, date]:
    if starts_on is None:
        raise Invalid(_("Cần ngày bắt đầu."), code="required", field="starts_on")
    if ends_on is None:
        raise Invalid(_("Cần ngày kết thúc."), code="required", field="ends_on")
    if ends_on < starts_on:
        raise Invalid(_("Ngày kết thúc phải từ ngày bắt đầu trở đi."), code="zone_dates",
                      field="ends_on")
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise Invalid(_("Một vùng kéo dài tối đa %(n)s ngày.") % {"n": MAX_DAYS},
                      code="zone_dates", field="ends_on")
    if ends_on < today():
        raise Invalid(_("Ngày kết thúc đã qua."), code="zone_dates", field="ends_on")
    return starts_on, ends_on


def _place(scope: Scope, area_code: str, venue_code: str) -> tuple[Area | None, Venue | None]:
    """The commune or the venue a zone is drawn on, within the officer's reach."""
    if bool((area_code or "").strip()) == bool((venue_code or "").strip()):
        raise Invalid(code="zone_place", field="area_code")
    if (venue_code or "").strip():
        code = normalize_code(venue_code)
        venue = Venue.objects.select_related("area").filter(code=code).first() \
            if code else None
        if venue is None or not scope.covers(venue.area, *policy.ZONES):
            raise NotFound(code="venue_not_found", field="venue_code")
        return None, venue
    area = resolve_area(area_code, leaf=True)
    if not scope.covers(area, *policy.ZONES):
        raise NotFound(_("Không có địa bàn này trong phạm vi của bạn."), code="area_unknown",
                       field="area_code")
    return area, None


@transaction.atomic
def draw(scope: Scope, kind: str, *, area_code: str = "", venue_code: str = "",
         starts_on: date | None = None, ends_on: date | None = None,
         reason: str = "") -> Zone:
    if not scope.has(*policy.ZONES):
        raise NotFound(code="not_found")
    if kind not in Zone.Kind.values:
        raise Invalid(code="zone_kind", field="kind")
    starts_on, ends_on = _dates(starts_on, ends_on)
    area, venue = _place(scope, area_code, venue_code)
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise Invalid(_("Lý do quá dài."), field="reason")
    zone = Zone.objects.create(kind=kind, area=area, venue=venue, starts_on=starts_on,
                               ends_on=ends_on, reason=reason, created_by=scope.user)
    if area is not None:
        where = f"area={area.code}"
    else:
        assert venue is not None  # _place gives one of the two
        where = f"venue={venue.pk}"
    record(scope.user, "zone_drawn", target=zone,
           reason=f"{kind} {where} {starts_on.isoformat()}..{ends_on.isoformat()}")
    return zone


@transaction.atomic
def lift(scope: Scope, zone_id: int) -> Zone:
    """End a zone before its last day (from today on it is no longer in force)."""
    zone = visible_zone(scope, zone_id)
    if zone.ended_at is not None or zone.ends_on < today():
        raise Conflict(code="zone_ended")
    zone.ended_at, zone.ended_by = timezone.now(), scope.user
    zone.save(update_fields=["ended_at", "ended_by"])
    record(scope.user, "zone_lifted", target=zone, reason=f"{zone.kind} ends_on was "
           f"{zone.ends_on.isoformat()}")
    return zone


def outbreak_residents(within: Area, day: date | None = None) -> QuerySet:
    """People living (their commune) in a quarantine or lockdown zone in force on `day`,
    within `within`: they must declare every day."""
    zones = Zone.objects.filter(in_force(day), kind__in=OUTBREAK_KINDS, area__isnull=False,
                                area__path__startswith=within.path)
    return Person.objects.filter(Exists(zones.filter(area_id=OuterRef("area_id"))))


def residents_declared(within: Area, day: date | None = None) -> tuple[QuerySet, QuerySet]:
    """(the residents of outbreak zones within `within`, those of them declared for on
    `day`): what the must-declare coverage adds to the imported rosters."""
    day = day or today()
    everyone = outbreak_residents(within, day)
    declared = Declaration.objects.filter(person_id=OuterRef("pk"), local_date=day)
    return everyone, everyone.filter(Exists(declared))


def undeclared_residents(within: Area, day: date | None = None) -> QuerySet:
    """Of those, the ones nobody declared for on `day`."""
    day = day or today()
    declared = Declaration.objects.filter(person_id=OuterRef("pk"), local_date=day)
    return (outbreak_residents(within, day).exclude(Exists(declared))
            .select_related("area", "account").order_by("area__code", "full_name", "pk"))



def undeclared_resident_rows(within: Area, day: date | None = None,
                             limit: int = 5000) -> list[tuple[str, str, str]]:
    """(zone, name, phone) of each resident of an outbreak zone nobody declared for on
    `day`: the rows the must-declare list adds beside the imported rosters."""
    zones = {z.area_id: z for z in Zone.objects.filter(
        in_force(day), kind__in=OUTBREAK_KINDS, area__path__startswith=within.path)
        .select_related("area").order_by("-kind")}
    rows = []
    for person in undeclared_residents(within, day)[:limit]:
        zone = zones[person.area_id]
        phone = person.phone or (person.account.phone if person.account_id else "")
        rows.append((f"{zone.get_kind_display()}: {zone.place_name}", person.full_name, phone))
    return rows
