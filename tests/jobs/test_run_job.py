"""`manage.py run_job`: lists the jobs, runs one now through its lease, records the run, and
refuses what it cannot run; the lease lets one holder in at a time."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kiemdich.jobs import registry, runner, schedules
from kiemdich.jobs.models import JobRun

pytestmark = pytest.mark.django_db


def test_lists_every_declared_job():
    out = StringIO()
    call_command("run_job", stdout=out)
    names = [line.split()[0] for line in out.getvalue().splitlines()]
    assert names == sorted(registry.JOBS)
    assert {"stats.today", "stats.late_scans", "partitions.ahead", "privacy.purge"} <= set(names)


def test_runs_a_periodic_job_now_and_records_it():
    out = StringIO()
    call_command("run_job", "stats.today", stdout=out)
    assert "stats.today: refreshed" in out.getvalue()
    run = JobRun.objects.get(name="stats.today")
    assert (run.status, run.trigger, run.error) == (JobRun.Status.OK, "command", "")
    assert run.duration is not None and run.duration >= 0


def test_an_unknown_job_is_refused():
    with pytest.raises(CommandError, match="no job named 'stats.nope'"):
        call_command("run_job", "stats.nope", stdout=StringIO())


def test_a_job_held_by_another_run_is_skipped_and_not_recorded():
    assert runner.acquire("stats.today", "elsewhere", timedelta(minutes=5))
    out = StringIO()
    call_command("run_job", "stats.today", stdout=out)
    assert "skipped: another run holds the lease" in out.getvalue()
    assert not JobRun.objects.filter(name="stats.today").exists()


def test_the_lease_has_one_holder_until_released():
    assert runner.acquire("probe", "a", timedelta(minutes=5))
    assert not runner.acquire("probe", "b", timedelta(minutes=5))
    runner.release("probe", "b")  # not the holder: changes nothing
    assert not runner.acquire("probe", "b", timedelta(minutes=5))
    runner.release("probe", "a")
    assert runner.acquire("probe", "b", timedelta(minutes=5))


def test_an_expired_lease_is_taken_over():
    assert runner.acquire("probe", "a", timedelta(seconds=-1))
    assert runner.acquire("probe", "b", timedelta(minutes=5))


def test_schedules_follow_the_declarations():
    from django_q.models import Schedule

    assert schedules.sync() == sum(1 for spec in registry.JOBS.values() if spec.periodic)
    rows = {s.name: s for s in Schedule.objects.all()}
    assert {name: row.cron for name, row in rows.items()} == {
        name: spec.cron for name, spec in registry.JOBS.items() if spec.periodic}
    Schedule.objects.filter(name="stats.today").update(cron="0 0 1 1 *")
    Schedule.objects.create(name="gone", func=registry.RUNNER, args="('gone',)",
                            schedule_type=Schedule.CRON, cron="* * * * *")
    schedules.sync()
    assert Schedule.objects.get(name="stats.today").cron == registry.get("stats.today").cron
    assert not Schedule.objects.filter(name="gone").exists()
