from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "kiemdich.declarations"
    label = "declarations"

    def ready(self) -> None:
        # Models are not importable before ready(): these imports wait for it.
        from kiemdich.declarations.services import declared_today
        from kiemdich.people import declared

        declared.declared_today_with(declared_today)
