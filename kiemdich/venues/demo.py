"""Demo venues: a few hundred places of every sector across the demo province's communes.

Registered through the same service as real places, so the one-code-per-place rule makes a
second run add nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TextIO

from django.utils import timezone

from kiemdich.accounts.demo import (
    DEMO_OWNER_PHONE,
    DEMO_STAFF_PHONE,
    demo_communes,
)
from kiemdich.accounts.models import Role, User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.services import account_for_phone
from kiemdich.core.errors import Conflict
from kiemdich.venues import services
from kiemdich.venues.models import Venue
from kiemdich.venues.types import VENUE_TYPES, VenueType

VENUE_COUNT = 320
OTHER_OWNERS = 40  # phones 0901000000 … 0901000039
SPECIAL_OFFICER_PHONE = "0900000005"  # a province health officer of accounts.demo
SPECIAL_HOSPITAL = "Bệnh viện Đa khoa Thống Nhất"
NAMES = ["Hòa Bình", "Thành Công", "An Phát", "Minh Anh", "Phú Cường", "Tân Tiến", "Hưng Thịnh",
         "Bình An", "Đại Phát", "Kim Ngân", "Phúc Lộc", "Thiên Phú", "Hoàng Long", "Việt Tiến",
         "Sao Mai", "Hồng Hà", "Nam Phong", "Đông Á", "Trường Sơn", "Quang Minh", "Ngọc Lan",
         "Thanh Xuân", "Bảo Châu", "Gia Huy", "Long Thành", "Mỹ Hạnh", "Tín Nghĩa", "Vĩnh Phát"]
STREETS = ["Đường Phạm Văn Thuận", "Đường Đồng Khởi", "Quốc lộ 1A", "Đường Võ Thị Sáu",
           "Đường Nguyễn Ái Quốc", "Đường Bùi Văn Hòa", "Đường 30 Tháng 4", "Quốc lộ 51",
           "Đường Hà Huy Giáp", "Đường Cách Mạng Tháng 8"]
ROUTES = ["Biên Hòa – Long Thành", "Biên Hòa – Trảng Bom", "Biên Hòa – Bến xe Miền Đông",
          "Long Khánh – Xuân Lộc", "Phà Cát Lái"]


# Registered over the last REGISTERED_OVER_DAYS days (the n-th place the longest ago), so the
# figures of registrations by day have a history; one place in QUIET_EVERY stopped scanning
# QUIET_SINCE_DAYS ago, so the compliance list of places without scans has rows.
REGISTERED_OVER_DAYS = 40
QUIET_EVERY = 16
QUIET_SINCE_DAYS = 9
# The demo province's places, spread around Biên Hòa and the province's east: each commune
# has its own spot, so a case's map draws its places apart.
_ORIGIN = (10.85, 106.80)
_GRID_STEP = 0.045


def _kind(n: int) -> VenueType:
    return list(VENUE_TYPES.values())[n % len(VENUE_TYPES)]


def _name(n: int) -> str:
    return f"{_kind(n).label} {NAMES[n % len(NAMES)]} {n // len(NAMES) + 1}"


def _commune_index(n: int, communes: list) -> int:
    return (n * 7) % len(communes)


def _position(n: int, communes: list) -> tuple[float, float]:
    row, column = divmod(_commune_index(n, communes), 14)
    lat = _ORIGIN[0] + row * _GRID_STEP + ((n * 37) % 100 - 50) / 10_000
    lon = _ORIGIN[1] + column * _GRID_STEP + ((n * 53) % 100 - 50) / 10_000
    return round(lat, 6), round(lon, 6)


def _data(n: int, communes: list) -> dict:
    kind = _kind(n)
    commune = communes[_commune_index(n, communes)]
    lat, lon = _position(n, communes)
    data = {"name": _name(n), "venue_type": kind.key, "area_code": commune.code,
            "street": f"{(n * 13) % 400 + 1} {STREETS[n % len(STREETS)]}",
            "opening_hours": "6:00–21:00", "latitude": lat, "longitude": lon}
    if kind.is_vehicle:
        data.update(street="", vehicle_plate=f"60B{10000 + n}",
                    vehicle_route=ROUTES[n % len(ROUTES)])
    # Businesses carry their registration number, which the establishments registry matches.
    if kind.sector in ("labour", "trade"):
        data["business_reg_no"] = f"36{n:08d}"
    return data


def quiet_venue_names() -> list[str]:
    """The demo places that have had no scan for QUIET_SINCE_DAYS (scans.demo leaves them be)."""
    return [_name(n) for n in range(VENUE_COUNT) if n % QUIET_EVERY == 3]


def _registered_at(n: int, now: datetime) -> datetime:
    return now - timedelta(days=(VENUE_COUNT - n) * REGISTERED_OVER_DAYS // VENUE_COUNT,
                           hours=n % 9)


def _complete(venue: Venue, data: dict) -> None:
    """A place an earlier demo made keeps its code and gains what it lacked then (the
    coordinates, the registration number)."""
    Venue.objects.filter(pk=venue.pk, latitude__isnull=True).update(
        latitude=data["latitude"], longitude=data["longitude"])
    if data.get("business_reg_no"):
        Venue.objects.filter(pk=venue.pk, business_reg_no="").update(
            business_reg_no=data["business_reg_no"])


def _backdate(venue: Venue, n: int, now: datetime) -> None:
    """A place made by this run gets its day of registration in the past; one made by an
    earlier run keeps the day it was given then."""
    registered = _registered_at(n, now)
    if n % QUIET_EVERY == 3:  # registered before it went quiet
        registered = min(registered, now - timedelta(days=QUIET_SINCE_DAYS + 14))
    Venue.objects.filter(pk=venue.pk, created_at__gt=registered).update(created_at=registered)


def _register(owner: User, data: dict) -> Venue:
    """The venue made now, or the one a previous run made."""
    try:
        return services.register_venue(owner, data)
    except Conflict as exc:
        if "id" not in exc.extra["existing"]:  # someone else's place: not ours to reuse
            raise
        return Venue.objects.get(pk=exc.extra["existing"]["id"])


def seed(out: TextIO) -> None:
    communes = demo_communes()
    demo_owner = account_for_phone(DEMO_OWNER_PHONE)
    owners = [account_for_phone(f"09010000{i:02d}") for i in range(OTHER_OWNERS)]
    before = Venue.objects.count()
    now = timezone.now()
    own: list[Venue] = []
    for n in range(VENUE_COUNT):
        # The demo owner holds every 40th place (several, of different types).
        owner = demo_owner if n % 40 == 0 else owners[n % OTHER_OWNERS]
        data = _data(n, communes)
        venue = _register(owner, data)
        _complete(venue, data)
        _backdate(venue, n, now)
        if owner == demo_owner:
            own.append(venue)
    hospital = _register(demo_owner, {
        "name": SPECIAL_HOSPITAL, "venue_type": "hospital", "area_code": communes[0].code,
        "street": "234 Quốc lộ 1A", "contact_phone": "0251 3883 560",
        "latitude": _ORIGIN[0] + 0.012, "longitude": _ORIGIN[1] + 0.021})
    own.append(hospital)
    staffed = next((v for v in own if v.sector == "trade"), own[0])
    if not staffed.staff.filter(phone=normalize_phone(DEMO_STAFF_PHONE)).exists():
        services.add_staff(staffed, demo_owner, DEMO_STAFF_PHONE)
    if not hospital.is_special:
        officer = account_for_phone(SPECIAL_OFFICER_PHONE)
        if officer.grants.filter(role=Role.HEALTH_OFFICER).exists():
            services.set_special(hospital, officer, True,
                                 "Bệnh viện tiếp nhận người bệnh COVID-19")
    out.write(f"Venues: {Venue.objects.count() - before} new, {Venue.objects.count()} in all, "
              f"across {len(communes)} communes.")
    out.write(f"  {DEMO_OWNER_PHONE} owns {len(own)} places, e.g. “{own[0].name}” "
              f"(code {own[0].code}); {DEMO_STAFF_PHONE} scans at “{staffed.name}”; "
              f"“{hospital.name}” has special status.")
