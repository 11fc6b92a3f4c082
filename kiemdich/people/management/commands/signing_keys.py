"""The personal QR signing keys in the database: list, rotate, retire, re-encrypt, import.

docs/operations.md ("Rotating keys") is the runbook.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kiemdich.core.audit import record
from kiemdich.people import keys
from kiemdich.people.models import SigningKey


class Command(BaseCommand):
    help = "Manage the Ed25519 keys that sign personal QR codes (shared by every app server)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="every key, its state and until when it verifies")
        actions.add_parser("rotate", help="a new key signs from now; the old ones verify "
                                          "until their codes have expired")
        retire = actions.add_parser("retire", help="drop superseded keys whose codes have all "
                                                   "expired (run daily)")
        retire.add_argument("--kid", default="", help="retire this superseded key at once "
                                                      "(leaked): its codes are refused")
        actions.add_parser("reencrypt", help="encrypt every key under the current "
                                             "KEY_ENCRYPTION_KEY")
        take = actions.add_parser("import", help="take the <kid>.pem keys of an older "
                                                 "release's key directory (verify only)")
        take.add_argument("directory", type=Path)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except keys.KeyConflict:
            raise CommandError("another server added a key at the same moment; "
                               "run `signing_keys list` and try again") from None
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None

    def _list(self, **options: Any) -> None:
        now = timezone.now()
        active = keys.stored_keyring().reload().active_kid
        for row in SigningKey.objects.order_by("generation"):
            if row.retired_at is not None:
                state = f"retired {row.retired_at:%Y-%m-%d %H:%M}"
            elif row.kid == active:
                state = "signs"
            elif row.verify_until is not None and row.verify_until <= now:
                state = "expired, to retire"
            else:
                state = f"verifies until {row.verify_until:%Y-%m-%d %H:%M}"
            self.stdout.write(f"{row.generation:>4} {row.kid} "
                              f"made {row.created_at:%Y-%m-%d %H:%M}  {state}")

    def _rotate(self, **options: Any) -> None:
        row = keys.rotate()
        record("signing_keys", "signing_key_rotated", target=f"key:{row.kid}")
        self.stdout.write(self.style.SUCCESS(f"key {row.kid} signs from now on"))

    def _retire(self, kid: str = "", **options: Any) -> None:
        retired = keys.retire(kid=kid)
        if kid and not retired:
            raise CommandError(f"no superseded key {kid!r} to retire (rotate first if it is "
                               "the one that signs)")
        for row in retired:
            record("signing_keys", "signing_key_retired", target=f"key:{row.kid}",
                   reason="leaked" if kid else "expired")
        self.stdout.write(self.style.SUCCESS(
            f"retired: {' '.join(r.kid for r in retired) or 'none'}"))

    def _reencrypt(self, **options: Any) -> None:
        count = keys.reencrypt()
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {count} keys"))

    def _import(self, directory: Path, **options: Any) -> None:
        if not directory.is_dir():
            raise CommandError(f"{directory}: not a directory")
        imported = keys.import_directory(directory)
        for row in imported:
            record("signing_keys", "signing_key_imported", target=f"key:{row.kid}")
        self.stdout.write(self.style.SUCCESS(
            f"imported: {' '.join(r.kid for r in imported) or 'none'}"))
