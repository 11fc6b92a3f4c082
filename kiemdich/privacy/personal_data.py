"""What privacy itself holds: the audit trail (who saw or changed what about a person), the
deletion requests, the abuse flags; and the generated export files."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from kiemdich.core.personal_data import Export, Holder, Purge, register
from kiemdich.privacy.models import AuditEntry


def purge_export_files(now: datetime) -> int:
    """Remove generated export files older than their retention."""
    directory = settings.DATA_DIR / "exports"
    if not directory.is_dir():
        return 0
    cutoff = (now - timedelta(days=settings.RETENTION_EXPORTS_DAYS)).timestamp()
    removed = 0
    for path in directory.rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _purge(run: Purge) -> None:
    run.count("export_files", purge_export_files(run.now))


def _export(export: Export) -> None:
    targets = {pk: f"people.person:{pk}" for pk in export.ids}
    export.add("access_log", AuditEntry.objects.filter(target__in=targets.values())
               .order_by("at").values("target", "at", "action", "reason"),
               key="target", by=targets.__getitem__)


register(Holder(
    app="privacy",
    models={
        "privacy.AuditEntry": "who saw or changed what about a person: never purged, the "
                              "proof (docs/security.md); a person's entries are exported",
        "privacy.DeletionRequest": "an account's request to be erased: kept as the record "
                                   "that it was carried out (the account id only)",
        "privacy.Flag": "remote or mass check-ins of an account at a venue; the reference "
                        "goes with the account",
    },
    purge=_purge, export=_export,
))
