"""The job worker and scheduler (`make worker`, the systemd unit kiemdich-worker)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.cluster import Cluster

from kiemdich.jobs import schedules
from kiemdich.jobs.worker import bind_metrics, serve_metrics


class Command(BaseCommand):
    help = ("Run the job worker: JOB_WORKERS processes taking jobs from the queue in the "
            "database, and the scheduler. Run as many as wanted, on any machine.")

    def handle(self, *args: Any, **options: Any) -> None:
        # Bound now, so that a port taken fails the start; answered once the cluster runs.
        metrics = (bind_metrics(settings.JOB_METRICS_HOST, settings.JOB_METRICS_PORT)
                   if settings.JOB_METRICS_PORT else None)
        count = schedules.sync()
        self.stdout.write(f"{count} periodic job(s) scheduled; worker starting.")
        self.stdout.flush()
        # SIGTERM and SIGINT stop it: running jobs finish first (up to the unit's stop time).
        # The command returns once the cluster's processes run; this process then waits for
        # them (multiprocessing joins its children at exit), answering the metrics meanwhile.
        Cluster().start()
        if metrics is not None:
            # Started only now: the cluster forks its processes from this one, and a process
            # forked while another thread holds a lock (an import's, a connection's) waits on
            # that lock for ever: a worker that starts but never takes a job.
            serve_metrics(metrics)
            self.stdout.write(f"Metrics on http://{settings.JOB_METRICS_HOST}:"
                              f"{settings.JOB_METRICS_PORT}/metrics")
            self.stdout.flush()
