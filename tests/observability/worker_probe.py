"""`python -m tests.observability.worker_probe COMMAND`, in a job worker's database:
`expired-token` leaves an API token past its expiry (the retention purge removes it),
`enqueue NAME` puts a run of job NAME on the queue, `unschedule` writes the periodic jobs'
schedules as a worker's start does and moves every next run a day away (a worker starting
later keeps them: the test's queued run is the only one)."""

from __future__ import annotations

import os
import sys
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402
from django_q.models import Schedule  # noqa: E402

from kiemdich.accounts.auth import issue_token  # noqa: E402
from kiemdich.accounts.services import account_for_phone  # noqa: E402
from kiemdich.jobs import schedules  # noqa: E402
from kiemdich.jobs.registry import enqueue  # noqa: E402

if __name__ == "__main__":
    if sys.argv[1] == "expired-token":
        _token, record = issue_token(account_for_phone("0988000201"))
        record.expires_at = timezone.now() - timedelta(days=1)
        record.save(update_fields=["expires_at"])
    elif sys.argv[1] == "enqueue":
        enqueue(sys.argv[2])
    else:
        schedules.sync()
        Schedule.objects.update(next_run=timezone.now() + timedelta(days=1))
