"""The job worker and scheduler (`make worker`, the systemd unit kiemdich-worker)."""

from django.core.management.base import BaseCommand

from kiemdich.jobs import schedules


class Command(BaseCommand):
    help = ("Run the job worker: JOB_WORKERS processes taking jobs from the queue in the "
            "database, and the scheduler. Run as many as wanted, on any machine.")

    def handle(self, *args, **options):
        from django_q.cluster import Cluster

        count = schedules.sync()
        self.stdout.write(f"{count} periodic job(s) scheduled; worker starting.")
        self.stdout.flush()
        # SIGTERM and SIGINT stop it: running jobs finish first (up to the unit's stop time).
        Cluster().start()
