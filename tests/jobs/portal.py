"""The portal's side of the worker tests, in the database of the environment:
`python -m tests.jobs.portal officer PHONE` loads the test area tree (once), makes PHONE an
officer of the whole province and prints a logged-in session's cookie and an API token as
JSON; `... rows` prints what the imports wrote (rows and distinct keys)."""

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


def officer(phone: str) -> dict:
    from django.conf import settings

    if not Area.objects.exists():
        load_tree(file_tree(FIXTURES / "areas-3level.json"))
    user = grant_role(phone, "officer", Area.objects.get(code="75")).user
    client = Client()
    client.force_login(user)
    return {"session": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "cookie": settings.SESSION_COOKIE_NAME, "token": issue_token(user)[0]}


def rows() -> dict:
    keys = RosterMember.objects.values("organisation", "phone", "id_number_digest")
    return {"establishments": Establishment.objects.count(),
            "roster": RosterMember.objects.count(),
            "roster_keys": keys.annotate(n=Count("id")).count(),
            "roster_repeated": keys.annotate(n=Count("id")).filter(n__gt=1).count()}


if __name__ == "__main__":
    command = sys.argv[1]
    print(json.dumps(officer(sys.argv[2]) if command == "officer" else rows()))
