import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiemdich.privacy.dbroles import RolePlan, apply


class Command(BaseCommand):
    help = ("PostgreSQL: create (or update) the owner role that runs migrations and the app "
            "role the application runs as, which may only INSERT and SELECT the audit trail. "
            "Run from an administrator's DATABASE_URL, again after each migration. Passwords "
            "come from KIEMDICH_OWNER_DB_PASSWORD and KIEMDICH_APP_DB_PASSWORD when set.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", default="kiemdich_owner")
        parser.add_argument("--app", default="kiemdich_app")

    def handle(self, *args: Any, owner: str, app: str, **options: Any) -> None:
        if owner == app:
            raise CommandError("the owner and the app role must differ")
        try:
            done = apply(RolePlan(owner, app,
                                  os.environ.get("KIEMDICH_OWNER_DB_PASSWORD", ""),
                                  os.environ.get("KIEMDICH_APP_DB_PASSWORD", "")))
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"owner {owner}: {done['relations']} relations and {done['functions']} functions "
            f"handed over; app {app}: data read/write, audit trail INSERT and SELECT only"))
