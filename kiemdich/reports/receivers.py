"""What reports does when an app below it tells something (signals it listens to)."""

from __future__ import annotations

from kiemdich.reports.models import RosterMember


def rename_roster_digests(sender: type, renamed: dict[str, str], **kwargs: object) -> None:
    """The ID-number key rotated: rosters match people by the new digests (people.signals)."""
    for old, new in renamed.items():
        RosterMember.objects.filter(id_number_digest=old).update(id_number_digest=new)
