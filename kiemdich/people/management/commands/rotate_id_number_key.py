"""Re-encrypt the stored ID numbers under the current ID number key (docs/operations.md,
"Rotating keys"): run it after a new ID_NUMBER_KEY (or SECRET_KEY) is in place with the old
one among the fallbacks; when it reports nothing unreadable, the old key can be removed."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiemdich.core.audit import record
from kiemdich.core.protect import current_version
from kiemdich.people.services import reencrypt_id_numbers


class Command(BaseCommand):
    help = "Re-encrypt every stored ID number (and its digest) under the current key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        rewritten, unreadable = reencrypt_id_numbers(batch=batch)
        record("rotate_id_number_key", "id_number_key_rotated", target=current_version(),
               reason=f"rewritten={rewritten} unreadable={unreadable}")
        if unreadable:
            raise CommandError(f"re-encrypted {rewritten}; {unreadable} ID numbers open with "
                               "no configured key: keep the old key among the fallbacks")
        self.stdout.write(self.style.SUCCESS(
            f"re-encrypted {rewritten} ID numbers under key version {current_version()}"))
