from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kiemdich.privacy"
    label = "privacy"
    verbose_name = _("Bảo vệ dữ liệu")

    def ready(self) -> None:
        # Models are importable only once the apps are ready: these imports wait for it.
        from kiemdich.privacy.abuse import noted
        from kiemdich.scans.signals import checked_in

        checked_in.connect(noted, dispatch_uid="privacy.abuse.noted")
