"""Demo zones: a lockdown over the demo province's first commune and a green zone over its
last one, in force for two weeks from today, so the zones page, its map, the area pages and
the must-declare list have something to show."""

from __future__ import annotations

from datetime import timedelta
from typing import TextIO

from kiemdich.accounts.demo import demo_communes
from kiemdich.accounts.models import Grant, Role
from kiemdich.zones.models import Zone
from kiemdich.zones.services import today


def seed(out: TextIO) -> None:
    if Zone.objects.exists():
        return
    communes = demo_communes()
    officer = (Grant.objects.filter(role=Role.OFFICER, area__depth=0, sector="")
               .select_related("user").first())
    start = today()
    Zone.objects.bulk_create([
        Zone(kind=Zone.Kind.LOCKDOWN, area=communes[0], starts_on=start,
             ends_on=start + timedelta(days=14), reason="Ổ dịch tại chợ (dữ liệu mẫu)",
             created_by=officer.user if officer else None),
        Zone(kind=Zone.Kind.GREEN, area=communes[-1], starts_on=start,
             ends_on=start + timedelta(days=14), reason="Chưa có ca bệnh (dữ liệu mẫu)",
             created_by=officer.user if officer else None),
    ])
    out.write(f"Demo zones: lockdown over {communes[0].name}, green zone over "
              f"{communes[-1].name}.")
