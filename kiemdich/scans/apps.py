from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "kiemdich.scans"
    label = "scans"

    def ready(self) -> None:
        # Models are importable only once the apps are ready: these imports wait for it.
        from kiemdich.scans.services import counted_today
        from kiemdich.venues.services import count_figures_with

        count_figures_with(counted_today)
