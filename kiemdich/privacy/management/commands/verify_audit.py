from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiemdich.privacy.audit import check


class Command(BaseCommand):
    help = ("Check the audit trail: every entry's HMAC and link, and the anchors of the "
            "chain's head kept outside the database (a deleted tail or an emptied table is "
            "found). Fails naming the first problem.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchors", action="append", type=Path, default=None,
            help="an anchor file (a copy an auditor keeps); repeat for several. Default: "
                 "AUDIT_ANCHOR_FILE.")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = options["anchors"] or [settings.AUDIT_ANCHOR_FILE]
        absent = [path for path in paths if not path.exists()]
        if options["anchors"] and absent:
            raise CommandError(f"anchor file not found: {absent[0]}")
        verdict = check(paths)
        if not verdict.intact:
            raise CommandError("audit trail NOT intact: " + "; ".join(verdict.problems))
        self.stdout.write(self.style.SUCCESS(
            f"audit trail intact: {verdict.checked} entries, {verdict.anchors} anchors"))
