from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiemdich.accounts.models import Role, Sector
from kiemdich.accounts.services import grant_role
from kiemdich.areas.services import resolve_area
from kiemdich.core.errors import DomainError


class Command(BaseCommand):
    help = "Create (or extend) an authority account: a role over an area and optional sector."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--area", help="area code; none = the whole country")
        parser.add_argument("--sector", default="", choices=["", *Sector.values])

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            area = resolve_area(o["area"]) if o["area"] else None
            grant = grant_role(o["phone"], o["role"], area, o["sector"])
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        where = grant.area.name if grant.area else "*"
        self.stdout.write(self.style.SUCCESS(
            f"{grant.user.phone}: {grant.role} over {where} {grant.sector or ''}".rstrip()))
