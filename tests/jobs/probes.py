"""The tests' probe jobs, and a command line to queue them and read what ran.

- `probe.tick`: periodic, every second; does nothing but its run is recorded (JobRun).
- `probe.slow KEY`: on demand; notes each attempt in PROBE_DIR, takes 12 seconds on its
  first attempt (long enough for a test to kill its worker), and does its work idempotently:
  the work of KEY is one row in the jobs' lease table (`probe-done:KEY`), created once.

`python -m tests.jobs.probes serve` answers questions, one JSON list a line on its input, one
JSON line `{"answer": ...}` each: `["enqueue", KEY]` queues probe.slow; `["state"]` the
runs, the queue's task results and the probe's notes; `["sms"]` the SMS outbox's rows;
`["admin", PHONE]` makes an admin and answers an API token of theirs. One process answers a
test's questions: a Django start (seconds of CPU) once, not at each look of a wait.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
    import django

    django.setup()

from django.utils import timezone  # noqa: E402

from kiemdich.jobs.models import JobLease, JobRun  # noqa: E402
from kiemdich.jobs.registry import JOBS, enqueue, job, periodic  # noqa: E402


def _notes() -> Path:
    return Path(os.environ["PROBE_DIR"])


if "probe.tick" not in JOBS:
    @periodic("probe.tick", cron="* * * * * *", timeout=5, description="probe")
    def tick() -> str:
        return "tick"

    @job("probe.slow", description="probe", timeout=15)
    def slow(key: str) -> str:
        notes = _notes() / f"{key}.attempts"
        first = not notes.exists()
        with open(notes, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        if first:
            time.sleep(12)
        JobLease.objects.get_or_create(name=f"probe-done:{key}",
                                       defaults={"expires_at": timezone.now()})
        return "done"


def state() -> dict:
    from django_q.models import OrmQ, Task

    return {
        "runs": [{"name": r.name, "status": r.status, "trigger": r.trigger,
                  "scheduled_for": r.scheduled_for.isoformat() if r.scheduled_for else None,
                  "started": r.started_at.timestamp(),
                  "finished": r.finished_at.timestamp() if r.finished_at else None}
                 for r in JobRun.objects.order_by("started_at")],
        "tasks": [{"id": t.id, "group": t.group, "success": t.success, "result": t.result,
                   "attempts": t.attempt_count} for t in Task.objects.order_by("started")],
        "queued": OrmQ.objects.count(),
        "done": sorted(lease.name.split(":", 1)[1] for lease in
                       JobLease.objects.filter(name__startswith="probe-done:")),
        "attempts": {p.stem: p.read_text().split() for p in _notes().glob("*.attempts")},
    }


def answer(command: str, *args: str) -> object:
    if command == "enqueue":
        return enqueue("probe.slow", args[0])
    if command == "state":
        return state()
    if command == "sms":
        from kiemdich.accounts.models import SmsMessage

        return [{"id": str(m.pk), "phone": m.phone, "status": m.status,
                 "attempts": m.attempts, "text": m.text, "error": m.last_error}
                for m in SmsMessage.objects.order_by("created_at")]
    if command == "admin":
        from kiemdich.accounts.auth import issue_token
        from kiemdich.accounts.services import grant_role

        return issue_token(grant_role(args[0], "admin").user)[0]
    raise ValueError(command)


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    for line in sys.stdin:
        print(json.dumps({"answer": answer(*json.loads(line))}), flush=True)
