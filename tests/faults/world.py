"""A small world in the database of the environment, for the fault tests' own servers:
`python -m tests.faults.world N` makes the test area tree, an owner with a restaurant and a
reader, and N people who each logged in and hold an app code; prints it as one JSON line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from kiemdich.accounts.auth import issue_token  # noqa: E402
from kiemdich.accounts.services import account_for_phone  # noqa: E402
from kiemdich.areas.services import file_tree, load_tree  # noqa: E402
from kiemdich.people.codes import issue_app_code  # noqa: E402
from kiemdich.people.models import Person  # noqa: E402
from kiemdich.venues.devices import create_device  # noqa: E402
from kiemdich.venues.services import register_venue  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def main(people: int) -> dict:
    load_tree(file_tree(FIXTURES / "areas-3level.json"))
    owner = account_for_phone("0913000001")
    venue = register_venue(owner, {"name": "Quán Phở Hòa", "venue_type": "restaurant",
                                   "area_code": "25993", "street": "1 Lê Lợi",
                                   "default_stay_minutes": 60})
    _device, device_token = create_device(venue, "Cổng chính")
    codes, tokens = [], []
    now = timezone.now()
    for n in range(people):
        user = account_for_phone(f"09140{n:05d}")
        person = Person.objects.get_or_create(account=user, is_self=True)[0]
        codes.append(issue_app_code(person.public_id, now)[0])
        tokens.append(issue_token(user)[0])
    return {"venue_id": venue.pk, "device_token": device_token,
            "owner_token": issue_token(owner)[0], "codes": codes,
            "poster_code": venue.code, "person_tokens": tokens}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)))
