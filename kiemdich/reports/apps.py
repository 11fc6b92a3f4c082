from django.apps import AppConfig

from kiemdich.people.signals import id_digests_renamed


class ReportsConfig(AppConfig):
    name = "kiemdich.reports"
    label = "reports"

    def ready(self) -> None:
        # Models are not importable before ready(): the receivers' module waits for it.
        from kiemdich.reports.receivers import rename_roster_digests

        id_digests_renamed.connect(rename_roster_digests,
                                   dispatch_uid="reports.rename_roster_digests")
