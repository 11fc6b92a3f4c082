from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Pages for the people who run the platform (admins): the server's figures."""

    name = "kiemdich.operations"
    verbose_name = _("Vận hành")
