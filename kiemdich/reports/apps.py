from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "kiemdich.reports"
    label = "reports"
