"""Demo accounts of every role over the demo province, printed with their phone numbers."""

from __future__ import annotations

from typing import TextIO

from kiemdich.accounts.models import Role, Sector
from kiemdich.accounts.services import account_for_phone, grant_role
from kiemdich.areas.models import Area

DEMO_PROVINCE_CODE = "75"  # Đồng Nai

# (phone, role, where: "province" or "commune" = its first commune, sector)
DEMO_AUTHORITIES = [
    ("0900000001", Role.ADMIN, "province", ""),
    ("0900000002", Role.OFFICER, "province", ""),
    ("0900000003", Role.OFFICER, "commune", ""),
    ("0900000004", Role.OFFICER, "province", "trade"),
    ("0900000005", Role.HEALTH_OFFICER, "province", ""),
    ("0900000006", Role.HEALTH_OFFICER, "province", ""),
    ("0900000007", Role.INSPECTOR, "province", ""),
    ("0900000008", Role.AUDITOR, "province", ""),
    # A commune's health officer: the alerts and tracing of one commune, as most work.
    ("0900000009", Role.HEALTH_OFFICER, "commune", ""),
]
DEMO_OWNER_PHONE = "0900000010"
DEMO_STAFF_PHONE = "0900000011"
DEMO_CITIZEN_PHONE = "0900000020"


def demo_province() -> Area:
    return Area.objects.get(depth=0, code=DEMO_PROVINCE_CODE)


def demo_communes() -> list[Area]:
    return list(Area.objects.subtree(demo_province()).leaves().order_by("code"))


def seed(out: TextIO) -> None:
    province = demo_province()
    first_commune = demo_communes()[0]
    out.write("Demo accounts (log in with the phone; the code is in the SMS outbox):")
    for phone, role, where, sector in DEMO_AUTHORITIES:
        area = first_commune if where == "commune" else province
        grant_role(phone, role, area, sector)
        out.write(f"  {phone}  {Role(role).label} — {area.name}"
                  + (f" · {Sector(sector).label}" if sector else ""))
    for phone, label in [(DEMO_OWNER_PHONE, "venue owner"), (DEMO_STAFF_PHONE, "venue staff"),
                         (DEMO_CITIZEN_PHONE, "citizen")]:
        account_for_phone(phone)
        out.write(f"  {phone}  {label}")
