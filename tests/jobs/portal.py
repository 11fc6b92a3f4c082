"""The portal's side of the worker tests, in the database of the environment:
`python -m tests.jobs.portal officer PHONE [ROLE [AREA]]` loads the test area tree (once),
gives PHONE the role (an officer of the whole province by default) and prints a logged-in
session's cookie and an API token as JSON; `... rows` prints what the imports wrote (rows
and distinct keys); `... establishments N` registers N establishments without a venue in a
commune of the province; `... tracing N` makes an F0 (phone 0912600000) who sat an hour in
a café with N others on 10 August 2021."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from kiemdich.accounts.auth import issue_token  # noqa: E402
from kiemdich.accounts.services import grant_role  # noqa: E402
from kiemdich.areas.models import Area  # noqa: E402
from kiemdich.areas.services import file_tree, load_tree  # noqa: E402
from kiemdich.reports.models import Establishment, RosterMember  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def officer(phone: str, role: str = "officer", area: str = "75") -> dict:
    from django.conf import settings

    if not Area.objects.exists():
        load_tree(file_tree(FIXTURES / "areas-3level.json"))
    user = grant_role(phone, role, Area.objects.get(code=area) if area else None).user
    client = Client()
    client.force_login(user)
    return {"session": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "cookie": settings.SESSION_COOKIE_NAME, "token": issue_token(user)[0]}


def rows() -> dict:
    keys = RosterMember.objects.values("organisation", "phone", "id_number_digest")
    from kiemdich.jobs.models import Task

    return {"establishments": Establishment.objects.count(), "tasks": Task.objects.count(),
            "roster": RosterMember.objects.count(),
            "roster_keys": keys.annotate(n=Count("id")).count(),
            "roster_repeated": keys.annotate(n=Count("id")).filter(n__gt=1).count()}


def establishments(n: int) -> dict:
    commune = Area.objects.get(code="25993")
    Establishment.objects.bulk_create(
        [Establishment(reg_no=f"DK{i:07d}", name=f"Cơ sở số {i}", area=commune,
                       sector="trade") for i in range(1, n + 1)], batch_size=5000)
    return {"establishments": Establishment.objects.count()}


def tracing(n: int) -> dict:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from kiemdich.accounts.models import User
    from kiemdich.people.models import Person
    from kiemdich.scans.models import Visit
    from kiemdich.venues.models import Venue

    commune = Area.objects.get(code="25993")
    owner = User.objects.create_user("+84912600999")
    cafe = Venue.objects.create(code="TCAFE0001", name="Quán Cơm Tấm", venue_type="restaurant",
                                sector="trade", area=commune, street="1 Lê Lợi",
                                place_key="tracing-cafe", default_stay_minutes=60, owner=owner)
    entered = datetime(2021, 8, 10, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    people = [Person.objects.create(full_name="Người Bệnh", phone="+84912600000", area=commune,
                                    source="manual")]
    people += Person.objects.bulk_create(
        [Person(full_name=f"Người Tiếp Xúc {i}", phone=f"+849126{i:05d}", area=commune,
                source="manual") for i in range(1, n + 1)])
    Visit.objects.bulk_create(
        [Visit(person=p, venue=cafe, entered_at=entered, left_at=entered + timedelta(hours=1),
               closes_at=entered + timedelta(hours=1), entry_method="self",
               exit_method="self", day=entered.date()) for p in people], batch_size=2000)
    return {"people": len(people)}


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    made = {"officer": lambda: officer(*args), "rows": rows,
            "establishments": lambda: establishments(int(args[0])),
            "tracing": lambda: tracing(int(args[0]))}[command]()
    print(json.dumps(made))
