"""The audit trail against someone who can write the database: an entry rewritten (with the
chain recomputed), the newest entries deleted, the table emptied. On PostgreSQL the attacker
first gets past the append-only trigger as the tables' owner or a superuser can (the trigger
disabled, or session_replication_role=replica); the application's own role cannot
(tests/privacy/test_db_roles.py). `verify_audit` must name each attack, on both databases."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kiemdich.core.audit import canonical, record
from kiemdich.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(django_capture_on_commit_callbacks):
    """120 entries, committed as the application commits them (so their anchors are
    written)."""
    def make(n: int = 120) -> list[AuditEntry]:
        with django_capture_on_commit_callbacks(execute=True):
            return [record(None, "test_action", target=f"people.person:{i}", reason="why")
                    for i in range(n)]
    return make


def _tamper(sql: str, params=(), how: str = "trigger") -> None:
    """Run `sql` as an attacker with the owner's or a superuser's rights."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return
        if how == "trigger":
            cursor.execute("ALTER TABLE privacy_auditentry DISABLE TRIGGER USER")
        else:
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if how == "trigger":
            cursor.execute("ALTER TABLE privacy_auditentry ENABLE TRIGGER USER")
        else:
            cursor.execute("SET session_replication_role = origin")


def _recompute_from(entry_id: int, key: bytes | None) -> None:
    """Rewrite every hash from `entry_id` on, as an attacker would after changing an entry:
    with plain SHA-256 (no key) or with a key."""
    entries = list(AuditEntry.objects.filter(pk__gte=entry_id).order_by("id"))
    prev = AuditEntry.objects.filter(pk__lt=entry_id).order_by("-id").values_list(
        "entry_hash", flat=True).first()
    for entry in entries:
        text = (prev + canonical(entry)).encode()
        digest = hmac.new(key, text, hashlib.sha256).hexdigest() if key else \
            hashlib.sha256(text).hexdigest()
        _tamper("UPDATE privacy_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
                [prev, digest, entry.pk])
        prev = digest


def _anchored(settings) -> list[int]:
    return [json.loads(line)["id"] for line in
            settings.AUDIT_ANCHOR_FILE.read_text().splitlines()]


def _verify_fails(match: str) -> None:
    with pytest.raises(CommandError, match=match) as failure:
        call_command("verify_audit")
    print(failure.value)


def test_an_intact_trail_passes_with_its_anchors(trail, capsys, settings):
    entries = trail()
    lines = [json.loads(line) for line in settings.AUDIT_ANCHOR_FILE.read_text().splitlines()]
    # One per block of AUDIT_ANCHOR_EVERY (10) ids: the entries that start a new block.
    starts = [e.pk for before, e in zip([None, *entries], entries, strict=False)
              if e.pk // 10 > (before.pk if before else 0) // 10]
    assert [line["id"] for line in lines] == starts
    assert [line["hash"] for line in lines] == [
        e.entry_hash for e in entries if e.pk in starts]
    call_command("verify_audit")
    assert f"intact: 120 entries, {len(starts)} anchors" in capsys.readouterr().out


@pytest.mark.parametrize("how", ["trigger", "replica"])
def test_a_rewritten_entry_is_found(trail, how):
    entries = trail()
    _tamper("UPDATE privacy_auditentry SET reason = 'rewritten' WHERE id = %s",
            [entries[40].pk], how)
    _verify_fails(f"chain broken at entry id={entries[40].pk}")


@pytest.mark.parametrize("how", ["trigger", "replica"])
def test_a_rewritten_entry_with_the_chain_recomputed_is_found_without_the_key(trail, how):
    entries = trail()
    _tamper("UPDATE privacy_auditentry SET reason = 'rewritten' WHERE id = %s",
            [entries[40].pk], how)
    _recompute_from(entries[40].pk, key=None)
    _verify_fails(f"chain broken at entry id={entries[40].pk}")


def test_even_with_the_key_a_recomputed_chain_contradicts_the_anchors(trail, settings):
    entries = trail()
    _tamper("UPDATE privacy_auditentry SET reason = 'rewritten' WHERE id = %s",
            [entries[40].pk])
    _recompute_from(entries[40].pk, key=settings.AUDIT_KEY.encode())
    first = min(pk for pk in _anchored(settings) if pk >= entries[40].pk)
    _verify_fails(f"anchored entry id={first} differs from its anchor")


@pytest.mark.parametrize("how", ["trigger", "replica"])
def test_the_newest_fifty_deleted_are_found(trail, how):
    entries = trail()
    _tamper("DELETE FROM privacy_auditentry WHERE id > %s", [entries[69].pk], how)
    assert AuditEntry.objects.count() == 70
    _verify_fails(f"tail deleted: the trail ends at id={entries[69].pk}")


@pytest.mark.parametrize("how", ["trigger", "replica"])
def test_an_emptied_table_is_found(trail, how):
    trail()
    statement = "TRUNCATE privacy_auditentry" if connection.vendor == "postgresql" \
        else "DELETE FROM privacy_auditentry"
    _tamper(statement, (), how)
    _verify_fails("tail deleted: the trail ends at id=0")


def test_a_missing_anchor_file_is_not_intact(trail, settings):
    trail()
    settings.AUDIT_ANCHOR_FILE.unlink()
    _verify_fails("no anchors for 120 entries")


def test_an_auditors_copy_is_checked_and_garbage_in_it_is_refused(trail, settings, tmp_path):
    entries = trail()
    copy = tmp_path / "copy.jsonl"
    copy.write_text(settings.AUDIT_ANCHOR_FILE.read_text())
    _tamper("DELETE FROM privacy_auditentry WHERE id > %s", [entries[99].pk])
    with pytest.raises(CommandError, match="tail deleted"):
        call_command("verify_audit", anchors=[copy])
    with copy.open("a") as handle:
        handle.write("not an anchor\n")
    with pytest.raises(CommandError,
                       match=f"line {len(_anchored(settings)) + 1} is not an anchor"):
        call_command("verify_audit", anchors=[copy])
    with pytest.raises(CommandError, match="anchor file not found"):
        call_command("verify_audit", anchors=[tmp_path / "absent.jsonl"])


def test_anchor_audit_anchors_the_head_between_blocks(trail, settings):
    entries = trail(15)
    call_command("anchor_audit")
    last = json.loads(settings.AUDIT_ANCHOR_FILE.read_text().splitlines()[-1])
    assert last["id"] == entries[-1].pk
    _tamper("DELETE FROM privacy_auditentry WHERE id = %s", [entries[-1].pk])
    _verify_fails(f"tail deleted: the trail ends at id={entries[-2].pk}")
