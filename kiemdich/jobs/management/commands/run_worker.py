"""The job worker and scheduler (`make worker`, the systemd unit kiemdich-worker)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from kiemdich.jobs import schedules
from kiemdich.jobs.worker import serve_metrics


class Command(BaseCommand):
    help = ("Run the job worker: JOB_WORKERS processes taking jobs from the queue in the "
            "database, and the scheduler. Run as many as wanted, on any machine.")

    def handle(self, *args: Any, **options: Any) -> None:
        from django_q.cluster import Cluster

        if settings.JOB_METRICS_PORT:
            serve_metrics(settings.JOB_METRICS_HOST, settings.JOB_METRICS_PORT)
            self.stdout.write(f"Metrics on http://{settings.JOB_METRICS_HOST}:"
                              f"{settings.JOB_METRICS_PORT}/metrics")
        count = schedules.sync()
        self.stdout.write(f"{count} periodic job(s) scheduled; worker starting.")
        self.stdout.flush()
        # SIGTERM and SIGINT stop it: running jobs finish first (up to the unit's stop time).
        Cluster().start()
