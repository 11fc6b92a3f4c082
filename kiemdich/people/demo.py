"""Demo citizens: a few thousand people in families across the demo province's communes.

Deterministic (a seeded random generator) and idempotent: the bulk of the data is made once,
marked by the first generated phone number; the demo citizen's own family is completed on
every run.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from kiemdich.accounts.demo import DEMO_CITIZEN_PHONE, demo_communes
from kiemdich.accounts.models import User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.services import account_for_phone
from kiemdich.areas.models import Area
from kiemdich.core.protect import encrypt_id, id_digest
from kiemdich.people.models import Consent, Person
from kiemdich.people.services import CONSENT_VERSION

DEMO_ACCOUNTS = 1500
# Generated accounts use +8497 5xx xxxx: valid mobile numbers no demo role uses.
_PHONE_BASE = 975_000_000
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = {"male": ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành"],
          "female": ["Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim"]}
GIVEN = {"male": ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc",
                  "Quân", "Sơn", "Tài", "Thắng", "Trung", "Tuấn", "Việt"],
         "female": ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh",
                    "Mai", "Ngọc", "Nhung", "Phương", "Thảo", "Trang", "Vy", "Yến"]}
STREETS = ["Phạm Văn Thuận", "Đồng Khởi", "Nguyễn Ái Quốc", "Võ Thị Sáu", "Hà Huy Giáp",
           "Cách Mạng Tháng Tám", "30 Tháng 4", "Trần Quốc Toản", "Lê Lợi", "Hùng Vương"]


def demo_phone(index: int) -> str:
    return f"+84{_PHONE_BASE + index}"


def _person(rng: random.Random, *, family: str, gender: str, birth: date, area: Area,
            street: str, **extra: Any) -> Person:
    name = f"{family} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
    person = Person(full_name=name, gender=gender, birth_date=birth, area=area, street=street,
                    source=Person.Source.ACCOUNT, **extra)
    if timezone.localdate().year - birth.year >= 14:
        # A CCCD-shaped number: province 075, sex/century digit, year of birth, 6 digits.
        century = (0 if birth.year < 2000 else 2) + (1 if gender == "female" else 0)
        number = f"075{century}{birth.year % 100:02d}{rng.randrange(10**6):06d}"
        person.id_kind, person.id_number_cipher = "cccd", encrypt_id(number)
        person.id_number_digest = id_digest(number)
    return person


def _birth(rng: random.Random, low: int, high: int) -> date:
    return timezone.localdate() - timedelta(days=rng.randint(low * 365, high * 365))


@transaction.atomic
def _seed_families(communes: list) -> int:
    rng = random.Random(75)  # noqa: S311 — demo data, not secrets
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(phone=demo_phone(i), password=unusable) for i in range(DEMO_ACCOUNTS)],
        batch_size=500)
    if users[0].pk is None:  # backends that do not return ids from bulk inserts
        by_phone = dict(User.objects.filter(phone__in=[u.phone for u in users])
                        .values_list("phone", "pk"))
        for user in users:
            user.pk = by_phone[user.phone]
    people: list[Person] = []
    for user in users:
        area = rng.choice(communes)
        family = rng.choice(FAMILY)
        street = f"{rng.randint(1, 300)} {rng.choice(STREETS)}"
        gender = rng.choice(["male", "female"])
        people.append(_person(rng, family=family, gender=gender, birth=_birth(rng, 20, 65),
                              area=area, street=street, account=user, is_self=True,
                              phone=user.phone))
        for _ in range(rng.choice([0, 0, 1, 1, 1, 2, 2, 3])):
            child = rng.random() < 0.7
            kid_gender = rng.choice(["male", "female"])
            people.append(_person(
                rng, family=family if child else rng.choice(FAMILY), gender=kid_gender,
                birth=_birth(rng, 1, 17) if child else _birth(rng, 66, 90), area=area,
                street=street, account=user, is_self=False,
                relationship="con" if child else ("bố" if kid_gender == "male" else "mẹ")))
    Person.objects.bulk_create(people, batch_size=1000)
    Consent.objects.bulk_create([Consent(account=u, version=CONSENT_VERSION) for u in users],
                                batch_size=1000)
    return len(people)


def _seed_demo_citizen(communes: list) -> None:
    """The account printed by seed_demo: a named profile and two dependants, consent given."""
    user = account_for_phone(DEMO_CITIZEN_PHONE)
    area = communes[0]
    Person.objects.filter(account=user, is_self=True, full_name="").update(
        full_name="Trần Thị Lan", gender="female", birth_date=date(1988, 4, 12), area=area,
        street="25 Phạm Văn Thuận", phone=normalize_phone(DEMO_CITIZEN_PHONE))
    if not Person.objects.filter(account=user, is_self=False).exists():
        Person.objects.bulk_create([
            Person(account=user, full_name="Nguyễn Minh Khôi", gender="male",
                   birth_date=date(2015, 9, 3), relationship="con", area=area,
                   street="25 Phạm Văn Thuận"),
            Person(account=user, full_name="Trần Văn Sáu", gender="male",
                   birth_date=date(1946, 1, 20), relationship="bố", area=area,
                   street="25 Phạm Văn Thuận"),
        ])
    Consent.objects.get_or_create(account=user, version=CONSENT_VERSION)


def seed(out: TextIO) -> None:
    communes = demo_communes()
    if not communes:
        out.write("People: no demo communes loaded; skipped.")
        return
    seeded = User.objects.filter(phone=demo_phone(0)).exists()
    made = 0 if seeded else _seed_families(communes)
    _seed_demo_citizen(communes)
    total = Person.objects.filter(account__phone__startswith=demo_phone(0)[:6]).count()
    out.write(f"People: {total} demo citizens in {DEMO_ACCOUNTS} families"
              + (f" ({made} new)" if made else " (already there)")
              + f"; demo citizen {DEMO_CITIZEN_PHONE} manages 3 people.")
