from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "kiemdich.jobs"
    label = "jobs"
    verbose_name = _("Công việc nền")

    def ready(self) -> None:
        # Each app declares its jobs in its own `jobs.py`, next to the services they call.
        autodiscover_modules("jobs")
        from kiemdich.core import metrics
        from kiemdich.jobs.figures import job_figures

        metrics.read_state_with(job_figures)
