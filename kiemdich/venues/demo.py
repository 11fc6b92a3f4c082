"""Demo venues: a few hundred places of every sector across the demo province's communes.

Registered through the same service as real places, so the one-code-per-place rule makes a
second run add nothing.
"""

from __future__ import annotations

from kiemdich.accounts.demo import (
    DEMO_OWNER_PHONE,
    DEMO_STAFF_PHONE,
    demo_communes,
)
from kiemdich.accounts.models import Role
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.services import account_for_phone
from kiemdich.errors import Conflict
from kiemdich.venues import services
from kiemdich.venues.models import Venue
from kiemdich.venues.types import VENUE_TYPES

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


def _data(n: int, communes: list) -> dict:
    kind = list(VENUE_TYPES.values())[n % len(VENUE_TYPES)]
    commune = communes[(n * 7) % len(communes)]
    data = {"name": f"{kind.label} {NAMES[n % len(NAMES)]} {n // len(NAMES) + 1}",
            "venue_type": kind.key, "area_code": commune.code,
            "street": f"{(n * 13) % 400 + 1} {STREETS[n % len(STREETS)]}",
            "opening_hours": "6:00–21:00"}
    if kind.is_vehicle:
        data.update(street="", vehicle_plate=f"60B{10000 + n}",
                    vehicle_route=ROUTES[n % len(ROUTES)])
    if kind.sector == "labour":
        data["business_reg_no"] = f"36{n:08d}"
    return data


def _register(owner, data: dict) -> Venue:
    """The venue made now, or the one a previous run made."""
    try:
        return services.register_venue(owner, data)
    except Conflict as exc:
        if "id" not in exc.extra["existing"]:  # someone else's place: not ours to reuse
            raise
        return Venue.objects.get(pk=exc.extra["existing"]["id"])


def seed(out) -> None:
    communes = demo_communes()
    demo_owner = account_for_phone(DEMO_OWNER_PHONE)
    owners = [account_for_phone(f"09010000{i:02d}") for i in range(OTHER_OWNERS)]
    before = Venue.objects.count()
    own: list[Venue] = []
    for n in range(VENUE_COUNT):
        # The demo owner holds every 40th place (several, of different types).
        owner = demo_owner if n % 40 == 0 else owners[n % OTHER_OWNERS]
        venue = _register(owner, _data(n, communes))
        if owner == demo_owner:
            own.append(venue)
    hospital = _register(demo_owner, {
        "name": SPECIAL_HOSPITAL, "venue_type": "hospital", "area_code": communes[0].code,
        "street": "234 Quốc lộ 1A", "contact_phone": "0251 3883 560"})
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
