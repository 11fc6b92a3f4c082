"""Read and verify the audit trail written by `kiemdich.core.audit` (the writer, in the
kernel): anchors, the chain's check, the nightly alert, the auditors' search.

Every AUDIT_ANCHOR_EVERY entries (and whenever `anchor_audit` runs) the chain's head — id and
hash — is appended to the anchor file outside the database; `verify` checks the trail against
those anchors, so deleting the newest entries (or all of them) is found, not only a change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kiemdich.accounts import policy
from kiemdich.accounts.models import User
from kiemdich.accounts.phones import normalize_phone
from kiemdich.accounts.scopes import accounts_holding
from kiemdich.accounts.sms import send_sms
from kiemdich.core.audit import GENESIS, chain, pseudonyms, record, write_anchor
from kiemdich.core.errors import DomainError
from kiemdich.privacy.models import AuditEntry


def anchor_head() -> AuditEntry | None:
    """Anchor the current head now (`manage.py anchor_audit`, from cron): closes the gap of
    fewer than AUDIT_ANCHOR_EVERY entries since the last anchor."""
    head = AuditEntry.objects.order_by("-id").first()
    if head is not None:
        write_anchor(head.pk, head.entry_hash)
    return head


class AnchorFileInvalid(Exception):
    pass


def read_anchors(paths: Iterable[Path]) -> dict[int, str]:
    """Entry id → hash from every anchor file given. A last line without its newline (the
    writer died mid-line) is skipped; any other unreadable line is an error: the file is
    append-only, so garbage in it is tampering."""
    anchors: dict[int, str] = {}
    for path in paths:
        text = path.read_text("utf-8")
        lines = text.split("\n")
        complete = lines[:-1]  # what follows the last newline is unfinished (or empty)
        for number, line in enumerate(complete, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                entry_id, entry_hash = int(item["id"]), str(item["hash"])
            except (ValueError, KeyError, TypeError) as exc:
                raise AnchorFileInvalid(f"{path}: line {number} is not an anchor") from exc
            if anchors.setdefault(entry_id, entry_hash) != entry_hash:
                raise AnchorFileInvalid(f"{path}: two different hashes for entry id={entry_id}")
    return anchors


@dataclass
class Verdict:
    """What `verify` found: `problems` is empty when the trail is intact."""

    checked: int = 0
    anchors: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain() -> tuple[int, int | None]:
    """Walk the trail; return (entries checked, id of the first broken entry or None)."""
    prev = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev or entry.entry_hash != chain(prev, entry):
            return checked, entry.pk
        prev = entry.entry_hash
        checked += 1
    return checked, None


def verify(anchors: dict[int, str]) -> Verdict:
    """The chain (every entry's HMAC and link) and the anchors: each anchored entry must be
    in the trail with the anchored hash. An anchor past the trail's end is a deleted tail;
    anchors and no entries, a trail emptied (TRUNCATE)."""
    verdict = Verdict(anchors=len(anchors))
    checked, broken = verify_chain()
    verdict.checked = checked
    if broken is not None:
        verdict.problems.append(f"chain broken at entry id={broken} "
                                f"(after {checked} intact entries)")
    found = _hashes_of(sorted(anchors))
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    missing = sorted(pk for pk in anchors if pk not in found)
    altered = sorted(pk for pk, digest in found.items() if anchors[pk] != digest)
    beyond = [pk for pk in missing if pk > last]
    if beyond:
        verdict.problems.append(
            f"tail deleted: the trail ends at id={last} but the anchors name entries up to "
            f"id={beyond[-1]} ({len(beyond)} anchored entries missing)")
    inside = [pk for pk in missing if pk <= last]
    if inside:
        verdict.problems.append(f"anchored entry id={inside[0]} missing "
                                f"({len(inside)} anchored entries missing inside the trail)")
    if altered:
        verdict.problems.append(f"anchored entry id={altered[0]} differs from its anchor "
                                f"({len(altered)} entries)")
    return verdict


def _hashes_of(ids: list[int], chunk: int = 1000) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(ids), chunk):
        found.update(AuditEntry.objects.filter(pk__in=ids[start:start + chunk])
                     .values_list("id", "entry_hash"))
    return found


def search(*, action: str = "", actor: str = "", target: str = "",
           date_from: date | None = None, date_to: date | None = None) -> QuerySet[AuditEntry]:
    """Entries matching the filters, newest first. `actor` is a phone or an account id;
    a phone given as `target` is turned into its pseudonym (failed logins are stored so)."""
    entries = AuditEntry.objects.order_by("-id")
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor_id=_account_id(actor))
    if target:
        entries = entries.filter(target__in={target, *_phone_pseudonyms(target)})
    if date_from:
        entries = entries.filter(at__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(at__lt=_day_start(date_to + timedelta(days=1)))
    return entries


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True)
                .distinct())


def _account_id(actor: str) -> int:
    actor = actor.strip().lstrip("#")
    if actor.isdigit() and len(actor) < 9:
        return int(actor)
    try:
        phone = normalize_phone(actor)
    except DomainError:
        return -1
    return User.objects.filter(phone=phone).values_list("pk", flat=True).first() or -1


def _phone_pseudonyms(text: str) -> set[str]:
    try:
        return pseudonyms(normalize_phone(text))
    except DomainError:
        return set()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def check(paths: list[Path] | None = None) -> Verdict:
    """The whole check of `verify_audit` and the nightly job audit.verify: the chain and the
    anchor files (default AUDIT_ANCHOR_FILE); an unreadable anchor file, or none at all for a
    trail of AUDIT_ANCHOR_EVERY entries or more, is a problem too."""
    paths = paths or [settings.AUDIT_ANCHOR_FILE]
    try:
        anchors = read_anchors(path for path in paths if path.exists())
    except AnchorFileInvalid as exc:
        return Verdict(problems=[f"anchor file invalid: {exc}"])
    verdict = verify(anchors)
    if verdict.checked >= settings.AUDIT_ANCHOR_EVERY and not anchors:
        verdict.problems.append(
            f"no anchors for {verdict.checked} entries: the anchor file "
            f"({', '.join(map(str, paths))}) is missing or empty, so a deleted tail "
            "cannot be ruled out")
    return verdict


def verify_and_alert() -> Verdict:
    """The nightly check (job audit.verify): when the trail is not intact, every admin and
    auditor is told by SMS and ALERT_EMAILS by e-mail — each night until it is repaired —
    and the alert itself is written to the trail (`audit_trail_not_intact`)."""
    verdict = check()
    if not verdict.intact:
        summary = "; ".join(verdict.problems)
        _alert_break(summary)
        record("audit.verify", "audit_trail_not_intact", reason=summary[:500])
    return verdict


def _alert_break(summary: str) -> None:
    def text() -> str:
        return _("Kiểm Dịch QR: nhật ký truy cập không còn nguyên vẹn (%(problem)s). "
                 "Kiểm tra ngay.") % {"problem": summary[:300]}

    for user in accounts_holding(*policy.OVERSIGHT):
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            send_sms(user.phone, text(), purpose="alert")
    if settings.ALERT_EMAILS:
        with translation.override(settings.LANGUAGE_CODE):
            send_mail(_("Nhật ký truy cập bị thay đổi"), text(), None, settings.ALERT_EMAILS)
