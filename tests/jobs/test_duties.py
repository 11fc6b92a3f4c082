"""The duties on the schedule, run as the worker runs them (`run_job NAME`, through the lease
and the run record): the audit trail's nightly check and its alert, and the queue routing
of the jobs that need the database owner's role."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from kiemdich.accounts.models import Role
from kiemdich.accounts.services import account_for_phone, grant_role
from kiemdich.core.audit import record
from kiemdich.jobs.models import JobRun
from kiemdich.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


def _tamper(entry: AuditEntry) -> None:
    """Rewrite an entry as someone with the database owner's role could (on PostgreSQL past
    the append-only trigger, which replication mode skips)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")


def test_an_intact_audit_chain_passes_quietly(outbox):
    grant_role("0912000061", Role.AUDITOR)
    for n in range(3):
        record(None, "test_action", target=f"people.person:{n}")
    out = StringIO()
    call_command("run_job", "audit.verify", stdout=out)
    assert "audit trail intact: 4 entries" in out.getvalue()  # the grant, then three
    assert outbox.messages() == []
    assert mail.outbox == []


def test_an_altered_audit_trail_alerts_admins_and_auditors_each_night(outbox, settings):
    settings.ALERT_EMAILS = ["security@example.org"]
    auditor = grant_role("0912000062", Role.AUDITOR).user
    admin = grant_role("0912000063", Role.ADMIN).user
    bystander = account_for_phone("0912000064")
    entries = [record(None, "test_action", target=f"people.person:{n}") for n in range(4)]
    _tamper(entries[1])

    with pytest.raises(CommandError, match=f"chain broken at entry id={entries[1].pk}"):
        call_command("run_job", "audit.verify", stdout=StringIO())
    told = sorted(m["phone"] for m in outbox.messages())
    assert told == sorted([auditor.phone, admin.phone])
    assert bystander.phone not in told
    assert all(f"id={entries[1].pk}" in m["text"] for m in outbox.messages())
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["security@example.org"], "Nhật ký truy cập bị thay đổi")]
    alert = AuditEntry.objects.get(action="audit_trail_not_intact")
    assert f"chain broken at entry id={entries[1].pk}" in alert.reason
    run = JobRun.objects.get(name="audit.verify")
    assert run.status == JobRun.Status.FAILED and "NOT intact" in run.error

    # The next night: still altered, so everyone is told again.
    with pytest.raises(CommandError):
        call_command("run_job", "audit.verify", stdout=StringIO())
    assert len(outbox.messages()) == 4
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(("split", "cluster"), [(False, None), (True, "kiemdich-owner")])
def test_owner_jobs_go_to_the_owners_queue_only_when_roles_are_split(settings, split,
                                                                      cluster):
    from django_q.models import OrmQ, Schedule

    from kiemdich.jobs import registry, schedules

    settings.JOB_OWNER_QUEUE = split
    schedules.sync()
    clusters = dict(Schedule.objects.values_list("name", "cluster"))
    assert clusters["partitions.ahead"] == clusters["privacy.purge"] == cluster
    assert clusters["stats.today"] is None and clusters["audit.verify"] is None
    registry.enqueue("privacy.purge")
    registry.enqueue("stats.today")
    assert sorted(OrmQ.objects.values_list("key", flat=True)) == sorted(
        [cluster or "kiemdich", "kiemdich"])
